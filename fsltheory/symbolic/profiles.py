"""Each schedule family's intrinsic-time description, as SymPy (reference §2.2, §3).

:func:`intrinsic_profile` maps a schedule instance to its :class:`IntrinsicProfile` (the
step profile ``eta_k / peak = f(u)``, how it ends, its final rate); the reduced objective
and the optimal exponents of :func:`fsltheory.derive_scaling` are derived from it alone.
The schedule classes stay numeric (the engines import them); their symbolic side lives
here, one registered function per family, so that nothing below this layer loads SymPy.
"""

from __future__ import annotations

from functools import singledispatch

import sympy as sp

from fsltheory.schedules import (
    WSD,
    Constant,
    Cosine,
    Cyclic,
    Exponential,
    Linear,
    MultiStep,
    Power,
    Schedule,
)
from fsltheory.schedules.registry import SUPPORTED_SPECS, schedule_from_spec
from fsltheory.symbolic.profile import (
    IntrinsicProfile,
    K,
    U,
    V,
    decay_profile,
    exact,
    exact_rational,
    flat_profile,
    wsd_profile,
)

__all__ = ["intrinsic_profile", "supported_schedules"]


@singledispatch
def intrinsic_profile(sched: Schedule) -> IntrinsicProfile:
    """Symbolic intrinsic-time description of a schedule (an :class:`IntrinsicProfile`).

    Raises
    ------
    ValueError
        For a schedule without a family description (an array of learning rates).
    """
    raise ValueError(
        f"{type(sched).__name__} has no intrinsic-time description: scaling exponents "
        "exist for the parametric families only"
    )


@intrinsic_profile.register
def _constant(sched: Constant) -> IntrinsicProfile:
    """``gamma(t) = peak/B`` throughout: the final learning rate is the peak (Theorem 5.2)."""
    return flat_profile("constant", 1, 1)


@intrinsic_profile.register
def _cyclic(sched: Cyclic) -> IntrinsicProfile:
    """Triangular wave of a fixed period in steps.

    Each half-period lasts a fixed number of steps, so a descent forgets noise only over
    ``O(gamma * period)`` intrinsic time: the noise stays ``~ gamma`` as for a constant
    learning rate.  The recorded final ratio is the wave's mean level.
    """
    rho = exact(sched.low / sched.peak)
    phase = sp.Mod(U * K / sched.period, 1)
    shape = rho + (1 - rho) * sp.Abs(1 - 2 * phase)
    return flat_profile("cyclic", shape, (1 + rho) / 2, note="fixed period: constant-like")


@intrinsic_profile.register
def _exponential(sched: Exponential) -> IntrinsicProfile:
    """Linear in intrinsic time, to the paper's final rate ``b = a/K`` (Theorem 5.3).

    The exponents follow the paper's scaling choice ``b = a/K``; this instance's
    ``final`` is a number and is not used.
    """
    return decay_profile("exponential", K**-V, note="final LR b = a/K (Theorem 5.3)")


@intrinsic_profile.register
def _multistep(sched: MultiStep) -> IntrinsicProfile:
    """Piecewise-constant; the last level ``factor[-1] * peak`` is held to the end.

    The final phase is flat, so the noise it leaves is ``~ factor[-1] * gamma``, like a
    constant learning rate (a last level of 0 falls back to the last positive one).
    """
    levels = [1, *(exact(f) for f in sched.factor)]
    edges = [exact(a) for a in sched.at]
    shape = sp.Piecewise(
        *[(lv, U < e) for lv, e in zip(levels, edges, strict=False)], (levels[-1], True)
    )
    last = next(lv for lv in reversed(levels) if lv != 0)
    return flat_profile("multistep", shape, last, note="last level held: constant-like")


@intrinsic_profile.register
def _wsd(sched: WSD) -> IntrinsicProfile:
    """Stable phase, then the decay shape over the free fraction ``r`` (eq. 25, Theorem 5.4).

    ``shape='exponential'`` follows the paper's ``b = a/K``; the other shapes decay to
    ``final`` (zero or a floor).  The decay fraction is the balancing variable ``r``:
    this instance's ``decay`` is not used.
    """
    if sched.shape == "exponential":
        return wsd_profile("wsd", K**-V, note="exponential decay to b = a/K (Theorem 5.4)")
    rho = exact(sched.final / sched.peak)
    decay = {
        "linear": 1 - (1 - rho) * V,
        "cosine": rho + (1 - rho) * (1 + sp.cos(sp.pi * V)) / 2,
        "1-sqrt": rho + (1 - rho) * (1 - sp.sqrt(V)),
    }[sched.shape]
    name = f"wsd-{sched.shape}" + ("" if rho == 0 else "-floor")
    return wsd_profile(name, decay)


@intrinsic_profile.register
def _power(sched: Power) -> IntrinsicProfile:
    """``eta/peak = rho + (1 - rho)(1 - u)^p``; to zero or to a floor ``rho``."""
    rho, p = exact(sched.final / sched.peak), exact_rational(sched.p)
    name = f"power-{p}" if rho == 0 else f"power-{p}-floor"
    return decay_profile(name, rho + (1 - rho) * (1 - V) ** p)


@intrinsic_profile.register
def _linear(sched: Linear) -> IntrinsicProfile:
    """``eta/peak = 1 - (1 - rho) u``; to zero (``rho = 0``) or to a floor ``rho``."""
    rho = exact(sched.final / sched.peak)
    return decay_profile("linear" if rho == 0 else "linear-floor", 1 - (1 - rho) * V)


@intrinsic_profile.register
def _cosine(sched: Cosine) -> IntrinsicProfile:
    """``eta/peak = rho + (1 - rho)(1 + cos(pi u))/2``; to zero or to a floor ``rho``."""
    rho = exact(sched.final / sched.peak)
    shape = rho + (1 - rho) * (1 + sp.cos(sp.pi * V)) / 2
    return decay_profile("cosine" if rho == 0 else "cosine-floor", shape)


def supported_schedules() -> dict:
    """``{family label: schedule}`` for every spec of :data:`SUPPORTED_SPECS`."""
    out = {}
    for spec in SUPPORTED_SPECS:
        sched = schedule_from_spec(spec)
        out[intrinsic_profile(sched).family] = sched
    return out
