"""Benchmarks for the numeric core (issue #2): prints ratios measured in this run.

Run ``python scripts/bench_core.py`` (``--quick`` for a tiny smoke run).  Each section
times fsltheory against a simple reference measured in the same process and prints the
absolute time and the ratio; the tests check correctness, not time.
"""

from __future__ import annotations

import argparse
import time


def timed(fn, *args, repeat: int = 1, **kw):
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_exact(quick: bool) -> None:
    """Exact engine, M = 1e6 and N = inf, K = 1e6 WSD steps vs the plain full recursion."""
    import numpy as np

    from fsltheory import WSD, PowerLawModel, expected_risk

    M, steps = (10_000, 10_000) if quick else (1_000_000, 1_000_000)
    model = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=M)
    sched = WSD(peak=0.1, decay=0.2, final=0.001, shape="exponential")
    expected_risk(model, sched, 10)  # load the compiled kernels
    t_fast, curve = timed(expected_risk, model, sched, steps, record=1000, repeat=3)

    def plain(n_steps: int) -> np.ndarray:
        """Reference §8.1 on every mode, one vectorised numpy step at a time."""
        lam = model.eigenvalues()
        m = model.theta_star() ** 2
        tail, sigma2 = model.tail_error(), model.sigma2
        lrs = sched.lrs(steps)
        risk = np.empty(n_steps + 1)
        for k in range(n_steps + 1):
            total = lam @ m + tail
            risk[k] = 0.5 * total
            if k == n_steps:
                break
            eta = lrs[k]
            m = (1 - eta * lam) ** 2 * m + eta**2 * (lam * (total + sigma2) + lam**2 * m)
        return risk

    n_slice = 20 if quick else 50
    t_slice, ref = timed(plain, n_slice)
    t_plain = t_slice * steps / n_slice
    head = expected_risk(model, sched, steps, record=np.arange(n_slice + 1))
    err = float(np.max(np.abs(head.excess_risk / ref - 1)))
    print(
        f"[exact] M={M} (N=inf) x K={steps} WSD, one core: expected_risk {t_fast:.3f} s "
        f"({curve.meta['method']}, {curve.meta['nodes']} nodes; target <= 1 s at full size); "
        f"plain numpy full spectrum ~{t_plain:.0f} s (timed on {n_slice} steps, "
        f"extrapolated); ratio {t_plain / t_fast:.0f}x (target >= 1000x); "
        f"max rel. diff on those steps {err:.1e}; final excess risk {curve.final:.6g}"
    )


def bench_constant(quick: bool) -> None:
    """A constant rate as matrix powers vs the compiled step-by-step recursion, same run."""
    import numpy as np

    from fsltheory import Constant, PowerLawModel, expected_risk

    model = PowerLawModel(beta=2.0, s=1.0, sigma2=1.0, M=10**9)
    steps = 10**6 if quick else 10**7
    eta = 0.01
    expected_risk(model, np.full(1000, eta), record=[1000])  # numba's cache, loaded once
    t_pow, fast = timed(expected_risk, model, Constant(peak=eta), steps, record=[steps], repeat=3)
    # an array is never run as powers: the same recursion, step by step
    t_step, slow = timed(expected_risk, model, np.full(steps, eta), record=[steps])
    # repeat: the first call also builds the spectrum rule for this horizon (cached after)
    t_huge, huge = timed(
        expected_risk, model, Constant(peak=1e-9), 10**15, record=[10**15], repeat=2
    )
    print(
        f"[constant] K={steps} constant-rate steps, M=1e9 compressed "
        f"({fast.meta['nodes']} nodes): matrix powers {1e3 * t_pow:.1f} ms, step by step "
        f"{t_step:.2f} s; ratio {t_step / t_pow:.0f}x; rel. diff "
        f"{abs(fast.final / slow.final - 1):.1e}; K=1e15 as powers {1e3 * t_huge:.1f} ms "
        f"(risk {huge.final:.4g})"
    )


def bench_mc(quick: bool) -> None:
    """Monte Carlo on the B.1 workload: 200 runs x M = 128 x 1e4 steps."""
    import numpy as np

    from fsltheory import Cosine, PowerLawModel, simulate_sgd

    # Appendix B.1: M = N = 128 top features, sigma = 3, batch 1, cosine from peak 0.01
    runs, steps = (20, 1000) if quick else (200, 10_000)
    model = PowerLawModel(beta=3.0, s=0.5, sigma2=9.0, M=128, N=128)
    sched = Cosine(peak=0.01, final=0.001)
    simulate_sgd(model, sched, 10, runs=2, rng=0)  # load the compiled kernels
    t_fast, curve = timed(simulate_sgd, model, sched, steps, runs=runs, rng=0, repeat=3)

    def plain(n_steps: int) -> np.ndarray:
        """The textbook loop: all runs at once, one numpy step at a time (same model)."""
        rng = np.random.default_rng(0)
        lam, theta = model.eigenvalues(), model.theta_star()
        sq, tail, sigma = np.sqrt(lam), model.tail_error(), np.sqrt(model.sigma2)
        lrs = sched.lrs(steps)
        v = np.zeros((runs, model.M))
        risk = np.empty((n_steps, runs))
        for k in range(n_steps):
            risk[k] = 0.5 * (((v - theta) ** 2) @ lam + tail)
            x = rng.standard_normal((runs, model.M)) * sq
            y = x @ theta + np.sqrt(tail) * rng.standard_normal(runs)
            y += sigma * rng.standard_normal(runs)
            v -= lrs[k] * (np.einsum("ij,ij->i", x, v) - y)[:, None] * x
        return risk

    n_slice = max(50, steps // 20)
    t_slice, _ = timed(plain, n_slice)
    t_plain = t_slice * steps / n_slice
    print(
        f"[mc]    {runs} runs x M={model.M} x K={steps}: simulate_sgd {t_fast:.2f} s "
        f"(target <= 3 s at full size); plain numpy loop ~{t_plain:.1f} s "
        f"(timed on {n_slice} steps, extrapolated); ratio {t_plain / t_fast:.0f}x; "
        f"final excess risk {curve.final:.5f} +- {curve.excess_risk_se[-1]:.5f}"
    )


def bench_fsl(quick: bool) -> None:
    """FSL curve for K = 1e6 steps vs the naive O(K^2) double sum."""
    import numpy as np

    from fsltheory import Cosine, PowerLawModel, fsl_curve

    # B.1 model (M = N = 128, sigma^2 = 9), cosine 0.01 -> 0.001, physical time, every step
    steps = 20_000 if quick else 1_000_000
    model = PowerLawModel(beta=3.0, s=0.5, sigma2=9.0, M=128, N=128)
    sched = Cosine(peak=0.01, final=0.001)
    # the naive finite kernel sums 128 modes per pair (i, k): time it on fewer steps
    for kernel, n_naive in (("proxy", 5_000), ("finite", 1_500)):
        n_naive = min(n_naive, 1_000) if quick else n_naive
        fsl_curve(model, sched, 10, kernel=kernel)  # load the compiled kernels
        t_fast, curve = timed(fsl_curve, model, sched, steps, kernel=kernel, repeat=3)
        t_small, naive = timed(fsl_curve, model, sched, n_naive, kernel=kernel, method="naive")
        small = fsl_curve(model, sched, n_naive, kernel=kernel)
        err = float(np.max(np.abs(small.excess_risk / naive.excess_risk - 1)))
        t_naive = t_small * (steps / n_naive) ** 2
        print(
            f"[fsl]   K={steps} cosine, {kernel} kernels, full curve: fsl_curve {t_fast:.3f} s "
            f"({curve.meta['nodes']} exp-sum nodes; target <= 1 s at full size); naive O(K^2) "
            f"~{t_naive:.0f} s (timed {t_small:.2f} s at K={n_naive}, extrapolated as K^2); "
            f"ratio {t_naive / t_fast:.0f}x; fast vs naive at K={n_naive}: {err:.1e}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", choices=["exact", "constant", "mc", "fsl"], default=None)
    args = parser.parse_args(argv)
    sections = [("exact", bench_exact), ("constant", bench_constant), ("mc", bench_mc)]
    for name, fn in (*sections, ("fsl", bench_fsl)):
        if args.only in (None, name):
            fn(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
