"""``fsl latex``: write the FSL, the reduced objectives and the exponent tables as LaTeX.

Writes ``OUT/fsltheory-scaling.tex`` (standalone: ``pdflatex fsltheory-scaling.tex`` in
``OUT``) and one snippet per formula or table in ``OUT/snippets/``.  Existing files are
never replaced without ``--force``.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "latex",
        help="LaTeX export of the FSL, reduced objectives and exponent tables",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default="fsl-latex", help="output folder")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from fsltheory.symbolic.latex import export_latex

    out = Path(args.out)
    bad = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if bad is not None:  # else a NotADirectoryError traceback from deep in the export
        raise ValueError(f"--out={args.out!r} is invalid: {bad} is a file; expected a folder")
    paths = export_latex(args.out, force=args.force)
    print(f"wrote {paths[0]} and {len(paths) - 1} snippets in {paths[0].parent / 'snippets'}")
    return 0
