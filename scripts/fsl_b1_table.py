"""FSL vs the exact expected risk in the paper's B.1 setting: a Markdown error table.

Setting (Appendix B.1, reference §5): top-M features with M = N = 128, sigma^2 = 9, B = 1,
10^4 steps, peak learning rate 0.01; cosine to 0.001, WSD (last 20% an exponential decay to
0.001, the shape of eq. 25) and a triangular cyclic schedule (0.01 <-> 0.001, period 3000);
(s, beta) in {(0.5, 1.5), (0.5, 3), (0.5, 5), (0.8, 3), (0.8, 5)}.  The target is the exact
expected excess risk (:func:`fsltheory.expected_risk`), not a Monte-Carlo mean.

For each case the physical-time FSL (B.1's discretisation) is fitted by least squares over
the steps after the first 1% and the table reports the max relative error over those steps:

* proxy kernels ``e = (1+t)^-s, K = (1+t)^-(2-1/beta)`` with OLS (the paper's fit) and with
  non-negative least squares;
* finite kernels ``e_M, K_M`` with OLS, and with every constant fixed at 1/2 (no fit: the
  first-order Neumann truncation of the exact dynamics), next to the Neumann bound
  ``peak * tr(H)`` on the first omitted order.

Run ``python scripts/fsl_b1_table.py`` (``--quick``: 2000 steps, two cases).
"""

from __future__ import annotations

import argparse
import time

#: the paper's B.1 (s, beta) panels (Figure 3)
B1_EXPONENTS = ((0.5, 1.5), (0.5, 3.0), (0.5, 5.0), (0.8, 3.0), (0.8, 5.0))
B1_STEPS = 10_000
B1_SIGMA2 = 9.0
B1_M = 128
B1_PEAK = 0.01


def b1_schedules() -> dict:
    """The three B.1 schedules (Figure 3 top-left, read from the plot)."""
    from fsltheory import WSD, Cosine, Cyclic

    return {
        "cosine": Cosine(peak=B1_PEAK, final=0.001),
        "wsd": WSD(peak=B1_PEAK, decay=0.2, final=0.001, shape="exponential"),
        "cyclic": Cyclic(peak=B1_PEAK, low=0.001, period=3000),
    }


def b1_rows(steps: int = B1_STEPS, exponents=B1_EXPONENTS, skip: float = 0.01) -> list[dict]:
    """One dict per (s, beta, schedule) with the fit errors described in the module doc."""
    import numpy as np

    from fsltheory import PowerLawModel, expected_risk, fit_fsl, fsl_terms

    rows = []
    for s, beta in exponents:
        model = PowerLawModel(beta=beta, s=s, sigma2=B1_SIGMA2, M=B1_M, N=B1_M)
        for name, sched in b1_schedules().items():
            target = expected_risk(model, sched, steps)
            fits = {
                (kernel, solver): fit_fsl(
                    target, model, sched, steps, kernel=kernel, solver=solver, skip=skip
                )
                for kernel, solver in (("proxy", "ols"), ("proxy", "nnls"), ("finite", "ols"))
            }
            # the finite FSL with every constant 1/2, no fit at all
            terms = fsl_terms(model, sched, steps, kernel="finite", record=target.step)
            half = 0.5 * sum(terms.values())
            sel = target.step >= fits["finite", "ols"].window
            y = target.excess_risk[sel]
            rows.append(
                {
                    "s": s,
                    "beta": beta,
                    "schedule": name,
                    "proxy_ols": fits["proxy", "ols"].max_rel_err,
                    "proxy_ols_coef": fits["proxy", "ols"].coef,
                    "proxy_nnls": fits["proxy", "nnls"].max_rel_err,
                    "finite_ols": fits["finite", "ols"].max_rel_err,
                    "finite_ols_coef": fits["finite", "ols"].coef,
                    "finite_half": float(np.max(np.abs(half[sel] / y - 1.0))),
                    "neumann": float(sched.peak * model.trace_H()),
                }
            )
    return rows


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table (errors in %)."""
    head = (
        "| s | β | schedule | proxy, OLS | proxy, NNLS | finite, OLS | finite OLS (c1, c2, c3) "
        "| finite, c = ½ (no fit) | Neumann bound η·tr(H) |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        neg = " (c<0)" if min(r["proxy_ols_coef"]) < 0 else ""
        c = ", ".join(f"{x:.3f}" for x in r["finite_ols_coef"])
        lines.append(
            f"| {r['s']:g} | {r['beta']:g} | {r['schedule']} | {100 * r['proxy_ols']:.1f}%{neg} "
            f"| {100 * r['proxy_nnls']:.1f}% | {100 * r['finite_ols']:.3f}% | ({c}) "
            f"| {100 * r['finite_half']:.2f}% | {100 * r['neumann']:.2f}% |"
        )
    return head + "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2000 steps, two cases")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.quick:
        rows = b1_rows(2000, exponents=B1_EXPONENTS[:2])
    else:
        rows = b1_rows()
    print(markdown_table(rows))
    steps = 2000 if args.quick else B1_STEPS
    print(
        f"\nMax relative error of the fitted FSL over steps k >= 1% of K = {steps} "
        f"(exact target; {len(rows)} cases; {time.perf_counter() - t0:.1f} s)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
