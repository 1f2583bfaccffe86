"""The power-law kernel regression model (reference §1; paper Section 2-3).

Features are Gaussian, ``phi(x) ~ N(0, H)`` with ``H = diag(lambda_j)``, and the model is
``f(x; v) = <v, W phi(x)>`` with either the top-M features (``W = [I_M, 0]``) or M random
Gaussian features (``W_ij ~ N(0, 1)``).  The target follows the source condition with the
exact choice

.. math:: \\lambda_j = j^{-\\beta}, \\qquad \\theta^*_j = j^{-(1 + s\\beta - \\beta)/2},
   \\qquad \\lambda_j \\theta_j^{*2} = j^{-1 - s\\beta},

so that Assumptions 2.3 and 2.5 hold with all constants equal to one.  The excess risk is
``E(v) = 1/2 ||W^T v - theta*||_H^2`` (eq. 3), i.e. the population risk minus ``sigma2/2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from fsltheory._util.rng import RNGLike, as_generator, projection_generator, root_seed
from fsltheory._util.validate import (
    check_at_least,
    check_choice,
    check_greater,
    check_int,
    check_memory,
)
from fsltheory._util.zeta import hurwitz_zeta as zeta

__all__ = ["PowerLawModel", "check_model"]

Features = Literal["top", "random"]


def _power_sum(x: float, first: int, last: float) -> float:
    """``sum_{j=first}^{last} j^-x`` for ``x > 1``, ``last = inf`` allowed, stable for any x."""
    if last < first:
        return 0.0
    if x > 100.0 or not math.isfinite(x):
        # terms fall by at least 2^-100 each: a few direct terms are exact to round-off,
        # where Euler-Maclaurin would divide by x - 1 = inf
        stop = first + 40 if math.isinf(last) else min(int(last), first + 40)
        return math.fsum(float(j) ** -x for j in range(first, stop + 1))
    head = float(zeta(x, first))
    if math.isinf(last):
        return head
    # head and tail can agree to round-off: the difference is a sum of positive terms
    return max(head - float(zeta(x, last + 1)), 0.0)


#: largest width M or N: exact in float64, which every tail sum converts it to
MAX_WIDTH = 2**53


def _check_width(name: str, value: object) -> int:
    n = check_int(name, value, 1)
    if n > MAX_WIDTH:
        raise ValueError(f"{name}={n!r} is invalid: expected an integer in [1, 2**53]")
    return n


@dataclass(frozen=True)
class PowerLawModel:
    """Power-law kernel regression with capacity ``beta`` and source ``s``.

    Parameters
    ----------
    beta : float
        Capacity exponent, ``lambda_j = j^-beta``; must be > 1 (Assumption 2.3).
    s : float
        Relative source exponent, ``lambda_j theta*_j^2 = j^(-1-s beta)``; must be > 0
        (Assumption 2.5).
    sigma2 : float
        Label-noise variance ``sigma^2 >= 0``.
    M : int
        Model width (number of trained features), ``M >= 1``.
    N : int or float('inf')
        Total number of features, ``N >= M``; ``inf`` keeps the whole infinite spectrum,
        whose untrained tail is summed analytically with the Hurwitz zeta function.
    features : {'top', 'random'}
        Top-M features, or M random Gaussian features (needs a finite ``N``).

    Examples
    --------
    >>> m = PowerLawModel(beta=2.0, s=0.5, sigma2=1.0, M=100)
    >>> m.regime
    'easy'
    >>> head = sum(j**-2.0 for j in range(101, 10**6))  # the rest of the tail is ~1e-6
    >>> bool(0 < m.tail_error() - head < 1.01e-6)
    True
    """

    beta: float
    s: float
    sigma2: float = 1.0
    M: int = 128
    N: float = math.inf
    features: Features = "top"

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", check_greater("beta", self.beta, 1.0))
        object.__setattr__(self, "s", check_greater("s", self.s, 0.0))
        object.__setattr__(self, "sigma2", check_at_least("sigma2", self.sigma2, 0.0))
        object.__setattr__(self, "M", _check_width("M", self.M))
        if self.N is None or (isinstance(self.N, float) and math.isinf(self.N) and self.N > 0):
            object.__setattr__(self, "N", math.inf)
        else:
            n = _check_width("N", self.N)
            if n < self.M:
                raise ValueError(f"N={n!r} is invalid: expected N >= M = {self.M} (or N=inf)")
            object.__setattr__(self, "N", n)
        check_choice("features", self.features, ("top", "random"))
        if self.features == "random" and math.isinf(self.N):
            raise ValueError("N=inf is invalid for features='random': expected a finite N >= M")

    # ----------------------------------------------------------------- spectra
    @property
    def alpha(self) -> float:
        """Intrinsic difficulty ``alpha = s beta`` (Assumption 2.5)."""
        return self.s * self.beta

    @property
    def regime(self) -> str:
        """``'easy'`` if ``s >= 1 - 1/beta`` else ``'hard'`` (Section 5)."""
        return "easy" if self.s >= 1.0 - 1.0 / self.beta else "hard"

    def eigenvalues(self, n: int | None = None) -> np.ndarray:
        """``lambda_j = j^-beta`` for ``j = 1..n`` (default ``n = M``)."""
        n = self.M if n is None else check_int("n", n, 1)
        return np.arange(1, n + 1, dtype=float) ** (-self.beta)

    def theta_star(self, n: int | None = None) -> np.ndarray:
        """Target coefficients ``theta*_j = j^{-(1 + s beta - beta)/2}`` for ``j = 1..n``."""
        n = self.M if n is None else check_int("n", n, 1)
        return np.arange(1, n + 1, dtype=float) ** (-(1.0 + self.alpha - self.beta) / 2.0)

    def signal(self, j: ArrayLike) -> np.ndarray:
        """Per-mode initial excess risk density ``lambda_j theta*_j^2 = j^(-1 - s beta)``."""
        return np.asarray(j, dtype=float) ** (-1.0 - self.alpha)

    def _signal_sum(self, first: int, last: float) -> float:
        """``sum_{j=first}^{last} j^(-1 - s beta)``, with ``last = inf`` allowed."""
        if not 1.0 + self.alpha > 1.0:
            # s*beta below round-off of 1: the sum is ~1/(s beta), beyond float64's resolution
            raise ValueError(
                f"s={self.s!r}, beta={self.beta!r} are invalid: s*beta={self.alpha!r} is below "
                "float64 resolution (expected s*beta >= 1e-15) for the signal tail sums"
            )
        return _power_sum(1.0 + self.alpha, first, last)

    def tail_error(self) -> float:
        """``delta_M = sum_{j=M+1}^{N} lambda_j theta*_j^2`` (Section 4.2).

        For top-M features this is the untrained part of ``2 E``; the excess risk never
        falls below ``tail_error() / 2``.
        """
        return self._signal_sum(self.M + 1, self.N)

    def initial_excess_risk(self) -> float:
        """``E(v_0 = 0) = 1/2 sum_{j<=N} j^(-1-s beta)``."""
        return 0.5 * self._signal_sum(1, self.N)

    def trace_H(self) -> float:
        """``tr(H) = sum_{j<=N} j^-beta``."""
        return _power_sum(self.beta, 1, self.N)

    # --------------------------------------------------------- random features
    def random_projection(self, rng: RNGLike = None) -> np.ndarray:
        """Draw ``W`` (shape ``M x N``) with i.i.d. ``N(0, 1/M)`` entries.

        The paper writes ``w_j ~ N(0, I_N)``, but with unit variance the eigenvalues of
        ``W H W^T`` are ``~ M lambda_j`` (since ``E[W H W^T] = tr(H) I_M`` while its top
        eigenvalue grows like ``M lambda_1``), which contradicts Lemma 4.7
        (``hat lambda_j ~ lambda_j`` with constants free of ``M``) and would multiply the
        effective learning rate by ``M``.  The ``1/M`` variance is the normalisation under
        which Lemma 4.7 holds; ``tests/test_model.py`` checks it.

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Source of randomness; an int seeds a fresh generator.
        """
        if self.features != "random":
            raise ValueError("random_projection() needs features='random'")
        check_memory("M", self.M, 8.0 * 2 * self.M * float(self.N))  # W, then W / sqrt(M)
        return as_generator(rng).standard_normal((self.M, int(self.N))) / np.sqrt(self.M)

    def seeded_projection(self, rng: RNGLike = None) -> tuple[np.ndarray, int]:
        """The ``W`` every engine draws when none is given, and the seed it comes from.

        ``rng`` is reduced to one integer seed (:func:`fsltheory._util.rng.root_seed`: an
        int is used as is, a Generator or ``None`` gives a drawn seed), and ``W`` is
        :meth:`random_projection` on that seed's projection stream.  The exact engine and
        the simulator both call this, so ``expected_risk(m, s, rng=5)`` and
        ``simulate_sgd(m, s, rng=5)`` train the same random features.

        Examples
        --------
        >>> m = PowerLawModel(beta=2.0, s=0.5, M=2, N=4, features="random")
        >>> W, seed = m.seeded_projection(5)
        >>> W.shape, seed
        ((2, 4), 5)
        """
        seed = root_seed(rng)
        return self.random_projection(projection_generator(seed)), seed

    def check_projection(self, W: ArrayLike) -> np.ndarray:
        """``W`` as a float array after checking it is finite with shape ``(M, N)``."""
        if math.isinf(self.N):
            raise ValueError("N=inf is invalid with a feature matrix W: expected a finite N")
        W = np.asarray(W, dtype=float)
        shape = (self.M, int(self.N))
        if W.shape != shape:
            raise ValueError(f"W has shape {W.shape}: expected (M, N) = {shape}")
        if not np.all(np.isfinite(W)):
            raise ValueError("W is invalid: expected finite entries")
        return W

    def effective_eigenvalues(self, W: np.ndarray | None = None) -> np.ndarray:
        """Eigenvalues of the trained-feature covariance, in decreasing order.

        Top-M: ``lambda_1..lambda_M``.  Random-M: eigenvalues of ``W H W^T`` (Theorem 4.6).
        """
        if self.features == "top":
            return self.eigenvalues()
        if W is None:
            raise ValueError("W is required for features='random'")
        lam = self.eigenvalues(int(self.N))
        hhat = (W * lam) @ W.T
        return np.sort(np.linalg.eigvalsh(hhat))[::-1]


def check_model(model: object) -> PowerLawModel:
    """``model`` itself if it is a :class:`PowerLawModel`, else a ``ValueError`` naming it.

    Every engine (exact, SGD, FSL and its fit) calls this first, so a wrong object fails
    with the same message everywhere instead of an ``AttributeError`` deep inside.
    """
    if not isinstance(model, PowerLawModel):
        raise ValueError(f"model={model!r} is invalid: expected a PowerLawModel")
    return model
