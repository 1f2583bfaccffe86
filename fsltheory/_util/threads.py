"""One BLAS thread for the surrogate fits (``threadpoolctl``).

A fit's linear algebra is many small products (the expanded sums' contraction, NNLS, the
trust-region steps), too small for OpenBLAS threads to pay.  Where other work shares the
cores (a Dask sweep, pytest-xdist, a second fit) its threads spin-wait for cores that are
busy: on this 2-core machine, beside a running test suite, the MPL protocol's fsl-lr fit took
4.1 s with two BLAS threads and 0.6 s with one (MPL 4.3 s and 0.5 s), and on a quiet machine
one thread was no slower (0.51 s against 0.67 s).  The limit is lifted when the call returns.
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]


def one_blas_thread(fn):
    """Decorator: run ``fn`` with the BLAS thread pools limited to one thread."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
