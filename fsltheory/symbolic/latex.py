"""Text and LaTeX export of reduced objectives and optimal exponents (``fsl latex``).

:func:`export_latex` writes one standalone document (``fsltheory-scaling.tex``, article
class with ``amsmath`` and ``booktabs`` only) that ``\\input``\\ s one snippet per formula
or table from ``snippets/``, so each snippet can also be pasted into a paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import sympy as sp

from fsltheory._util.output import prepare_output
from fsltheory.symbolic.objectives import ReducedObjective
from fsltheory.symbolic.results import (
    _NAMES_TEX,
    ScalingResult,
    _latex_exp,
    result_to_latex,
)
from fsltheory.symbolic.scaling import derive_scaling

__all__ = [
    "FSL_LATEX",
    "SIMPLIFIED_FSL_LATEX",
    "objective_to_latex",
    "scaling_table_latex",
    "export_latex",
]

#: the intrinsic-time FSL, Theorems 4.2/4.4 (eq. 9)
FSL_LATEX = (
    r"\mathbb{E}[\mathcal{R}(\nu_t)] - \tfrac{1}{2}\sigma^2 \eqsim M^{-s\beta} + e_M(t)"
    r" + \int_0^t \mathcal{K}_M(t-z)\,\bigl[e_M(z) + \sigma^2\bigr]\,\gamma(z)\,dz"
)
#: the simplified FSL of Section 5 (Assumption 5.1, sigma >~ 1)
SIMPLIFIED_FSL_LATEX = (
    r"\mathcal{E}_K \eqsim M^{-s\beta} + T^{-s}"
    r" + \frac{\sigma^2}{B}\int_0^T \mathcal{K}_M(T-t)\,\varphi\bigl(T^{-1}(t)\bigr)\,dt,"
    r"\qquad \mathcal{K}_M(\tau) \eqsim \tau^{-(2-1/\beta)}\ (1 \lesssim \tau \lesssim M^\beta)"
)


def objective_to_latex(objective: ReducedObjective) -> str:
    """``equation*`` of the reduced objective with its intrinsic times defined."""
    body = " + ".join(sp.latex(t.display) for t in objective.terms)
    defs = []
    for sym, mono in objective.definitions:
        defs.append(f"{sp.latex(sym)} = {sp.latex(mono.to_sympy())}")
    cons = [_constraint_latex(label) for label, _ in objective.constraints]
    return (
        "\\begin{equation*}\n"
        rf"\mathcal{{E}}_{{\rm {objective.family}}} \eqsim {body}"
        + (r",\qquad " + ",\\ ".join(defs) if defs else "")
        + (r",\qquad " + ",\\ ".join(cons) if cons else "")
        + "\n\\end{equation*}\n"
    )


def _constraint_latex(label: str) -> str:
    """``'gamma <~ 1'`` -> ``\\gamma \\lesssim 1`` (the labels of ReducedObjective.constraints)."""
    lhs, rel, rhs = label.split()
    lhs = {"gamma": r"\gamma"}.get(lhs, lhs)
    rel = {"<~": r"\lesssim", ">~": r"\gtrsim"}[rel]
    return f"{lhs} {rel} {rhs}"


def scaling_table_latex(results: list[ScalingResult], budget: str) -> str:
    """A ``booktabs`` table of every schedule x region for one budget."""
    base = sp.Symbol("D") if budget == "data" else sp.Symbol("C")
    cols = (
        ["lr", "M", "D", "decay_fraction", "loss"]
        if budget == "compute"
        else [
            "lr",
            "M",
            "decay_fraction",
            "loss",
        ]
    )
    head = " & ".join(["LRS", "region"] + [f"${_NAMES_TEX[c]}$" for c in cols])
    lines = [
        "\\begin{table}[ht]",
        "\\centering\\scriptsize",
        "\\begin{tabular}{" + "l" * (2 + len(cols)) + "}",
        "\\toprule",
        head + " \\\\",
        "\\midrule",
    ]
    for res in results:
        for reg in res.regions:
            cond = reg.condition
            cells = [res.schedule, "any" if cond == sp.true else f"${sp.latex(cond)}$"]
            for c in cols:
                v = reg.values.get(c)
                cells.append("--" if v is None else f"${_latex_exp(v, base)}$")
            lines.append(" & ".join(cells) + " \\\\")
        lines.append("\\midrule")
    lines[-1] = "\\bottomrule"
    lines += [
        "\\end{tabular}",
        f"\\caption{{Optimal exponents, {budget}-limited budget (derived by fsltheory).}}",
        "\\end{table}",
        "",
    ]
    return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


_PREAMBLE = r"""\documentclass[landscape]{article}
\usepackage[margin=1.5cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\providecommand{\eqsim}{\mathrel{\approx}}
"""


def export_latex(out, *, force: bool = False, schedules: dict | None = None) -> list[Path]:
    """Write the standalone document and one snippet per formula/table into folder ``out``.

    Parameters
    ----------
    out : path
        Output folder (created).  Existing files are replaced only with ``force=True``.
    schedules : dict, optional
        ``{label: schedule}``; default: every supported family
        (:func:`~fsltheory.symbolic.tables.supported_schedules`).

    Returns
    -------
    list of Path
        The main ``.tex`` first, then the snippets.
    """
    from fsltheory.symbolic.profiles import supported_schedules

    out = Path(out)
    schedules = supported_schedules() if schedules is None else schedules
    snippets: list[tuple[str, str]] = [
        ("fsl.tex", "\\begin{equation*}\n" + FSL_LATEX + "\n\\end{equation*}\n"),
        (
            "fsl-simplified.tex",
            "\\begin{equation*}\n" + SIMPLIFIED_FSL_LATEX + "\n\\end{equation*}\n",
        ),
    ]
    results = {b: [] for b in ("data", "compute")}
    for label, sched in schedules.items():
        res_d = derive_scaling(sched, "data")
        snippets.append((f"objective-{_slug(label)}.tex", objective_to_latex(res_d.objective)))
        for budget in ("data", "compute"):
            res = res_d if budget == "data" else derive_scaling(sched, budget)
            results[budget].append(res)
            snippets.append((f"result-{_slug(label)}-{budget}.tex", result_to_latex(res)))
    for budget, res in results.items():
        snippets.append((f"table-{budget}.tex", scaling_table_latex(res, budget)))

    paths = [prepare_output(out / "snippets" / name, force=force) for name, _ in snippets]
    main = prepare_output(out / "fsltheory-scaling.tex", force=force)
    for path, (_, text) in zip(paths, snippets, strict=True):
        path.write_text(text)
    body = [
        _PREAMBLE,
        "\\begin{document}",
        "\\section*{Functional scaling laws: optimal exponents}",
        "Li et al., arXiv 2509.19189.  Notation: $s$ relative difficulty, $\\beta$ capacity,"
        " $\\gamma=\\eta/B$ peak effective learning rate, $r$ WSD decay fraction; every"
        " quantity is $B^{x}(\\log B)^{y}$ in the budget $B\\in\\{D, C=MD\\}$.",
        "\\subsection*{The functional scaling law}",
        "\\input{snippets/fsl}",
        "\\input{snippets/fsl-simplified}",
        "\\subsection*{Reduced objectives}",
    ]
    for name, _ in snippets:
        if name.startswith("objective-"):
            body.append(f"\\input{{snippets/{name[:-4]}}}")
    body.append("\\subsection*{Optimal exponents}")
    body += ["\\input{snippets/table-data}", "\\input{snippets/table-compute}", "\\clearpage"]
    for name, _ in snippets:
        if name.startswith("result-"):
            body.append(f"\\input{{snippets/{name[:-4]}}}")
    body += ["\\end{document}", ""]
    main.write_text("\n".join(body))
    return [main, *paths]
