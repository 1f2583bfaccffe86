"""The sweep's on-disk result: a Parquet dataset, one file per finished task.

Layout of ``DIR``::

    DIR/_fsl_sweep.json          marker: this folder holds a sweep (kind, version)
    DIR/part-<key>.parquet       one row, written to a hidden temp file and renamed

``pandas.read_parquet(DIR)`` reads it: pyarrow skips names starting with ``_`` or ``.``.
A file exists only once its task finished (the rename is atomic), so after an interruption
the files present are exactly the finished tasks, and a rerun skips their keys.  A folder
that is neither empty nor marked is refused: a sweep never writes into a user's folder.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

__all__ = ["MARKER", "open_store", "done_keys", "write_row", "read_sweep", "schema", "compact"]

MARKER = "_fsl_sweep.json"


def schema(kind: str):
    """The fixed Arrow schema of one kind's rows, so every part file reads as one table."""
    import pyarrow as pa

    f64, s, lst = pa.float64(), pa.string(), pa.list_(pa.float64())
    common = [
        ("key", s),
        ("kind", s),
        ("s", f64),
        ("beta", f64),
        ("schedule", s),
        ("spec", s),
        ("boundary_distance", f64),
        ("regime", s),
        ("region", s),
    ]
    if kind == "exact":
        rest = [
            ("derived_power", f64),
            ("derived_log", f64),
            ("derived_power_exact", s),
            ("derived_log_exact", s),
            ("derived_lr_power", f64),
            ("budget", s),
            ("budgets", lst),
            ("measured_slope", f64),
            ("difference", f64),
            ("lower_slope", f64),
            ("upper_slope", f64),
            ("risks", lst),
            ("peaks", lst),
            ("decays", lst),
            ("widths", lst),
            ("data", lst),
            ("evaluations", pa.int64()),
        ]
    else:
        rest = [
            ("steps", pa.int64()),
            ("peak", f64),
            ("record", lst),
            ("exact_top", lst),
            ("mc_random", lst),
            ("mc_random_se", lst),
            ("final_rel_diff", f64),
            ("max_abs_rel_diff", f64),
            ("final_z", f64),
            ("exact_top_slope", f64),
            ("mc_random_slope", f64),
            ("slope_difference", f64),
        ]
    return pa.schema(common + rest + [("seconds", f64)])


def read_marker(root: Path) -> str:
    """The kind recorded in a sweep folder's marker; a damaged marker is a ``ValueError``."""
    marker = Path(root) / MARKER
    try:
        meta = json.loads(marker.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(
            f"{marker} is invalid: expected the JSON that fsl sweep writes ({e})"
        ) from None
    from fsltheory._util.validate import check_choice
    from fsltheory.sweep.tasks import KINDS

    kind = meta.get("kind") if isinstance(meta, dict) else None
    return check_choice(f"{marker}: kind", kind, KINDS)


def _read_part(path: Path, columns=None):
    """One part file as an Arrow table; a damaged one is a ``ValueError`` saying what to do."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as e:
        raise ValueError(
            f"{path} is invalid: not a readable Parquet part file ({e}); delete it and rerun "
            "the sweep to recompute that task"
        ) from None


def open_store(out, kind: str) -> Path:
    """Create or reopen the sweep folder ``out``; refuse a folder that is not a sweep's."""
    path = Path(out)
    marker = path / MARKER
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"out={str(path)!r} is a file: expected a sweep folder")
    if marker.exists():
        held = read_marker(path)
        if held != kind:
            raise ValueError(
                f"kind={kind!r} is invalid for {path}: it holds a sweep of kind "
                f"{held!r} (use another --out)"
            )
        return path
    if path.exists() and any(path.iterdir()):
        raise FileExistsError(
            f"out={str(path)!r} exists and is not a sweep folder (no {MARKER}); "
            "refusing to write into it: pass a new or empty folder"
        )
    path.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"kind": kind, "format": "fsltheory-sweep", "version": 1}))
    return path


def part_path(root: Path, key: str) -> Path:
    return root / f"part-{key}.parquet"


def done_keys(root: Path) -> set[str]:
    """Keys of the finished tasks (complete files only: temp files are hidden)."""
    keys = set()
    for p in Path(root).glob("part-*.parquet"):
        if p.name.startswith("part-compact-"):
            keys.update(_read_part(p, columns=["key"]).column("key").to_pylist())
        else:
            keys.add(p.name[5:-8])
    return keys


def write_row(root: Path, row: dict, kind: str) -> Path:
    """Write one result row as ``part-<key>.parquet``: temp file, fsync, atomic rename."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sch = schema(kind)
    table = pa.Table.from_pylist([{name: row.get(name) for name in sch.names}], schema=sch)
    final = part_path(root, row["key"])
    tmp = root / f".tmp-{row['key']}-{uuid.uuid4().hex}.parquet"
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return final


def read_sweep(out, keys=None):
    """The sweep at ``out`` as a DataFrame (only ``keys`` when given), sorted by point."""
    import pandas as pd

    root = Path(out)
    if not (root / MARKER).exists():
        raise FileNotFoundError(f"{root} is not a sweep folder (no {MARKER})")
    kind = read_marker(root)
    files = sorted(root.glob("part-*.parquet"))
    if not files:
        return schema(kind).empty_table().to_pandas()
    df = pd.concat([_read_part(f).to_pandas() for f in files], ignore_index=True)
    if keys is not None:
        df = df[df["key"].isin(set(keys))]
    return df.sort_values(["schedule", "s", "beta"], ignore_index=True)


def compact(src, dst, *, keys=None) -> Path:
    """Copy a sweep (only ``keys`` when given) into a new folder as one Parquet file.

    The copy is still a sweep folder: :func:`read_sweep` and ``pandas.read_parquet`` read
    it, and a sweep run on it skips the keys it holds.  Used for the book's committed data.
    """
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = read_marker(Path(src))
    df = read_sweep(src, keys)
    root = open_store(dst, kind)
    table = pa.Table.from_pandas(df, schema=schema(kind), preserve_index=False)
    digest = hashlib.sha256("".join(sorted(df["key"])).encode()).hexdigest()[:12]
    final = root / f"part-compact-{digest}.parquet"
    tmp = root / f".tmp-compact-{digest}.parquet"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, final)
    return final
