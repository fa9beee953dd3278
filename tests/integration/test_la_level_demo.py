"""The LA-level difference in differences on the demo's own LAIT-layout file: its randomization
interval covers the planted effect (default, non-default and none), for KS2 RWM, Attainment 8 and
overall absence. The demo writes LA values aggregated from its synthetic schools, so this checks the
whole LA-level path from the generator through landing to the estimator, without a full build."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from orchestration.demo.generator import TREATED_LAS, DemoConfig, generate
from orchestration.la_inference import did_randomization
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources import la_indicators as li
from orchestration.sources.fetch import mirror_files
from orchestration.sources.landing import Snapshot

TREATED = set(TREATED_LAS)  # the LAs the demo plants its effects on
MEASURES = {"ks2_rwm_expected_pct": "KS2RWM_Expected_STD", "ks4_attainment8": "AVG_Attain8_Score",
            "overall_absence_pct": "TotAbs"}
POST_FROM, PARTLY_EXPOSED = 2022, 2021


def excluded_years() -> set[tuple[str, int]]:
    with open(DBT_PROJECT_DIR / "seeds" / "measure_year_exclusions.csv", newline="") as f:
        return {(r["measure"], int(r["academic_year"][:4])) for r in csv.DictReader(f)}


def la_panel(root: Path, measure: str) -> pd.DataFrame:
    files = mirror_files(root, li.SPEC)
    landed = li.land_la_indicators(files, [Snapshot(Path("x"), hashlib.sha256(f.content).hexdigest(), True)
                                           for f in files]).to_pandas()
    rows = landed[(landed.measure_code == MEASURES[measure]) & (landed.area_code.str.fullmatch(r"\d{3}"))
                  & ~landed.area_code.isin(["970", *li.REGION_CODES]) & (landed.value != "-")]
    year = rows.academic_year.str[:4].astype(int)
    keep = ~pd.Series([(measure, y) in excluded_years() for y in year], index=rows.index) & (year != PARTLY_EXPOSED)
    rows, year = rows[keep], year[keep]
    return pd.DataFrame({"unit": rows.area_code.astype(int), "year": year, "value": rows.value.astype(float),
                         "treated": rows.area_code.astype(int).isin(TREATED)})


@pytest.mark.parametrize("seed, effects", [
    (2022, None),  # the documented defaults
    (7, {"ks2_rwm_expected_pct": -3.0, "ks4_attainment8": 2.5, "overall_absence_pct": 0.8}),
    (11, {"ks2_rwm_expected_pct": 0.0, "ks4_attainment8": 0.0, "overall_absence_pct": 0.0}),
])
def test_the_la_level_interval_covers_the_planted_effect(tmp_path, seed, effects):
    config = DemoConfig(seed=seed) if effects is None else DemoConfig(seed=seed, planted_effects=effects)
    root = generate(tmp_path / "demo", config)
    truth = config.implied_effects()
    for measure in MEASURES:
        result = did_randomization(la_panel(root, measure), POST_FROM, draws=2000, seed=1)
        assert result.n_treated == 3 and result.n_units > 100
        assert result.ci_low <= truth[measure] <= result.ci_high, (measure, truth[measure], result)
        if truth[measure] == 0:
            assert result.p_value > 0.05, (measure, result)
