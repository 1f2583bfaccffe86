"""``fsl data``: the loss curves shipped with fsltheory, by name, for the README's examples.

Examples::

    fsl data list                         # every dataset and its files
    fsl data path mpl/25M                 # the folder of the 25M-parameter MPL runs
    fsl data path mpl/25M/cosine_24000    # one file
    fsl fit $(fsl data path mpl/25M/cosine_24000) --format mpl --law mpl --save mpl.json

``mpl/25M``, ``mpl/100M`` and ``mpl/400M`` are the multi-power-law runs of Luo et al. (2025;
read them with ``--format mpl``); ``schaipp`` is the Schaipp et al. (2025) extract.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run", "DATASETS"]

#: dataset name -> folder under fsltheory/data
DATASETS = {
    "mpl/25M": ("multipowerlaw", "csv_25"),
    "mpl/100M": ("multipowerlaw", "csv_100"),
    "mpl/400M": ("multipowerlaw", "csv_400"),
    "schaipp": ("schaipp",),
}


def register(sub) -> None:
    p = sub.add_parser(
        "data",
        help="list the shipped loss curves, or print the path of one (for fit/predict)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=("list", "path"), help="list the datasets, or print a path")
    p.add_argument(
        "name", nargs="?", default=None, help="for path: DATASET or DATASET/FILE (no .csv)"
    )
    p.set_defaults(func=run)


def _resolve(name: str):
    from fsltheory.surrogate.datasets import data_path

    for ds in sorted(DATASETS, key=len, reverse=True):
        if name == ds:
            return data_path(*DATASETS[ds])
        if name.startswith(ds + "/"):
            stem = name[len(ds) + 1 :].removesuffix(".csv")
            f = data_path(*DATASETS[ds]) / f"{stem}.csv"
            if f.is_file():
                return f
            files = sorted(p.stem for p in data_path(*DATASETS[ds]).glob("*.csv"))
            raise ValueError(f"name={name!r} is invalid: {ds} has {', '.join(files)}")
    raise ValueError(
        f"name={name!r} is invalid: expected a data set {', '.join(DATASETS)}, optionally /FILE"
    )


def run(args) -> int:
    from fsltheory.surrogate.datasets import data_path

    if args.action == "path":
        if args.name is None:
            raise ValueError("fsl data path needs a NAME, e.g. mpl/25M (see fsl data list)")
        print(_resolve(args.name))
        return 0
    if args.name is not None:
        raise ValueError(f"name={args.name!r} is invalid with 'list': it takes no name")
    for ds, parts in DATASETS.items():
        files = sorted(p.stem for p in data_path(*parts).glob("*.csv"))
        print(f"{ds}: {' '.join(files)}")
    return 0
