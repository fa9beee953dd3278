"""LA-level difference in differences with randomization (Fisher) inference, and an event study
with randomization bands.

The question: did a handful of treated local authorities (LAs) change differently after a policy
began than comparator LAs? With 3 treated LAs, cluster-robust errors and the wild bootstrap are
unreliable, so inference here is by randomization: re-assign "treated" to every set of k LAs
(k = the number of treated LAs, drawn from all LAs, treated and comparators alike: the standard
Fisher design), re-estimate, and ask how unusual the actual assignment's estimate is.

Model (one row per LA and academic year, each LA counts once: unweighted)
    value = unit FE + year FE + beta * D,    D = treated x 1[year >= post_from]
The event study replaces D by treated x 1[year == t] for every year t but the reference year.

Why it is fast. Two-way demeaning is a linear map M (the residual maker of the fixed effects),
and an assignment's treatment column is a sum of per-LA columns. So M is applied once, to one
column per LA (DiD) or one column per observed LA-year cell (event study), in a single
pyfixest `demean` call; every assignment's normal equations are then sums of entries of those
columns' Gram matrix. Nothing the size of the panel is computed per assignment:
    DiD:   beta_S = sum_{u in S} c_u / sum_{u,v in S} G_uv,  c = W'y, G = W'W, W = M [one column per LA]
    event: X'X_S[s, t] = sum_{u,v in S} G[(u,s), (v,t)],  X'y_S[t] = sum_{u in S} c[(u,t)]
This is exactly the same OLS as demeaning each assignment's own columns (tested against pyfixest).

The randomization interval inverts the test of the sharp null "the effect is tau0 on every
treated post cell": y0 = y - tau0 * D_actual. Each assignment's coefficient on y0 is linear in
tau0, beta_S(tau0) = a_S - tau0 * b_S (a_S its coefficient on y, b_S its coefficient on
D_actual; the actual assignment has b = 1), so p(tau0) is a step function whose steps sit where
|a_S - tau0 b_S| = |a_actual - tau0|. Those breakpoints are found exactly and p is evaluated on
every piece between them: the interval endpoints are exact, not read off a grid.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_SEED = 20220401
# Assignments handled per batch: bounds the (batch, k*(T-1), k*(T-1)) gathers of the event study
# (~12 MB for k = 3, ten years) and the (batch, k, k) gathers of the DiD.
CHUNK = 2_000
# Demeaning tolerance: an unbalanced panel needs iterations, and the coefficients should match an
# exact dummy-variable regression to ~1e-10; a balanced panel converges in one sweep anyway.
DEMEAN_TOL = 1e-13
DEMEAN_MAXITER = 100_000
# |beta_S| >= |beta_actual| is tested with this relative slack, so that assignments whose
# statistic equals the actual one in exact arithmetic are not lost to rounding.
TIE_TOLERANCE = 1e-9
# Event study: eigenvalues below this fraction of the largest count as zero (a year no assigned LA
# observes, or an assignment none of whose LAs observes the reference year).
RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class DidResult:
    """The TWFE DiD estimate with its randomization p-value and interval."""

    estimate: float            # coefficient on D = treated x post, unit and year FE, unweighted
    p_value: float             # share of assignments with |coefficient| >= |estimate| (actual included)
    ci_low: float              # randomization interval by test inversion (may be -inf)
    ci_high: float             # (may be +inf: the design then cannot bound the effect at this alpha)
    interval_is_hull: bool     # the accepted set of tau0 is not one interval: ci is its hull
    alpha: float
    n_assignments: int         # C(n_units, n_treated) when enumerated, else the number of draws
    enumerated: bool
    min_p_value: float         # the smallest p the design can give: 1/C(n, k) or 1/(1 + draws)
    n_treated: int
    n_units: int
    n_obs: int
    n_pre_years: int
    n_post_years: int
    units_dropped: tuple[int, ...]  # too few years, or no pre or no post observation


@dataclass(frozen=True)
class _Panel:
    """The cleaned panel as integer-coded arrays (units and years sorted ascending)."""

    units: np.ndarray          # (n,) unit codes
    years: np.ndarray          # (T,) distinct years
    unit_index: np.ndarray     # (N,) row -> position in units
    year_index: np.ndarray     # (N,) row -> position in years
    value: np.ndarray          # (N,)
    treated: np.ndarray        # (k,) positions of the treated units, ascending
    units_dropped: tuple[int, ...]

    @property
    def fixed_effects(self) -> np.ndarray:
        return np.column_stack([self.unit_index, self.year_index]).astype(np.uint64)


def _prepare(panel: pd.DataFrame, post_from: int | None) -> _Panel:
    """Validate and code the panel; drop units with < 2 years (and, given post_from, with no pre
    or no post year: they carry no information on the DiD coefficient)."""
    missing = {"unit", "year", "value", "treated"} - set(panel.columns)
    if missing:
        raise ValueError(f"panel lacks columns {sorted(missing)}")
    data = panel[["unit", "year", "value", "treated"]].copy()
    data["unit"] = data["unit"].astype(np.int64)
    data["year"] = data["year"].astype(np.int64)
    data["value"] = data["value"].astype(float)
    data["treated"] = data["treated"].astype(bool)
    if data["value"].isna().any():
        raise ValueError("panel value has missing entries")
    if data.duplicated(["unit", "year"]).any():
        raise ValueError("panel has more than one row for some (unit, year)")
    if (data.groupby("unit")["treated"].nunique() > 1).any():
        raise ValueError("treated must be constant within unit")

    by_unit = data.groupby("unit")["year"]
    keep = by_unit.count() >= 2
    if post_from is not None:
        keep &= (by_unit.min() < post_from) & (by_unit.max() >= post_from)
    dropped = tuple(int(u) for u in keep.index[~keep])
    data = data[data["unit"].isin(keep.index[keep])].sort_values(["unit", "year"]).reset_index(drop=True)

    unit_index, units = pd.factorize(data["unit"], sort=True)
    year_index, years = pd.factorize(data["year"], sort=True)
    treated_units = np.sort(data.loc[data["treated"], "unit"].unique())
    treated = np.searchsorted(np.asarray(units), treated_units)
    if len(treated) == 0 or len(treated) == len(units):
        raise ValueError(f"need treated and comparator units; after dropping {len(dropped)} unit(s) there are "
                         f"{len(treated)} treated of {len(units)}")
    return _Panel(np.asarray(units), np.asarray(years), unit_index.astype(np.int64), year_index.astype(np.int64),
                  data["value"].to_numpy(float), treated.astype(np.int64), dropped)


def _demean(columns: np.ndarray, fixed_effects: np.ndarray) -> np.ndarray:
    """Two-way (unit, year) demeaning of all columns at once, unweighted."""
    from pyfixest.estimation import demean

    # pyfixest's convergence test is absolute: put every column on a unit scale first (and back
    # after), so that the tolerance means the same for outcomes in percent or in pounds. Shifting
    # a column by a constant changes nothing: constants lie in the fixed effects' span.
    centred = columns - columns.mean(axis=0)
    scale = np.abs(centred).max(axis=0)
    scale[scale == 0] = 1.0
    weights = np.ones(columns.shape[0])
    demeaned, converged = demean(np.ascontiguousarray(centred / scale), fixed_effects, weights,
                                 tol=DEMEAN_TOL, maxiter=DEMEAN_MAXITER)
    if not converged:
        raise RuntimeError("two-way fixed-effect demeaning did not converge")
    return demeaned * scale


def _assignments(n_units: int, actual: np.ndarray, max_enumerated: int, draws: int,
                 seed: int) -> tuple[np.ndarray, bool]:
    """The assignments other than the actual one, as sorted unit positions (m, k), and whether they
    are all of them (enumerated) or `draws` distinct random ones (the actual never among them)."""
    k = len(actual)
    total = math.comb(n_units, k)
    if total <= max_enumerated or total - 1 <= draws:  # drawing could not do better than enumerating
        flat = itertools.chain.from_iterable(itertools.combinations(range(n_units), k))
        combos = np.fromiter(flat, dtype=np.int64, count=total * k).reshape(total, k)
        return combos[~(combos == actual).all(axis=1)], True

    rng = np.random.default_rng(seed)
    drawn = np.empty((0, k), dtype=np.int64)
    while len(drawn) < draws:
        # Floyd's algorithm, vectorised over rows: a uniform k-subset per row in k steps.
        batch = draws - len(drawn) + 16
        chosen = np.empty((batch, k), dtype=np.int64)
        for step, top in enumerate(range(n_units - k, n_units)):
            pick = rng.integers(0, top + 1, size=batch)
            taken = (chosen[:, :step] == pick[:, None]).any(axis=1)
            chosen[:, step] = np.where(taken, top, pick)
        chosen.sort(axis=1)
        chosen = chosen[~(chosen == actual).all(axis=1)]
        candidates = np.concatenate([drawn, chosen])
        _, first = np.unique(candidates, axis=0, return_index=True)
        drawn = candidates[np.sort(first)]  # distinct, in the order drawn: deterministic for a seed
    return drawn[:draws], False


def _randomization_p(statistics: np.ndarray, observed: float) -> float:
    """(1 + #{other assignments with |stat| >= |observed|}) / (1 + #others): with enumeration this
    is the share of all assignments, the actual included; with draws, the usual +1 correction."""
    statistics = statistics[~np.isnan(statistics)]
    threshold = abs(observed) * (1 - TIE_TOLERANCE)
    return float((1 + np.count_nonzero(np.abs(statistics) >= threshold)) / (1 + len(statistics)))


# ---------------------------------------------------------------------------------------------
# Difference in differences


def _did_coefficients(prepared: _Panel, post_from: int, assignments: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The actual assignment's coefficient, and each other assignment's coefficient on y (a) and
    on the actual D (b)."""
    n_obs, n_units = len(prepared.value), len(prepared.units)
    post = prepared.years[prepared.year_index] >= post_from
    # Column 0 the outcome; column 1 + u unit u's post indicator. Any assignment's D is the sum of
    # its units' columns, and so (demeaning being linear) is its demeaned D.
    columns = np.zeros((n_obs, 1 + n_units))
    columns[:, 0] = prepared.value
    columns[np.flatnonzero(post), 1 + prepared.unit_index[post]] = 1.0
    demeaned = _demean(columns, prepared.fixed_effects)
    y, per_unit = demeaned[:, 0], demeaned[:, 1:]
    gram = per_unit.T @ per_unit             # G[u, v] = <M D_u, M D_v>
    cross_y = per_unit.T @ y                 # c[u] = <M D_u, y>
    treated = prepared.treated
    cross_actual = gram[:, treated].sum(axis=1)  # <M D_u, M D_actual>

    actual_denominator = gram[np.ix_(treated, treated)].sum()
    if actual_denominator <= 1e-12 * max(1.0, np.trace(gram)):
        raise ValueError("the treatment indicator is collinear with the fixed effects")
    estimate = float(cross_y[treated].sum() / actual_denominator)

    a = np.empty(len(assignments))
    b = np.empty(len(assignments))
    for start in range(0, len(assignments), CHUNK):
        sets = assignments[start:start + CHUNK]
        denominator = gram[sets[:, :, None], sets[:, None, :]].sum(axis=(1, 2))
        a[start:start + len(sets)] = cross_y[sets].sum(axis=1) / denominator
        b[start:start + len(sets)] = cross_actual[sets].sum(axis=1) / denominator
    return estimate, a, b


def _p_value_pieces(a: np.ndarray, b: np.ndarray, estimate: float) -> tuple[np.ndarray, np.ndarray]:
    """p(tau0) is piecewise constant. Returns the sorted breakpoints r (E,) and the p on each of the
    E + 1 open pieces (-inf, r_0), (r_0, r_1), ..., (r_{E-1}, inf).

    Assignment S counts at tau0 iff |a_S - tau0 b_S| >= |estimate - tau0|, i.e. iff the product
    of two linear functions is >= 0:
        L1 = (a_S - estimate) - tau0 (b_S - 1),   L2 = (a_S + estimate) - tau0 (b_S + 1).
    Its indicator flips at each root of L1 and L2, so the count on every piece follows from the
    count at -inf plus the flips passed: a sweep over the sorted roots."""
    m = len(a)
    intercepts = np.stack([a - estimate, a + estimate])
    slopes = np.stack([b - 1.0, b + 1.0])
    # Exact ties must stay exact: with k = n - k the complement of the actual set has a = -estimate
    # and b = -1 in exact arithmetic (its demeaned D is minus the actual one), so L2 vanishes
    # identically; left at rounding level it would put a spurious breakpoint anywhere.
    scale = max(float(np.abs(a).max(initial=0.0)), abs(estimate))
    intercepts[np.abs(intercepts) <= TIE_TOLERANCE * scale] = 0.0
    slopes[np.abs(slopes) <= TIE_TOLERANCE] = 0.0
    # Sign of each factor as tau0 -> -inf: sign(slope), or sign(intercept) when constant.
    sign_at_minus_inf = np.where(slopes != 0, np.sign(slopes), np.sign(intercepts))
    always_counts = (sign_at_minus_inf == 0).any(axis=0)   # a factor identically zero
    counts_at_minus_inf = (sign_at_minus_inf.prod(axis=0) >= 0) | always_counts

    has_root = (slopes != 0) & ~always_counts
    roots = np.where(has_root, intercepts / np.where(has_root, slopes, 1.0), np.inf)
    roots.sort(axis=0)  # per assignment: first and second root (inf = none)
    # Crossing the first root flips the starting state; crossing the second flips it back.
    first_step = np.where(counts_at_minus_inf, -1, 1)
    positions = np.concatenate([roots[0], roots[1]])
    steps = np.concatenate([first_step, -first_step])
    finite = np.isfinite(positions)
    positions, steps = positions[finite], steps[finite]
    order = np.argsort(positions, kind="stable")
    positions, steps = positions[order], steps[order]

    counts = np.concatenate([[np.count_nonzero(counts_at_minus_inf)], np.count_nonzero(counts_at_minus_inf)
                             + np.cumsum(steps)])
    return positions, (1 + counts) / (1 + m)


def _inverted_interval(a: np.ndarray, b: np.ndarray, estimate: float, alpha: float) -> tuple[float, float, bool]:
    """The hull of {tau0 : p(tau0) > alpha}, and whether that set has gaps. Pieces of zero length
    (tied breakpoints) and single tie points are ignored: they have measure zero."""
    positions, p = _p_value_pieces(a, b, estimate)
    lefts = np.concatenate([[-np.inf], positions])
    rights = np.concatenate([positions, [np.inf]])
    real = rights > lefts
    lefts, rights, accepted = lefts[real], rights[real], p[real] > alpha
    # The piece holding tau0 = estimate has p = 1 (the actual statistic is 0), so one is accepted.
    inside = np.flatnonzero(accepted)
    first, last = inside[0], inside[-1]
    has_gap = not accepted[first:last + 1].all()
    return float(lefts[first]), float(rights[last]), bool(has_gap)


def did_randomization(panel: pd.DataFrame, post_from: int, *, max_enumerated: int = 50_000, draws: int = 2_000,
                      seed: int = DEFAULT_SEED, alpha: float = 0.05) -> DidResult:
    """TWFE DiD of value on D = treated x 1[year >= post_from] with unit and year fixed effects
    (unweighted: each LA counts once), with a Fisher randomization p-value and interval.

    panel: columns unit (int), year (int, start year of the academic year), value (float, no NaN),
    treated (bool, constant within unit); may be unbalanced.
    Assignments: all C(n, k) sets of k units (k treated of n units) when C(n, k) <= max_enumerated,
    otherwise `draws` distinct random sets (numpy default_rng(seed)), the actual set excluded.
    """
    prepared = _prepare(panel, post_from)
    others, enumerated = _assignments(len(prepared.units), prepared.treated, max_enumerated, draws, seed)
    estimate, a, b = _did_coefficients(prepared, post_from, others)
    ci_low, ci_high, is_hull = _inverted_interval(a, b, estimate, alpha)
    return DidResult(
        estimate=estimate,
        p_value=_randomization_p(a, estimate),
        ci_low=ci_low,
        ci_high=ci_high,
        interval_is_hull=is_hull,
        alpha=alpha,
        n_assignments=len(others) + 1 if enumerated else len(others),
        enumerated=enumerated,
        min_p_value=1 / (1 + len(others)),
        n_treated=len(prepared.treated),
        n_units=len(prepared.units),
        n_obs=len(prepared.value),
        n_pre_years=int(np.count_nonzero(prepared.years < post_from)),
        n_post_years=int(np.count_nonzero(prepared.years >= post_from)),
        units_dropped=prepared.units_dropped,
    )


# ---------------------------------------------------------------------------------------------
# Event study


def _event_coefficients(gram: np.ndarray, cross_y: np.ndarray, cell_of: np.ndarray,
                        sets: np.ndarray) -> np.ndarray:
    """Event-study coefficients (len(sets), T-1) for assignments `sets` (m, k).

    gram/cross_y: Gram matrix and outcome cross-products of the demeaned cell columns, padded with
    a zero last row/column; cell_of[u, t]: unit u's cell column for event year t (the pad if u
    lacks that year). Coefficients that an assignment cannot identify are NaN."""
    m, k = sets.shape
    n_years = cell_of.shape[1]
    cells = cell_of[sets].reshape(m, k * n_years)
    # X'X_S[s, t] = sum over unit pairs (u, v) in S of G[(u, s), (v, t)].
    xtx = gram[cells[:, :, None], cells[:, None, :]].reshape(m, k, n_years, k, n_years).sum(axis=(1, 3))
    xty = cross_y[cells].reshape(m, k, n_years).sum(axis=1)
    # Pseudo-inverse by eigendecomposition: a year no assigned unit observes gives a zero
    # row/column; an assignment none of whose units observes the reference year makes the
    # interactions collinear with the unit effects. Identified coefficients are unaffected by
    # the minimum-norm choice; the others (touching the null space) become NaN.
    eigenvalues, vectors = np.linalg.eigh(xtx)
    null = eigenvalues <= RANK_TOLERANCE * np.maximum(eigenvalues[:, -1:], 1e-300)
    inverse = np.where(null, 0.0, 1.0 / np.where(null, 1.0, eigenvalues))
    rotated = np.einsum("mji,mj->mi", vectors, xty) * inverse
    beta = np.einsum("mij,mj->mi", vectors, rotated)
    unidentified = (vectors ** 2 * null[:, None, :]).sum(axis=2) > 1e-8
    beta[unidentified] = np.nan
    return beta


def event_study_randomization(panel: pd.DataFrame, reference_year: int, *, post_from: int | None = None,
                              max_enumerated: int = 50_000, draws: int = 2_000, seed: int = DEFAULT_SEED,
                              alpha: float = 0.05) -> pd.DataFrame:
    """Event study: value on unit FE + year FE + treated x 1[year == t] for every t but
    reference_year, with randomization bands.

    One row per non-reference year: year, estimate, band_low/band_high (the alpha/2 and
    1 - alpha/2 quantiles of that year's coefficient over the assignments: what chance alone
    produces), p_value (randomization, as in did_randomization), n_assignments (those that
    identify that year's coefficient). Assignments as in did_randomization. Units with fewer
    than 2 years are dropped; pass post_from to drop exactly the units did_randomization drops.
    df.attrs holds enumerated, min_p_value and units_dropped.
    """
    prepared = _prepare(panel, post_from)
    if reference_year not in set(prepared.years.tolist()):
        raise ValueError(f"reference year {reference_year} is not in the panel")
    others, enumerated = _assignments(len(prepared.units), prepared.treated, max_enumerated, draws, seed)

    n_units, n_obs = len(prepared.units), len(prepared.value)
    reference = int(np.searchsorted(prepared.years, reference_year))
    event_years = np.delete(prepared.years, reference)
    # One column per observed (unit, non-reference year) cell: an assignment's interaction for
    # year t is the sum of its units' year-t cell columns.
    is_event_row = prepared.year_index != reference
    event_rows = np.flatnonzero(is_event_row)
    event_position = prepared.year_index[event_rows] - (prepared.year_index[event_rows] > reference)
    n_cells = len(event_rows)
    columns = np.zeros((n_obs, 1 + n_cells))
    columns[:, 0] = prepared.value
    columns[event_rows, 1 + np.arange(n_cells)] = 1.0
    demeaned = _demean(columns, prepared.fixed_effects)
    y, cells = demeaned[:, 0], demeaned[:, 1:]
    gram = np.zeros((n_cells + 1, n_cells + 1))   # last row/column: the pad for missing cells
    gram[:n_cells, :n_cells] = cells.T @ cells
    cross_y = np.zeros(n_cells + 1)
    cross_y[:n_cells] = cells.T @ y
    cell_of = np.full((n_units, len(event_years)), n_cells, dtype=np.int64)
    cell_of[prepared.unit_index[event_rows], event_position] = np.arange(n_cells)

    actual = _event_coefficients(gram, cross_y, cell_of, prepared.treated[None, :])[0]
    placebo = np.empty((len(others), len(event_years)))
    for start in range(0, len(others), CHUNK):
        sets = others[start:start + CHUNK]
        placebo[start:start + len(sets)] = _event_coefficients(gram, cross_y, cell_of, sets)
    # Bands describe the randomization distribution: with enumeration the actual assignment is
    # one of the assignments; with draws it is not.
    distribution = np.vstack([placebo, actual[None, :]]) if enumerated else placebo

    rows = []
    for j, year in enumerate(event_years):
        low, high = (np.nanquantile(distribution[:, j], [alpha / 2, 1 - alpha / 2])
                     if np.isfinite(distribution[:, j]).any() else (np.nan, np.nan))
        identified = int(np.count_nonzero(~np.isnan(placebo[:, j])))
        rows.append({
            "year": int(year),
            "estimate": float(actual[j]),
            "band_low": float(low),
            "band_high": float(high),
            "p_value": np.nan if np.isnan(actual[j]) else _randomization_p(placebo[:, j], actual[j]),
            "n_assignments": identified + 1 if enumerated else identified,
        })
    result = pd.DataFrame(rows, columns=["year", "estimate", "band_low", "band_high", "p_value", "n_assignments"])
    result.attrs.update(enumerated=enumerated, min_p_value=1 / (1 + len(others)),
                        units_dropped=prepared.units_dropped, reference_year=reference_year)
    return result
