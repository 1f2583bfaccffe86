"""Benchmarks for the adjoint engine and the free-form optimiser (issue #9).

Run ``PYTHONPATH=. python scripts/bench_optimal.py`` from the repository root (``--quick``
for a tiny smoke run, ``--big`` to add the N = 1e6 optimisation, ``--fd-steps N`` to time
the old finite-difference optimiser at a smaller horizon and extrapolate).  Times are process CPU
seconds (one core: the numba and BLAS thread pools are pinned to one thread below), since
wall time on a shared machine measures the neighbours; every ratio is measured in this run.
"""

from __future__ import annotations

import os

# one core: numba's and the BLAS thread pools (scipy's L-BFGS-B) pinned before any import
for _var in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402


def cpu(fn, *args, repeat: int = 1, **kw):
    """Smallest CPU time of ``repeat`` calls (process time), and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn(*args, **kw)
        best = min(best, time.process_time() - t0)
    return best, out


def bench_gradient(steps: int, M: int) -> None:
    """One adjoint gradient vs one forward pass of ``expected_risk`` on the same rule."""
    import numpy as np

    from fsltheory import PowerLawModel, expected_risk
    from fsltheory.optimal import compressed_spectrum, exact_final_risk, exact_gradient

    m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=M)
    lrs = 0.03 * (1.0 - np.arange(steps) / steps) ** 2 + 1e-4
    sp = compressed_spectrum(m, float(np.sum(lrs)))  # the rule expected_risk builds
    exact_gradient(m, lrs[:100], spectrum=sp)  # compile / load the kernels
    rep = 15 if steps <= 100_000 else 7  # the minimum of several: this machine is noisy
    t_g, g = cpu(exact_gradient, m, lrs, spectrum=sp, check_stability=False, repeat=rep)
    t_e, c = cpu(expected_risk, m, lrs, record=[steps], check_stability=False, repeat=rep)
    t_f, _ = cpu(exact_final_risk, m, lrs, spectrum=sp, check_stability=False, repeat=rep)
    assert abs(g.value / c.final - 1.0) < 1e-12
    print(
        f"gradient  N={steps:.2g} M={M:.0e} nodes={g.meta['nodes']} ({g.meta['storage']}, "
        f"segment {g.meta['segment']}): gradient {1e3 * t_g:.2f} ms, expected_risk "
        f"{1e3 * t_e:.2f} ms -> ratio {t_g / t_e:.2f} (<= 3 required); raw forward loop "
        f"{1e3 * t_f:.2f} ms -> ratio {t_g / t_f:.2f}"
    )


def bench_fsl_gradient(steps: int, M: int) -> None:
    """One adjoint gradient of the physical-time FSL vs one ``fsl_curve`` pass (proxy kernel)."""
    import numpy as np

    from fsltheory import PowerLawModel, fsl_curve
    from fsltheory.optimal import fsl_gradient

    m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=M)
    lrs = 0.03 * (1.0 - np.arange(steps) / steps) ** 2 + 1e-4  # a new rate at every step
    fsl_gradient(m, lrs[:100], check_stability=False)  # compile / load the kernels
    fsl_curve(m, lrs[:100], record=[100], check_stability=False)
    rep = 15 if steps <= 100_000 else 5
    t_g, g = cpu(fsl_gradient, m, lrs, check_stability=False, repeat=rep)
    t_f, c = cpu(fsl_curve, m, lrs, record=[steps], check_stability=False, repeat=rep)
    assert abs(g.value / c.final - 1.0) < 1e-10
    print(
        f"FSL gradient N={steps:.2g} M={M:.0e} rates={g.meta['nodes']} ({g.meta['storage']}): "
        f"gradient {1e3 * t_g:.2f} ms, fsl_curve {1e3 * t_f:.2f} ms -> ratio {t_g / t_f:.2f} "
        "(<= 3 required)"
    )


def bench_optimise(steps: int, M: int, fd_steps: int | None, big: bool) -> None:
    """Full optimisation (easy and hard regime), baseline tables, starts, FD speed-up."""
    from fsltheory import PowerLawModel
    from fsltheory.optimal import optimize_schedule

    results = {}
    for name, s, beta in (("easy", 1.0, 2.0), ("hard", 0.5, 4.0)):
        m = PowerLawModel(beta=beta, s=s, sigma2=1.0, M=M)
        t, opt = cpu(optimize_schedule, m, steps, rng=0)
        d = opt.diagnostics
        results[name] = (t, opt)
        print(f"\n## {name} regime (s={s}, beta={beta}), N={steps}, M={M:.0e}, B=1")
        print(
            f"CPU {t:.1f} s total: optimiser {d['optimise_cpu_seconds']:.1f} s "
            f"({sum(d['evaluations'])} gradients, iterations {d['iterations']}), "
            f"baseline tuning {d['baseline_seconds']:.1f} s wall; cap {opt.cap:.4g}"
        )
        print(
            f"starts: {[f'{x:.6e}' for x in d['starts_final']]}, spread "
            f"{100 * d['starts_spread']:.4f}% (< 0.5% required); converged {d['converged']}; "
            f"projected grad norms {[f'{x:.1e}' for x in d['grad_norm']]}"
        )
        print(opt.table())
        lrs = opt.lrs
        marks = [0, steps // 100, steps // 10, steps // 2, (9 * steps) // 10, steps - 1]
        print("lr/cap at steps", marks, ":", [round(float(lrs[k] / opt.cap), 4) for k in marks])
    if big:
        m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=M)
        t, opt = cpu(optimize_schedule, m, 1_000_000, rng=0, starts=2)
        print(
            f"\nN=1e6 (easy, 2 starts): CPU {t:.0f} s (<= 300 s required), final "
            f"{opt.final_risk:.6e}, best baseline {opt.best_baseline.name} "
            f"{opt.best_baseline.final_risk:.6e}"
        )
    if fd_steps is not None:
        t_new, opt = results["easy"]
        bench_fd(fd_steps, steps, M, t_new, opt.final_risk)


def bench_fd(fd_steps: int, steps: int, M: int, t_new: float, risk_new: float) -> None:
    """The old finite-difference optimiser (``fsltheory.surrogate.model_objective`` with the
    exact engine: 24 monotone knots, forward differences, L-BFGS-B) three ways.

    (a) as the CLI ran it, at ``steps``.  Its L-BFGS-B stops on an absolute ``ftol`` while
    the risk is ~1e-3, so it stops after a few iterations far from the optimum.
    (b) on ``log`` of the same objective (scale-free, so that it actually converges), at
    ``fd_steps`` and extrapolated linearly to ``steps``: each iteration costs 25 forward
    passes of ``O(N x nodes)`` and, at a fixed number of knots, the iteration count does not
    grow with ``N`` (measured: 8e3 vs 3.2e4 steps within ~20%).
    (d) see :func:`bench_time_to_quality`.
    (c) one finite-difference gradient on the adjoint optimiser's own 48-knot free
    parametrisation (49 forward passes) vs one adjoint gradient, and the same at per-step
    resolution (``N + 1`` forward passes, extrapolated).

    Measured (N = 3.2e4, M = 1e9): (a) and (b) stop within ~10 iterations at a final risk
    8-11x above the adjoint optimum (their monotone decrements start from baselines at the
    cap and the forward differences see no descent), so their run times are no measure of
    the cost of an optimum; (c) is the like-for-like cost: ~10x per gradient at 48 knots,
    ~7e3x at per-step resolution.
    """
    import math

    import numpy as np

    from fsltheory import PowerLawModel, max_stable_lr
    from fsltheory.optimal import compressed_spectrum, exact_final_risk, exact_gradient
    from fsltheory.surrogate.model_objective import kernel_objective
    from fsltheory.surrogate.optimize import optimize_law_schedule as fd_optimise

    m = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=M)
    peak = 0.99 * max_stable_lr(m)
    f = kernel_objective(2.0, 1.0, 1.0, M, steps, engine="exact")
    t_a, res = cpu(fd_optimise, f, steps, peak, knots=24, curves=False)
    print(
        f"\n(a) legacy FD optimiser, N={steps}: CPU {t_a:.1f} s, {res.info['iterations']} "
        f"iterations, final {res.final_loss:.4e} ({res.final_loss / risk_new:.2f}x the adjoint "
        f"optimum {risk_new:.4e}); the adjoint optimiser took {t_new:.1f} s "
        f"({t_a / t_new:.2f}x)"
    )
    bench_time_to_quality(m, steps, res.final_loss, t_a)
    f_small = kernel_objective(2.0, 1.0, 1.0, M, fd_steps, engine="exact")

    def f_log(lrs):
        return math.log(f_small(lrs))

    f_log.__name__ = "log final risk"
    t_b, res_b = cpu(fd_optimise, f_log, fd_steps, peak, knots=24, curves=False)
    t_b_ext = t_b * steps / fd_steps
    print(
        f"(b) legacy FD optimiser on log(risk), N={fd_steps}: CPU {t_b:.1f} s, "
        f"{res_b.info['iterations']} iterations, final {math.exp(res_b.final_loss):.4e} "
        f"(the adjoint optimum at N={steps} is {risk_new:.4e}); "
        f"extrapolated to N={steps}: {t_b_ext:.0f} s -> adjoint optimiser "
        f"{t_b_ext / t_new:.1f}x faster end to end (>= 50x asked)"
    )
    lrs = 0.03 * (1.0 - np.arange(steps) / steps) ** 2 + 1e-4
    sp = compressed_spectrum(m, peak * steps)
    t_g, _ = cpu(exact_gradient, m, lrs, spectrum=sp, check_stability=False, repeat=10)
    t_f, _ = cpu(exact_final_risk, m, lrs, spectrum=sp, check_stability=False, repeat=10)
    print(
        f"(c) one gradient, N={steps}: adjoint {1e3 * t_g:.1f} ms; finite differences on 48 "
        f"knots {49e3 * t_f:.0f} ms ({49 * t_f / t_g:.0f}x); per step "
        f"{(steps + 1) * t_f:.0f} s ({(steps + 1) * t_f / t_g:.0f}x)"
    )


def bench_time_to_quality(m, steps: int, legacy_final: float, t_legacy: float) -> None:
    """(d) the adjoint optimiser's core (48 log-knots, L-BFGS-B, no baseline warm start) from
    four random starts: CPU time until its risk is at most the legacy optimiser's final risk,
    and until it converges, against the legacy optimiser's whole run (a).  The like-for-like
    end-to-end comparison: the legacy run never reaches the adjoint optimum at all."""
    import math

    import numpy as np

    from fsltheory.optimal import compressed_spectrum, exact_gradient
    from fsltheory.optimal.knots import LogKnots
    from fsltheory.optimal.optimize import (
        LR_FLOOR,
        SAFETY,
        multistart,
        random_start,
        stability_cap,
    )

    cap = stability_cap(m, 1, None, SAFETY)
    sp = compressed_spectrum(m, cap * steps)
    par = LogKnots(steps, 48, LR_FLOOR * cap, cap, monotone=False)
    for seed in range(4):
        x0 = par.from_lrs(random_start(np.random.default_rng(seed), steps, cap))
        reached: list[float] = []
        c0 = time.process_time()

        def grad(lrs, reached=reached, c0=c0):
            g = exact_gradient(m, lrs, spectrum=sp, check_stability=False)
            if not reached and g.value <= legacy_final:
                reached.append(time.process_time() - c0)
            return g.value, g.lr

        # the optimiser's own objective and L-BFGS-B settings, one start
        [res] = multistart(par.log_objective(grad), [x0], par.bounds, 300)
        t_all = time.process_time() - c0
        when = (
            f"reached after {1e3 * reached[0]:.0f} ms CPU ({t_legacy / reached[0]:.0f}x faster "
            "than the legacy run)"
            if reached
            else "not reached"
        )
        print(
            f"(d) adjoint core, random start {seed}: legacy's final risk {when}, converged at {math.exp(res.fun):.4e} ({legacy_final / math.exp(res.fun):.1f}x "
            f"lower) after {t_all:.2f} s, {res.nfev} gradients ({t_legacy / t_all:.1f}x faster)"
        )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--big", action="store_true", help="also optimise at N = 1e6 (minutes)")
    p.add_argument("--fd-steps", type=int, default=None, help="horizon of the converged FD run (b)")
    a = p.parse_args(argv)
    steps, M = (200, 200) if a.quick else (32_000, 10**9)
    fd = a.fd_steps if a.fd_steps is not None else (200 if a.quick else 8_000)
    bench_gradient(steps, M)
    bench_fsl_gradient(steps, M)
    if not a.quick:
        bench_gradient(1_000_000, M)
        bench_fsl_gradient(1_000_000, M)
    bench_optimise(steps, M, fd, a.big and not a.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
