"""fct_arrangement_year in plain pandas: the benchmark's yardstick for the dbt/DuckDB transform.

The same computation as dbt_project/models/marts/evaluation/fct_arrangement_year.sql, written the
way an analyst would in pandas, on the same data: fct_school_year and the comparison groups
(intermediate.int_comparison_groups) read from a published warehouse (read-only).

For each academic year x phase (and 'all') x comparison group x measure: the cohort-weighted mean
sum(w * v) / sum(w), its standard error sqrt(sum(w^2 (v - mean)^2) * n / (n - 1)) / sum(w), the 95%
interval mean -/+ 1.96 se, the number of schools and pupils; cells from < 3 schools or < 6 pupils
carry 'c' and no number. The result is checked against the mart in the same warehouse.

    .venv/bin/python bench/pandas_arrangement_year.py data/marts/localed.duckdb [--repeat 3] [--json]

Timing: loading (DuckDB -> pandas) and computing are timed separately; computing is repeated and
the fastest repetition is reported. pandas runs single-threaded, as the build's DuckDB does (threads: 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import duckdb
import numpy as np
import pandas as pd

# (measure, weight) exactly as in the model's `measures` list.
MEASURES = [
    ("ks2_rwm_expected_pct", "ks2_cohort"),
    ("ks2_rwm_disadvantage_gap_pp", "ks2_cohort"),
    ("ks4_attainment8", "ks4_cohort"),
    ("ks4_attainment8_disadvantage_gap", "ks4_cohort"),
    ("ks4_progress8", "ks4_cohort"),
    ("overall_absence_pct", "pupils_on_roll"),
    ("persistent_absence_pct", "pupils_on_roll"),
    ("fsm_ever_pct", "pupils_on_roll"),
]
CELL = ["academic_year", "phase_group", "comparison_group", "group_role", "measure"]
MIN_SCHOOLS, MIN_PUPILS = 3, 6  # dbt_project.yml vars disclosure_min_schools / disclosure_min_pupils


def load(warehouse: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = sorted({"school_key", "academic_year", "la_code", "phase_group"}
                     | {m for m, _ in MEASURES} | {w for _, w in MEASURES})
    with duckdb.connect(warehouse, read_only=True) as con:
        schools = con.sql(f"select {', '.join(columns)} from main.fct_school_year").df()
        groups = con.sql("select la_code, comparison_group, group_role from intermediate.int_comparison_groups").df()
    return schools, groups


def arrangement_year(schools: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    # One row per school x year x measure with a value and a positive weight.
    keys = ["school_key", "academic_year", "la_code", "phase_group"]
    long = pd.concat(
        [schools.loc[schools[m].notna() & (schools[w] > 0), keys + [m, w]]
         .rename(columns={m: "value", w: "weight"}).assign(measure=m)
         for m, w in MEASURES],
        ignore_index=True,
    )
    long["weight"] = long["weight"].astype("float64")
    in_groups = long.merge(groups, on="la_code", how="inner")
    by_phase = pd.concat([in_groups, in_groups.assign(phase_group="all")], ignore_index=True)

    by_phase["weighted_value"] = by_phase["weight"] * by_phase["value"]
    cells = by_phase.groupby(CELL, sort=False).agg(
        n_schools=("value", "size"), n_pupils=("weight", "sum"), weighted_sum=("weighted_value", "sum"))
    cells["weighted_mean"] = cells["weighted_sum"] / cells["n_pupils"]

    mean = by_phase[CELL].merge(cells["weighted_mean"], left_on=CELL, right_index=True, how="left")["weighted_mean"]
    by_phase["squared_deviation"] = by_phase["weight"] ** 2 * (by_phase["value"] - mean.to_numpy()) ** 2
    cells["sum_squared_deviation"] = by_phase.groupby(CELL, sort=False)["squared_deviation"].sum()

    n = cells["n_schools"]
    correction = n / (n - 1).where(n > 1)  # n/(n-1); undefined for a single school
    cells["standard_error"] = np.sqrt(cells["sum_squared_deviation"] * correction) / cells["n_pupils"]

    suppressed = (cells["n_schools"] < MIN_SCHOOLS) | (cells["n_pupils"] < MIN_PUPILS)
    out = cells.reset_index()
    suppressed = suppressed.to_numpy()
    mean, se = out["weighted_mean"], out["standard_error"]
    out["value"] = mean.round(4).mask(suppressed)
    out["ci_low"] = (mean - 1.96 * se).round(4).mask(suppressed)
    out["ci_high"] = (mean + 1.96 * se).round(4).mask(suppressed)
    out["value_status"] = np.where(suppressed, "c", "reported")
    out["n_schools"] = out["n_schools"].astype("int64")
    out["n_pupils"] = out["n_pupils"].round().astype("int64")
    return out[CELL + ["n_schools", "n_pupils", "value", "ci_low", "ci_high", "value_status"]]


def compare(result: pd.DataFrame, warehouse: str) -> dict:
    """Cell by cell against the mart: same cells, counts and status; numbers within one rounding unit."""
    with duckdb.connect(warehouse, read_only=True) as con:
        mart = con.sql("select academic_year, phase_group, comparison_group, group_role, measure, n_schools, "
                       "n_pupils, value, ci_low, ci_high, value_status from main.fct_arrangement_year").df()
    both = mart.merge(result, on=CELL, how="outer", suffixes=("_sql", "_pandas"), indicator=True)
    matched_cells = both["_merge"] == "both"
    report = {"mart_cells": len(mart), "pandas_cells": len(result), "cells_in_both": int(matched_cells.sum())}
    both = both[matched_cells]
    report["counts_differ"] = int(((both["n_schools_sql"] != both["n_schools_pandas"])
                                   | (both["n_pupils_sql"] != both["n_pupils_pandas"])).sum())
    report["status_differs"] = int((both["value_status_sql"] != both["value_status_pandas"]).sum())
    reported = both[both["value_status_sql"] == "reported"]
    report["reported_cells"] = len(reported)
    worst = 0.0
    for column in ("value", "ci_low", "ci_high"):
        a, b = reported[f"{column}_sql"].astype(float), reported[f"{column}_pandas"].astype(float)
        if (a.isna() != b.isna()).any():
            worst = float("inf")
        worst = max(worst, float((a - b).abs().max()) if len(a) else 0.0)
    report["max_abs_difference"] = worst
    report["matched"] = (report["mart_cells"] == report["pandas_cells"] == report["cells_in_both"]
                         and report["counts_differ"] == 0 and report["status_differs"] == 0
                         and worst <= 1e-4 + 1e-9)  # round(x, 4) on each side: at most one unit apart
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", help="a published localed.duckdb (opened read-only)")
    parser.add_argument("--repeat", type=int, default=3, help="computations timed (fastest reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (for bench/run.py)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    schools, groups = load(args.warehouse)
    load_s = time.perf_counter() - started
    times = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        result = arrangement_year(schools, groups)
        times.append(time.perf_counter() - started)
    report = compare(result, args.warehouse)
    report |= {"fct_school_year_rows": len(schools), "load_s": load_s, "compute_s": min(times),
               "compute_all_s": times}
    if args.json:
        print(json.dumps(report))
    else:
        print(f"fct_school_year rows: {len(schools):,}; loaded in {load_s:.3f}s; "
              f"computed in {min(times):.3f}s (fastest of {len(times)})")
        print(f"cells: pandas {report['pandas_cells']:,}, mart {report['mart_cells']:,}; "
              f"largest difference on reported cells {report['max_abs_difference']:.2g}; "
              f"matched the mart: {'yes' if report['matched'] else 'NO'}")
    return 0 if report["matched"] else 1


if __name__ == "__main__":
    sys.exit(main())
