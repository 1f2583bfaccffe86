"""SymPy derivations: kernel asymptotics, reduced objectives, optimal scaling exponents.

Everything here is derived by SymPy from the FSL (reference §2.4, §3, §8.3), not typed in.
"""

__all__: list[str] = []

from .asymptotics import (
    KernelAsymptotic,
    constant_lr_noise,
    exp_decay_noise_I1,
    exp_decay_noise_I2,
    forgetting_asymptotic,
    signal_asymptotic,
    wsd_forgetting_bound,
)

__all__ += [
    "KernelAsymptotic",
    "constant_lr_noise",
    "exp_decay_noise_I1",
    "exp_decay_noise_I2",
    "forgetting_asymptotic",
    "signal_asymptotic",
    "wsd_forgetting_bound",
]
