"""Text and LaTeX export of reduced objectives and optimal exponents (``fsl latex``).

:func:`export_latex` writes one standalone document (``fsltheory-scaling.tex``, article
class with ``amsmath``, ``booktabs`` and ``longtable`` only) that ``\\input``\\ s one snippet
per formula or table from ``snippets/``, so each snippet can also be pasted into a paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import sympy as sp

from fsltheory._util.output import prepare_output
from fsltheory.symbolic.objectives import ReducedObjective
from fsltheory.symbolic.results import (
    _NAMES_TEX,
    Exponent,
    ScalingResult,
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
    """``equation*`` of the reduced objective with its intrinsic times defined.

    A short objective stays on one line.  A long one (a Piecewise kernel term, or more than
    a portrait text line of source) is an ``aligned`` block with one term per line and the
    definitions and side conditions below, so that it fits a portrait page.
    """
    terms = [sp.latex(t.display) for t in objective.terms]
    defs = [f"{sp.latex(sym)} = {sp.latex(mono.to_sympy())}" for sym, mono in objective.definitions]
    cons = [_constraint_latex(label) for label, _ in objective.constraints]
    lhs = rf"\mathcal{{E}}_{{\rm {objective.family}}} \eqsim"
    one_line = (
        f"{lhs} {' + '.join(terms)}"
        + (r",\qquad " + ",\\ ".join(defs) if defs else "")
        + (r",\qquad " + ",\\ ".join(cons) if cons else "")
    )
    if len(one_line) <= _ONE_LINE_CHARS and not any(r"\begin{cases}" in t for t in terms):
        return "\\begin{equation*}\n" + one_line + "\n\\end{equation*}\n"
    # pack short terms onto a line (up to _LINE_CHARS of source); a Piecewise term gets
    # a line of its own
    groups: list[list[str]] = [[]]
    for t in terms:
        long = r"\begin{cases}" in t
        if groups[-1] and (long or len(" + ".join(groups[-1] + [t])) > _LINE_CHARS):
            groups.append([])
        groups[-1].append(t)
        if long:
            groups.append([])
    groups = [g for g in groups if g]
    lines = [f"{lhs}{{}} & {' + '.join(groups[0])}"] + [f"& + {' + '.join(g)}" for g in groups[1:]]
    lines[-1] += ","
    if defs:
        lines.append(r"& \text{with } " + ",\\ ".join(defs) + ",")
    if cons:
        lines.append(r"& \text{valid for } " + ",\\ ".join(cons) + ".")
    return (
        "\\begin{equation*}\n\\begin{aligned}\n"
        + " \\\\\n".join(lines)
        + "\n\\end{aligned}\n\\end{equation*}\n"
    )


#: longest one-line objective (source characters) kept on one line; about what fits a
#: portrait text line at 10pt (the long WSD objective is ~310 characters and does not)
_ONE_LINE_CHARS = 200
#: source characters of short terms packed onto one line of a broken objective
_LINE_CHARS = 90


def _constraint_latex(label: str) -> str:
    """``'gamma <~ 1'`` -> ``\\gamma \\lesssim 1`` (the labels of ReducedObjective.constraints)."""
    lhs, rel, rhs = label.split()
    lhs = {"gamma": r"\gamma"}.get(lhs, lhs)
    rel = {"<~": r"\lesssim", ">~": r"\gtrsim"}[rel]
    return f"{lhs} {rel} {rhs}"


def _stack(lines: list[str]) -> str:
    """One table cell: ``$x$``, or a top-aligned one-column ``tabular`` of math lines (a
    plain ``tabular`` needs no package and keeps the cell's ``&`` count at one)."""
    if lines == ["--"]:  # no such quantity for this schedule: an en dash, in text
        return "--"
    if len(lines) == 1:
        return f"${lines[0]}$"
    # the 3pt keeps a line's superscripts clear of the fraction below it
    body = r" \\[3pt] ".join(f"${x}$" for x in lines)
    return r"\begin{tabular}[t]{@{}l@{}}" + body + r"\end{tabular}"


def _exp_lines(e: Exponent | None, base: sp.Symbol) -> list[str]:
    """An exponent as cell lines: the power of the budget, then its log factor (and for
    ``M = oo`` the lower bound), so that no cell is wider than one factor."""
    if e is None:
        return ["--"]
    if e.relation == "inf":
        if e.lower is None:
            return [r"\infty"]
        # "oo (>~ lower)": any M above the lower bound attains the optimal rate
        low = _exp_lines(Exponent(*e.lower), base)
        low[0] = rf"\infty\ (\gtrsim {low[0]}"
        low[-1] += ")"
        return low
    # Exponent.to_latex joins the factors with one space before the log factor
    return [
        (r"\cdot " if i else "") + part
        for i, part in enumerate(re.split(r" (?=\(\\log |\\log )", e.to_latex(base)))
    ]


def _condition_lines(cond) -> list[str]:
    """A region's condition, one conjunct per line (the Piecewise conditions are ``And``s)."""
    if cond == sp.true:
        return [r"\text{any}"]
    if isinstance(cond, sp.And):
        args = [sp.latex(a) for a in cond.args]
        return [args[0]] + [rf"\wedge {a}" for a in args[1:]]
    return [sp.latex(cond)]


def scaling_table_latex(results: list[ScalingResult], budget: str) -> str:
    """A ``booktabs`` ``longtable`` of every schedule x region for one budget.

    Each exponent is stacked in its cell (the budget's power above its log factor) and each
    region's conditions one per line, so that the compute table (seven columns) fits a
    portrait text width; the table is a ``longtable`` (LaTeX's ``tools``) because a dozen
    schedules with up to six regions each are taller than a page.
    """
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
    head = " & ".join(["LRS", "region"] + [f"${_NAMES_TEX[c]}$" for c in cols]) + " \\\\"
    caption = f"Optimal exponents, {budget}-limited budget (derived by fsltheory)."
    lines = [
        "\\begingroup\\footnotesize",
        "\\setlength{\\tabcolsep}{4pt}",
        "\\renewcommand{\\arraystretch}{1.3}",
        "\\begin{longtable}{" + "l" * (2 + len(cols)) + "}",
        f"\\caption{{{caption}}} \\\\",
        "\\toprule",
        head,
        "\\midrule",
        "\\endfirsthead",
        # on the following pages: the header again, so a column is never unnamed
        "\\toprule",
        head,
        "\\midrule",
        "\\endhead",
        "\\bottomrule",
        "\\endlastfoot",
    ]
    for res in results:
        for reg in res.regions:
            cells = [res.schedule, _stack(_condition_lines(reg.condition))]
            cells += [_stack(_exp_lines(reg.values.get(c), base)) for c in cols]
            lines.append(" & ".join(cells) + " \\\\")
        lines.append("\\midrule")
    lines.pop()  # the foot draws the last rule
    lines += ["\\end{longtable}", "\\endgroup", ""]
    return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


# Portrait A4 with a paper's margins; \allowdisplaybreaks lets the long align* of a
# schedule with six regions break across pages instead of overflowing one.
_PREAMBLE = r"""\documentclass[a4paper,10pt]{article}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs,longtable}
\allowdisplaybreaks
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
        "\\subsection*{Optimal exponents}",
        "\\input{snippets/table-data}",
        "\\input{snippets/table-compute}",
        # the tables float; the per-schedule derivations start after them
        "\\clearpage",
        "\\section*{Derivations by schedule}",
    ]
    # one subsection per schedule: its reduced objective, then its data and compute optima
    for label in schedules:
        slug = _slug(label)
        body += [
            f"\\subsection*{{{label}}}",
            "Reduced objective:",
            f"\\input{{snippets/objective-{slug}}}",
            "Optimum under a data budget, then a compute budget:",
            f"\\input{{snippets/result-{slug}-data}}",
            f"\\input{{snippets/result-{slug}-compute}}",
        ]
    body += ["\\end{document}", ""]
    main.write_text("\n".join(body))
    return [main, *paths]
