"""Synthetic control for local authorities, using pysyncon (Abadie, Diamond & Hainmueller).

Question: did each treated LA (and the treated LAs together) change differently after the policy
began (`post_from`) than a weighted combination of comparator LAs that tracked it beforehand?

pysyncon setup (the simplest one that matches the pre-period outcome path):
- predictors = the outcome in each pre-period year (one row per year), passed to `Synth.fit` as
  matrices (X0 = Z0 = donors' pre-period paths, X1 = Z1 = the treated path);
- `custom_V` fixed, not optimised: pysyncon divides each predictor row by its standard deviation
  across units, so V proportional to that variance undoes the scaling and pysyncon's inner problem
  becomes exactly "minimise the pre-period sum of squared gaps over convex donor weights". With
  every pre year as a predictor, this is what the nested V search aims at anyway, without its
  Nelder-Mead outer loop (2.4 s per fit at 25 donors, ~80 s at 150, and no better a pre-period fit).
- Conditioning, which changes no gap: pysyncon's inner solver is SLSQP with finite-difference
  gradients and absolute tolerances, so the size of its objective matters. Each year is centred on
  the mean across units (gaps are unchanged because donor weights sum to 1) and V is scaled to
  V_SCALE * variance / mean variance. Checked against a tight reference QP on random problems with
  12-150 donors: this lands within 1e-4 (in noise units) of the best pre-period fit. V summing to 1
  stopped early (pre RMSPE 14% above the optimum in one check); V_SCALE >= 1000, or no centring at 150
  donors, made SLSQP fail outright on some problems.
Weights come from `Synth.W` in the donor column order: pysyncon 1.7.0's `weights()` loses the donor
names when `custom_V` is used. The synthetic path is donors' outcomes x W, as pysyncon computes it.

Inference is placebo-in-space: each donor in turn is "treated" and fitted from the other donors
(never the treated LAs); p = (1 + #{placebo post/pre RMSPE ratio >= treated ratio}) / (1 + n).
The placebo fits do not depend on which treated unit is being tested, so each donor is fitted once
per call and its ratio reused for every treated unit and the aggregate.

Speed (6 pre + 3 post years, 3 treated LAs, 2-core machine): one fit ~0.01 s with 25 donors and
~0.1 s with 150; a full run with every donor as a placebo ~0.3 s with 25 donors and 16-25 s with
150 (more when the machine is busy and BLAS is multi-threaded: run with OPENBLAS_NUM_THREADS=1).
max_placebo_donors=50 keeps 150 donors to ~6-10 s, with a smallest possible p of 1/51.

Years: only years where every treated LA has a value and most donors do are used; donors missing
any used year are dropped (reported). Years missing for everyone (COVID) simply drop out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pysyncon 1.7.0 has an invalid escape in a docstring
    from pysyncon import Synth

AGGREGATE_LABEL = "treated aggregate"
WEIGHT_THRESHOLD = 0.001  # donor weights at or below this are reported as zero
WEIGHT_DECIMALS = 4
MIN_PRE_YEARS = 2
# A year counts only if at least this share of donors has it; otherwise one year missing for most
# donors (but present for the treated LAs) would empty the pool instead of dropping the year.
MIN_DONOR_SHARE_FOR_YEAR = 0.5
TINY = 1e-12  # floor for pre RMSPE, so a perfect pre-period fit gives a large (not infinite) ratio
V_SCALE = 100.0  # see the module docstring: 10-100 converge well, 1 stops early, 1000 can fail


@dataclass(frozen=True)
class SynthResult:
    treated_unit: str  # the LA code as text, or AGGREGATE_LABEL
    donor_weights: dict[int, float]  # donor -> weight, weights > WEIGHT_THRESHOLD only
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float  # post / pre
    gaps: pd.DataFrame  # year, treated, synthetic, gap, is_post
    average_post_gap: float
    placebo_p_value: float | None  # None when placebo=False or no placebo could be fitted
    n_placebos: int  # placebos in this unit's ranking (after max_placebo_pre_rmspe_multiple)
    n_donors: int
    n_pre_years: int
    n_post_years: int
    donors_dropped: tuple[int, ...]  # donors missing a used year
    placebo_donors: tuple[int, ...]  # the donors refitted as placebos (shared by all results of a call)
    placebo_selection: str  # how the placebo donors were chosen
    weighting: str | None  # aggregate only: how the treated LAs were combined


@dataclass(frozen=True)
class _Fit:
    weights: np.ndarray  # aligned with the donor columns passed in
    synthetic: np.ndarray  # all used years
    pre_rmspe: float
    post_rmspe: float


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(gap ** 2)))


def fit_one(treated_path: pd.Series, donor_paths: pd.DataFrame, is_post: np.ndarray) -> _Fit:
    """Fit one synthetic control with pysyncon. Paths are indexed by year; donors are columns."""
    pre = ~is_post
    # Centre each year across units: the same gaps, a much better-conditioned problem for SLSQP.
    centre = pd.concat([donor_paths.loc[pre], treated_path.loc[pre]], axis=1).mean(axis=1)
    z0_pre = donor_paths.loc[pre].sub(centre, axis=0)
    z1_pre = (treated_path.loc[pre] - centre).rename("__treated__")  # must not collide with a donor code
    # A year where every unit has the same value carries no information, and pysyncon would divide
    # it by a zero standard deviation; it stays in the paths, just not among the predictors.
    spread = pd.concat([z0_pre, z1_pre], axis=1).std(axis=1)
    informative = spread.to_numpy() > 1e-12 * (1 + centre.abs().to_numpy())  # rounding-level spread is zero
    x0, x1 = z0_pre.loc[informative], z1_pre.loc[informative]
    if len(x1) == 0:
        weights = np.full(donor_paths.shape[1], 1 / donor_paths.shape[1])
    else:
        variance = spread.to_numpy()[informative] ** 2
        synth = Synth()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # scipy/pysyncon optimiser chatter, this fit only
            synth.fit(X0=x0, X1=x1, Z0=x0, Z1=x1, custom_V=V_SCALE * variance / variance.mean())
        weights = np.asarray(synth.W, dtype=float)
    synthetic = donor_paths.to_numpy() @ weights
    gap = treated_path.to_numpy() - synthetic
    return _Fit(weights, synthetic, _rmspe(gap[pre]), _rmspe(gap[is_post]))


def _wide(panel: pd.DataFrame) -> pd.DataFrame:
    """Year x unit table of values (NaN where missing)."""
    clean = panel.dropna(subset=["value"])
    if clean.duplicated(["unit", "year"]).any():
        raise ValueError("panel has more than one value for some (unit, year)")
    return clean.pivot(index="year", columns="unit", values="value").sort_index()


def _choose_years_and_donors(wide: pd.DataFrame, treated: list[int], donors: list[int]
                             ) -> tuple[list[int], list[int], tuple[int, ...]]:
    donor_table = wide.reindex(columns=donors)
    treated_complete = wide.reindex(columns=treated).notna().all(axis=1)
    donors_present = donor_table.notna().mean(axis=1) >= MIN_DONOR_SHARE_FOR_YEAR
    years = [int(y) for y in wide.index[treated_complete & donors_present]]
    complete = donor_table.loc[years].notna().all(axis=0)
    kept = [d for d in donors if complete[d]]
    dropped = tuple(d for d in donors if not complete[d])
    return years, kept, dropped


def _choose_placebos(wide: pd.DataFrame, targets: dict[str, pd.Series], donors: list[int], pre: np.ndarray,
                     max_placebo_donors: int | None) -> tuple[list[int], str]:
    if max_placebo_donors is None or max_placebo_donors >= len(donors):
        return donors, "all donors"
    # One shared set: each donor's distance is its smallest pre-period RMSE to any treated path
    # (each LA and the aggregate), so a donor close to any of them is kept.
    raw = wide.loc[pre, donors]
    distance = pd.concat([np.sqrt(raw.sub(path.loc[pre], axis=0).pow(2).mean(axis=0)) for path in targets.values()],
                         axis=1).min(axis=1)
    chosen = sorted(distance.sort_values(kind="stable").index[:max_placebo_donors])
    return [int(d) for d in chosen], (f"{max_placebo_donors} donors closest to a treated path "
                                      "(pre-period RMSE of raw values)")


def synthetic_control(panel: pd.DataFrame, post_from: int, *, weights: dict[int, float] | None = None,
                      placebo: bool = True, max_placebo_donors: int | None = None, rmspe_floor: float = TINY,
                      max_placebo_pre_rmspe_multiple: float | None = None) -> list[SynthResult]:
    """One SynthResult per treated LA (in unit order), then one for the treated aggregate.

    panel: columns unit (LA code), year (start year of the academic year), value, treated (bool).
    weights: unit -> weight (e.g. pupils) for the aggregate; equal weights if None.
    rmspe_floor: the smallest pre-period RMSPE the post/pre ratio divides by, for the treated unit and
      the placebos alike. With few pre years and many donors the pre-period is fitted "exactly", and
      the ratio would then rank optimiser tolerances; a floor at the published values' rounding error
      keeps it a comparison of post-period gaps against what the data can resolve.
    max_placebo_pre_rmspe_multiple: leave out of a treated unit's ranking the placebos whose pre-period
      fit is more than this many times worse than its own (Abadie, Diamond and Hainmueller 2010).
    """
    if (panel.groupby("unit")["treated"].nunique() > 1).any():
        raise ValueError("treated must be constant within each unit")
    units = panel.drop_duplicates("unit").set_index("unit")["treated"].astype(bool)
    treated = sorted(int(u) for u in units.index[units])
    all_donors = sorted(int(u) for u in units.index[~units])
    if not treated or len(all_donors) < 2:
        raise ValueError("need at least one treated LA and two donor LAs")

    wide = _wide(panel)
    years, donors, dropped = _choose_years_and_donors(wide, treated, all_donors)
    wide = wide.loc[years]
    is_post = np.array([y >= post_from for y in years])
    if (~is_post).sum() < MIN_PRE_YEARS or is_post.sum() < 1:
        raise ValueError(f"need {MIN_PRE_YEARS}+ pre years and 1+ post year; usable years are {years}")
    if len(donors) < 2:
        raise ValueError(f"fewer than two donors have every used year {years}")

    if weights is None:
        unit_weights, weighting = pd.Series(1.0, index=treated), "equal weights"
    else:
        missing = [u for u in treated if u not in weights]
        if missing:
            raise ValueError(f"weights missing for treated units {missing}")
        unit_weights, weighting = pd.Series({u: float(weights[u]) for u in treated}), "by the supplied weights"
    aggregate = (wide[treated] * unit_weights).sum(axis=1) / unit_weights.sum()
    targets = {str(u): wide[u] for u in treated} | {AGGREGATE_LABEL: aggregate}

    donor_paths = wide[donors]
    placebo_donors, selection = (_choose_placebos(wide, targets, donors, ~is_post, max_placebo_donors)
                                 if placebo else ([], "placebo=False"))
    # Fit each placebo donor once, from the other donors; the ratios serve every treated unit.
    placebo_fits = [fit_one(wide[d], donor_paths.drop(columns=d), is_post) for d in placebo_donors]
    placebo_pre = np.array([max(f.pre_rmspe, rmspe_floor) for f in placebo_fits])
    placebo_ratios = np.array([f.post_rmspe for f in placebo_fits]) / placebo_pre if placebo_fits else np.array([])

    results = []
    for label, path in targets.items():
        fit = fit_one(path, donor_paths, is_post)
        gaps = pd.DataFrame({"year": years, "treated": path.to_numpy(), "synthetic": fit.synthetic,
                             "gap": path.to_numpy() - fit.synthetic, "is_post": is_post})
        own_pre = max(fit.pre_rmspe, rmspe_floor)
        ratio = fit.post_rmspe / own_pre
        ranked = placebo_ratios
        if max_placebo_pre_rmspe_multiple is not None and len(ranked):
            ranked = ranked[placebo_pre <= max_placebo_pre_rmspe_multiple * own_pre]
        p_value = float((1 + np.sum(ranked >= ratio)) / (1 + len(ranked))) if len(ranked) else None
        donor_weights = {d: round(float(w), WEIGHT_DECIMALS) for d, w in zip(donors, fit.weights)
                         if w > WEIGHT_THRESHOLD}
        results.append(SynthResult(
            treated_unit=label, donor_weights=donor_weights, pre_rmspe=fit.pre_rmspe, post_rmspe=fit.post_rmspe,
            rmspe_ratio=ratio, gaps=gaps, average_post_gap=float(gaps.loc[is_post, "gap"].mean()),
            placebo_p_value=p_value, n_placebos=len(ranked), n_donors=len(donors),
            n_pre_years=int((~is_post).sum()), n_post_years=int(is_post.sum()), donors_dropped=dropped,
            placebo_donors=tuple(placebo_donors), placebo_selection=selection,
            weighting=weighting if label == AGGREGATE_LABEL else None))
    return results
