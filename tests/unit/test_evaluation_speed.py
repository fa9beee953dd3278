"""The evaluation's speed-ups change no number: panels estimated in forked workers give exactly what
one process gives, and fast mode (tests only) changes only the bootstrap and placebo results.

The estimation runs in a child process with PYTHONHASHSEED=0, as in a build (run_in_subprocess):
forking workers is only safe from a process that has not estimated yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from orchestration import evaluation
from tests.conftest import REPO_ROOT

TREATED = [901, 902, 903]
COMPARATOR_SETS = {"all_other_las": list(range(801, 811)), "named_single_la": [801, 802, 803, 804, 805]}
YEARS = [f"{y}/{str(y + 1)[2:]}" for y in range(2016, 2024)]
# Placebo and bootstrap results (and the caveats that name them) are all fast mode may change.
DRAW_DEPENDENT = {"wild_bootstrap_p_value", "placebo_p_value", "placebo_ci_low", "placebo_ci_high", "n_placebos",
                  "caveats"}


def synthetic_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A small fct_school_year (four schools an LA, eight years), comparison groups, exclusions."""
    rng = np.random.default_rng(7)
    rows = []
    for la in TREATED + COMPARATOR_SETS["all_other_las"]:
        for school in range(4):
            level = rng.normal(0, 5)
            for year in YEARS:
                post = year >= "2022/23"
                effect = 1.0 if (la in TREATED and post) else 0.0
                row = {"school_key": f"{la}-{school}", "academic_year": year, "la_code": la,
                       "current_la_code": la, "is_treated_la": la in TREATED, "is_post_pilot": post,
                       "data_provenance": "SYNTHETIC TEST DATA"}
                for measure, weight in evaluation.MEASURES.items():
                    row[measure] = 50 + level + effect + rng.normal(0, 1)
                    row[weight] = int(rng.integers(20, 200))
                rows.append(row)
    groups = pd.DataFrame([{"la_code": la, "comparison_group": "treated", "group_role": "treated"} for la in TREATED]
                          + [{"la_code": la, "comparison_group": name, "group_role": "comparator"}
                             for name, las in COMPARATOR_SETS.items() for la in las])
    exclusions = pd.DataFrame({"measure": ["ks4_attainment8"], "academic_year": ["2019/20"]})
    return pd.DataFrame(rows), groups, exclusions


def _compare() -> dict:
    """Run in a fresh process: parallel first (this process has not estimated yet), then serial."""
    panels = evaluation.estimation_panels(*synthetic_inputs())
    planted = {"ks2_rwm_expected_pct": 1.0}
    parallel = evaluation._estimate_all(panels, planted, "2018/19", fast=False, workers=2)
    forked = not evaluation._ESTIMATED_HERE  # the parent did no estimation itself
    serial = evaluation._estimate_all(panels, planted, "2018/19", fast=False, workers=1)
    fast = evaluation._estimate_all(panels, planted, "2018/19", fast=True, workers=1)
    differing = sorted({key for (full_row, _), (fast_row, _) in zip(serial, fast)
                        for key in full_row if repr(full_row[key]) != repr(fast_row[key])})
    return {
        "panels": len(panels),
        "forked": forked,
        "parallel_equals_serial": repr(parallel) == repr(serial),
        "fast_event_study_equal": repr([events for _, events in serial]) == repr([events for _, events in fast]),
        "fast_differing_columns": differing,
        "fast_max_placebos": max(row["n_placebos"] for row, _ in fast),
        "fast_caveat": all(evaluation.FAST_MODE_NOTE in row["caveats"] for row, _ in fast),
        "full_caveat": any(evaluation.FAST_MODE_NOTE in row["caveats"] for row, _ in serial),
    }


def test_parallel_equals_serial_and_fast_mode_changes_only_the_draws():
    result = subprocess.run([sys.executable, "-m", "tests.unit.test_evaluation_speed"], cwd=REPO_ROOT,
                            env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["panels"] == 2 * len(evaluation.MEASURES)
    assert outcome["forked"]
    assert outcome["parallel_equals_serial"]
    assert outcome["fast_event_study_equal"]
    assert set(outcome["fast_differing_columns"]) <= DRAW_DEPENDENT
    assert "wild_bootstrap_p_value" in outcome["fast_differing_columns"]
    assert outcome["fast_max_placebos"] <= evaluation.FAST_PLACEBO_DRAWS
    assert outcome["fast_caveat"] and not outcome["full_caveat"]


def test_column_descriptions_name_the_draws_used():
    full, fast = evaluation.did_columns(), evaluation.did_columns(evaluation.FAST_BOOTSTRAP_REPS,
                                                                  evaluation.FAST_PLACEBO_DRAWS)
    assert full == evaluation.DID_COLUMNS
    assert f"({evaluation.BOOTSTRAP_REPS} Rademacher draws" in full["wild_bootstrap_p_value"][1]
    assert f"up to {evaluation.PLACEBO_DRAWS})" in full["n_placebos"][1]
    assert f"({evaluation.FAST_BOOTSTRAP_REPS} Rademacher draws" in fast["wild_bootstrap_p_value"][1]
    assert f"up to {evaluation.FAST_PLACEBO_DRAWS})" in fast["n_placebos"][1]


if __name__ == "__main__":
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        print(json.dumps(_compare()))
