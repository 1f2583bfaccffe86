"""SymPy derivations: reduced objectives, optimal scaling exponents, tables, claims, LaTeX.

Everything here is derived by SymPy from the FSL (reference §2.4, §3, §8.3), not typed in.
"""

__all__: list[str] = []

# reduced objectives, the balancing engine, tables, claims and LaTeX (issue #3 items 2-4, 7)
from fsltheory.symbolic.balance import balance, objective_value, solve_point
from fsltheory.symbolic.claims import ClaimCheck, claim_checks
from fsltheory.symbolic.latex import export_latex
from fsltheory.symbolic.objectives import ReducedObjective, reduced_objective
from fsltheory.symbolic.results import Exponent, Region, ScalingResult
from fsltheory.symbolic.scaling import derive_scaling
from fsltheory.symbolic.tables import derived_table1, derived_table35

__all__ += [
    "ClaimCheck",
    "Exponent",
    "ReducedObjective",
    "Region",
    "ScalingResult",
    "balance",
    "claim_checks",
    "derive_scaling",
    "clear_caches",
    "derived_table1",
    "derived_table35",
    "export_latex",
    "objective_value",
    "reduced_objective",
    "solve_point",
]


def clear_caches() -> None:
    """Forget every cached derivation (for benchmarks that time cold derivations)."""
    import importlib

    # the submodule ``balance`` is shadowed by the function of the same name here
    _b = importlib.import_module(f"{__name__}.balance")
    _lp = importlib.import_module(f"{__name__}._lp")
    _c = importlib.import_module(f"{__name__}.claims")
    _o = importlib.import_module(f"{__name__}.objectives")
    _t = importlib.import_module(f"{__name__}.tables")

    _b.balance.cache_clear()
    _b._REGIONS.clear()
    _b._FAMILIES.clear()
    _lp._to_F.cache_clear()
    _o.reduced_objective.cache_clear()
    _t.derived_table1.cache_clear()
    _t.derived_table35.cache_clear()
    _c.claim_checks.cache_clear()
