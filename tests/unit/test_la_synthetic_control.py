"""Synthetic control for LAs (orchestration/la_synthetic_control.py) on small made-up panels.

Donors follow a factor model with LA x year shocks. Donors A (800) and B (801) have the two highest
levels, so a treated LA built as 0.6*A + 0.4*B lies on an edge of the donors' hull and those
weights are the unique best pre-period fit (a point inside the hull would have many exact fits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.la_synthetic_control import AGGREGATE_LABEL, synthetic_control

SEED = 20240901
N_DONORS = 12
YEARS = [2014, 2015, 2016, 2017, 2018, 2019, 2022, 2023, 2024]  # 2020 and 2021 missing for everyone (COVID)
POST_FROM = 2022
IS_POST = np.array([y >= POST_FROM for y in YEARS])
A, B = 800, 801
SHOCK_SD = 0.3


def donor_paths(rng: np.random.Generator) -> dict[int, np.ndarray]:
    t = np.arange(len(YEARS))
    factor = rng.normal(0, 1, len(YEARS))
    paths = {}
    for i in range(N_DONORS):
        level = {0: 6.0, 1: 4.0}.get(i, rng.normal(0, 2))  # A and B highest (see module docstring)
        paths[800 + i] = (50 + level + rng.normal(0, 0.3) * t + rng.normal(1, 0.5) * factor
                          + rng.normal(0, SHOCK_SD, len(YEARS)))
    return paths


def to_panel(paths: dict[int, np.ndarray], treated: set[int]) -> pd.DataFrame:
    return pd.DataFrame([{"unit": u, "year": y, "value": v, "treated": u in treated}
                         for u, path in paths.items() for y, v in zip(YEARS, path)])


def planted_panel(seed: int, tau: float, treated_shock_sd: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    paths = donor_paths(rng)
    paths[901] = (0.6 * paths[A] + 0.4 * paths[B] + tau * IS_POST
                  + rng.normal(0, treated_shock_sd, len(YEARS)) * (treated_shock_sd > 0))
    return to_panel(paths, {901})


def test_planted_effect_is_recovered_and_significant():
    tau = 3.0
    result, aggregate = synthetic_control(planted_panel(SEED, tau), POST_FROM)
    assert result.treated_unit == "901" and aggregate.treated_unit == AGGREGATE_LABEL
    assert result.donor_weights[A] == pytest.approx(0.6, abs=0.05)
    assert result.donor_weights[B] == pytest.approx(0.4, abs=0.05)
    assert sum(w for d, w in result.donor_weights.items() if d not in (A, B)) < 0.05
    assert result.pre_rmspe < 1e-3  # an exact combination: the pre-period fit is ~perfect
    assert result.average_post_gap == pytest.approx(tau, abs=0.01)
    assert (result.n_donors, result.n_placebos, result.n_pre_years, result.n_post_years) == (N_DONORS, N_DONORS, 6, 3)
    assert result.placebo_p_value == pytest.approx(1 / (1 + N_DONORS))  # the smallest p possible
    gaps = result.gaps
    assert list(gaps.columns) == ["year", "treated", "synthetic", "gap", "is_post"]
    assert gaps["year"].tolist() == YEARS and gaps["is_post"].tolist() == IS_POST.tolist()
    assert np.allclose(gaps["gap"], gaps["treated"] - gaps["synthetic"])
    assert result.rmspe_ratio == pytest.approx(result.post_rmspe / result.pre_rmspe)


def test_no_effect_gives_no_gap_and_no_small_p():
    # The treated LA gets its own small shocks so its post/pre ratio is a real draw, not rounding noise.
    result = synthetic_control(planted_panel(SEED, tau=0.0, treated_shock_sd=0.1), POST_FROM)[0]
    assert abs(result.average_post_gap) < 0.25
    assert result.placebo_p_value > 0.2


def test_effect_recovered_in_most_noisy_seeds():
    # The treated LA gets shocks like the donors'. With 12 placebos p can only be k/13; p <= 0.2 means
    # the treated ratio is among the top two of 13 (with 6 pre years a donor sometimes over-fits its
    # own pre-period and gets a large ratio by chance).
    tau, seeds = 2.0, range(SEED, SEED + 10)
    close, small_p, null_small_p = 0, 0, 0
    for seed in seeds:
        effect = synthetic_control(planted_panel(seed, tau, treated_shock_sd=SHOCK_SD), POST_FROM)[0]
        close += abs(effect.average_post_gap - tau) < 0.5
        small_p += effect.placebo_p_value <= 0.2
        null = synthetic_control(planted_panel(seed, 0.0, treated_shock_sd=SHOCK_SD), POST_FROM)[0]
        null_small_p += null.placebo_p_value <= 0.2
    n = len(seeds)
    print(f"\naverage post gap within 0.5 of tau={tau}: {close}/{n}; p <= 0.2 with the effect: {small_p}/{n}, "
          f"without: {null_small_p}/{n}")
    assert close >= 8
    assert small_p >= 8
    assert null_small_p <= 3  # about 2 in 13 expected with no effect


def test_aggregate_is_the_weighted_mean_path():
    rng = np.random.default_rng(SEED + 100)
    paths = donor_paths(rng)
    paths[901] = 0.6 * paths[A] + 0.4 * paths[B] + 1.0 * IS_POST
    paths[902] = 0.3 * paths[A] + 0.7 * paths[B] + 3.0 * IS_POST
    panel = to_panel(paths, {901, 902})
    pupils = {901: 100.0, 902: 300.0}

    results = synthetic_control(panel, POST_FROM, weights=pupils)
    assert [r.treated_unit for r in results] == ["901", "902", AGGREGATE_LABEL]
    aggregate = results[-1]
    expected = (100 * paths[901] + 300 * paths[902]) / 400
    assert np.allclose(aggregate.gaps["treated"], expected)
    # 0.25*(0.6, 0.4) + 0.75*(0.3, 0.7) of (A, B), and 0.25*1 + 0.75*3 after the policy
    assert aggregate.donor_weights[A] == pytest.approx(0.375, abs=0.05)
    assert aggregate.donor_weights[B] == pytest.approx(0.625, abs=0.05)
    assert aggregate.average_post_gap == pytest.approx(2.5, abs=0.01)
    assert "supplied weights" in aggregate.weighting and results[0].weighting is None
    # One placebo set for the whole call, never containing a treated LA
    assert len({r.placebo_donors for r in results}) == 1
    assert set(aggregate.placebo_donors) == set(range(800, 800 + N_DONORS))

    unweighted = synthetic_control(panel, POST_FROM, placebo=False)[-1]
    assert np.allclose(unweighted.gaps["treated"], (paths[901] + paths[902]) / 2)
    assert unweighted.weighting == "equal weights"
    assert unweighted.placebo_p_value is None and unweighted.n_placebos == 0


def test_donors_missing_a_used_year_are_dropped_and_reported():
    panel = planted_panel(SEED, tau=3.0)
    panel.loc[(panel["unit"] == 805) & (panel["year"] == 2016), "value"] = np.nan  # NaN value
    panel = panel[~((panel["unit"] == 806) & (panel["year"] == 2023))]  # missing row
    extra = pd.DataFrame([
        {"unit": 807, "year": 2013, "value": 50.0, "treated": False},  # treated LA lacks 2013: not used
        {"unit": 901, "year": 2025, "value": 60.0, "treated": True},  # only one donor has 2025: not used
        {"unit": 808, "year": 2025, "value": 50.0, "treated": False},
    ])
    result = synthetic_control(pd.concat([panel, extra], ignore_index=True), POST_FROM)[0]
    assert result.donors_dropped == (805, 806)
    assert result.n_donors == N_DONORS - 2 == result.n_placebos
    assert not {805, 806} & (set(result.donor_weights) | set(result.placebo_donors))
    assert result.gaps["year"].tolist() == YEARS
    assert result.donor_weights[A] == pytest.approx(0.6, abs=0.05)


def test_placebo_cap_takes_the_closest_donors():
    panel = planted_panel(SEED, tau=3.0)
    result = synthetic_control(panel, POST_FROM, max_placebo_donors=4)[0]
    wide = panel.pivot(index="year", columns="unit", values="value")
    pre = wide.loc[wide.index < POST_FROM]
    distance = np.sqrt(pre.drop(columns=901).sub(pre[901], axis=0).pow(2).mean())
    assert result.placebo_donors == tuple(sorted(distance.nsmallest(4).index))
    assert result.n_placebos == 4 and "4 donors closest" in result.placebo_selection
    assert result.n_donors == N_DONORS  # the cap limits placebos, not the donor pool
    assert result.placebo_p_value == pytest.approx(1 / 5)


def test_deterministic():
    panel = planted_panel(SEED, tau=1.0, treated_shock_sd=SHOCK_SD)
    first, second = synthetic_control(panel, POST_FROM), synthetic_control(panel, POST_FROM)
    for one, two in zip(first, second):
        assert one.donor_weights == two.donor_weights and one.placebo_p_value == two.placebo_p_value
        pd.testing.assert_frame_equal(one.gaps, two.gaps)


def test_too_few_pre_years_is_an_error():
    with pytest.raises(ValueError, match="pre years"):
        synthetic_control(planted_panel(SEED, tau=0.0), post_from=2015)


def test_the_ratio_divides_by_no_less_than_the_floor():
    """An exact pre-period fit (pre RMSPE ~0) would make every ratio astronomically large and the rank
    a comparison of optimiser tolerances: with a floor the ratio is post RMSPE over the floor."""
    result = synthetic_control(planted_panel(SEED, 3.0), POST_FROM, rmspe_floor=0.3)[0]
    assert result.pre_rmspe < 1e-3
    assert result.rmspe_ratio == pytest.approx(result.post_rmspe / 0.3)
    assert result.placebo_p_value == pytest.approx(1 / (1 + N_DONORS))  # a 3-point gap still ranks first
    no_effect = synthetic_control(planted_panel(SEED, 0.0), POST_FROM, rmspe_floor=0.3)[0]
    assert no_effect.placebo_p_value > 0.2  # without the floor, optimiser noise alone decides the rank


def test_placebos_fitted_much_worse_than_the_treated_unit_are_left_out_of_its_ranking():
    everyone = synthetic_control(planted_panel(SEED, 3.0, treated_shock_sd=0.3), POST_FROM)[0]
    close = synthetic_control(planted_panel(SEED, 3.0, treated_shock_sd=0.3), POST_FROM,
                              max_placebo_pre_rmspe_multiple=1.0)[0]
    assert close.n_placebos < everyone.n_placebos == N_DONORS
    ranks = close.placebo_p_value * (1 + close.n_placebos)  # p = (1 + placebos ranked above) / (1 + n)
    assert ranks == pytest.approx(round(ranks)) and 1 <= round(ranks) <= 1 + close.n_placebos
