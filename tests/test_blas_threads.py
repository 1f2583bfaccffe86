"""Surrogate fits run their linear algebra on one BLAS thread (``fsltheory._util.threads``)."""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits

from fsltheory import MPL_TRAIN, MomentumLaw, load_mpl_curves
from fsltheory.surrogate.across import fit_across_sizes


def _blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


class _Spy(MomentumLaw):
    seen: list = []

    def _evaluate(self, p, theta, jac=True):
        _Spy.seen.append(_blas_threads())
        return super()._evaluate(p, theta, jac=jac)

    def design(self, p, phi):  # the joint fit's evaluations
        _Spy.seen.append(_blas_threads())
        return super().design(p, phi)


def test_fits_use_one_blas_thread_and_restore_the_pool():
    curves = [load_mpl_curves(25)[n] for n in MPL_TRAIN]
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        # a BLAS pool must be found, or the comparisons below hold vacuously
        assert before == [2] * len(before) and len(before) >= 1, before
        _Spy.seen = []
        _Spy().fit(curves, starts=1, rng=0)
        assert _Spy.seen and all(t == [1] * len(before) for t in _Spy.seen)
        # the joint fit too; and the caller's pool is back afterwards
        by = {s: [load_mpl_curves(s)[n] for n in MPL_TRAIN] for s in (25, 100)}
        _Spy.seen = []
        fit_across_sizes(_Spy(), by, design=4, polish=1)
        assert _Spy.seen and all(t == [1] * len(before) for t in _Spy.seen)
        assert _blas_threads() == before
