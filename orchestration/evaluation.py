"""The evaluation: did schools in the combined-authority arrangement change differently after the
pilot began than schools in comparator LAs? (domain.md §5)

For each measure and comparator set:
- difference in differences with school and year fixed effects, weighted by cohort, errors
  clustered by LA (pyfixest);
- a wild cluster bootstrap p-value at LA level (wildboottest). pyfixest's bootstrap refuses
  regression weights, so it runs on the equivalent unweighted regression: the weighted, fixed-
  effect-demeaned outcome and treatment, each times sqrt(weight) (Frisch-Waugh-Lovell);
- placebo permutations: the same number of LAs as were treated, drawn from the comparators,
  re-estimated on the same demeaned data; p = share of placebo effects at least as large;
- an event study with the reference year from evaluation_settings (2018/19).

The (measure, comparator set) panels are independent, so they run in up to WORKERS forked worker
processes; results are collected in the panels' order and every panel uses its own fixed seeds,
so the output does not depend on how the work was split. `fast=True` (tests only, never published)
uses FAST_BOOTSTRAP_REPS and FAST_PLACEBO_DRAWS: the estimates, intervals and event study are
unchanged, only the bootstrap and placebo p-values and the placebo interval are coarser.

Inputs come from the run's warehouse: fct_school_year (treated and post flags already follow the
seeds), int_comparison_groups, evaluation_settings and measure_year_exclusions. Nothing here is
hard-coded about which LAs are treated or when the pilot began.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

# measure -> weight column in fct_school_year
MEASURES = {
    "ks2_rwm_expected_pct": "ks2_cohort",
    "ks2_rwm_disadvantage_gap_pp": "ks2_cohort",
    "ks4_attainment8": "ks4_cohort",
    "ks4_attainment8_disadvantage_gap": "ks4_cohort",
    "overall_absence_pct": "pupils_on_roll",
    "persistent_absence_pct": "pupils_on_roll",
}
MIN_SCHOOLS = 3  # disclosure control, as var('disclosure_min_schools') in dbt_project.yml
MIN_LAS = 3  # clusters needed before an estimate is worth publishing
BOOTSTRAP_REPS = 999
PLACEBO_DRAWS = 99
# Fast mode, for tests only: never used for published numbers.
FAST_BOOTSTRAP_REPS = 199
FAST_PLACEBO_DRAWS = 49
SEED = 20220401
WORKERS = 2  # worker processes for the independent panels (capped by the CPUs this process may use)
FAST_MODE_NOTE = (f"FAST TEST MODE: {FAST_BOOTSTRAP_REPS} bootstrap draws and up to {FAST_PLACEBO_DRAWS} placebo "
                  "assignments; not for publication.")

COMMON_CAVEATS = (
    "Short pre-period: pre-trend tests have little power. "
    "Few treated LAs: read the wild-bootstrap and placebo p-values, not only the cluster-robust interval. "
    "Confounders: Education Investment Areas from 2022 (Plymouth, Dudley, South Tyneside, Sunderland, "
    "Durham, not the North of Tyne LAs) and Opportunity North East (2019-2022, North East secondaries)."
)


@dataclass(frozen=True)
class Panel:
    """One measure's estimation sample."""

    data: pd.DataFrame  # school_key, academic_year, la_code, cluster (current LA), value, weight, treated, post
    measure: str
    comparator_set: str


def estimation_panels(school_years: pd.DataFrame, groups: pd.DataFrame, exclusions: pd.DataFrame) -> list[Panel]:
    """Treated LAs plus each comparator set's LAs, one panel per measure and set."""
    panels = []
    treated_las = set(groups.loc[groups.group_role == "treated", "la_code"])
    # Cluster on the school's current LA: a school whose LA was reorganised stays in one cluster.
    school_years = school_years.assign(cluster=school_years.current_la_code.fillna(school_years.la_code).astype(int))
    for comparator_set in sorted(groups.loc[groups.group_role == "comparator", "comparison_group"].unique()):
        comparators = set(groups.loc[groups.comparison_group == comparator_set, "la_code"])
        sample = school_years[school_years.la_code.isin(treated_las | comparators)]
        for measure, weight in MEASURES.items():
            excluded = set(exclusions.loc[exclusions.measure == measure, "academic_year"])
            frame = sample.loc[sample[measure].notna() & (sample[weight] > 0) & ~sample.academic_year.isin(excluded),
                               ["school_key", "academic_year", "la_code", "cluster", measure, weight, "is_treated_la",
                                "is_post_pilot"]]
            frame = frame.rename(columns={measure: "value", weight: "weight"})
            frame["treated"] = frame.pop("is_treated_la").astype(float)
            frame["post"] = frame.pop("is_post_pilot").astype(float)
            # A school observed once carries no within-school change.
            frame = frame[frame.groupby("school_key").academic_year.transform("nunique") > 1]
            # Disclosure control: no estimate unless each group has enough schools; and no
            # cluster-robust inference with fewer than MIN_LAS LAs.
            schools_per_group = frame.groupby("treated").school_key.nunique()
            if (len(schools_per_group) == 2 and schools_per_group.min() >= MIN_SCHOOLS
                    and frame.cluster.nunique() >= MIN_LAS and frame.post.sum() and (1 - frame.post).sum()):
                panels.append(Panel(frame.reset_index(drop=True), measure, comparator_set))
    return panels


def _demeaned(panel: Panel, columns: np.ndarray) -> np.ndarray:
    """Weighted two-way (school, year) demeaning of the columns, times sqrt(weight)."""
    _mark_estimated_here()
    from pyfixest.estimation import demean

    data = panel.data
    fixed_effects = np.column_stack([
        pd.factorize(data.school_key)[0], pd.factorize(data.academic_year)[0]]).astype(np.uint64)
    weights = data.weight.to_numpy(float)
    demeaned, converged = demean(np.ascontiguousarray(columns, dtype=float), fixed_effects, weights)
    if not converged:
        raise RuntimeError(f"fixed-effect demeaning did not converge for {panel.measure}")
    scale = np.sqrt(weights)[:, None]
    if demeaned.flags.writeable:  # in place: the same products, one large copy fewer
        return np.multiply(demeaned, scale, out=demeaned)
    return demeaned * scale


def _reuse_wildboottest_kernel() -> None:
    """Compile wildboottest's bootstrap kernel once per process instead of once per call.

    wildboottest defines its numba kernel (compute_denom) inside WildboottestCL.get_denom, so every
    bootstrap builds a new dispatcher and numba compiles the same code again (about half a second,
    the largest single cost of the evaluation). The kernel closes over nothing (all inputs are
    arguments), so handing back the dispatcher already compiled for the same code object and options
    runs the very same machine code: the numbers are unchanged, only the recompilation goes.
    """
    try:
        import wildboottest.wildboottest as wildboottest_module
    except ImportError:  # pragma: no cover - pyfixest reports the missing package itself
        return
    original = wildboottest_module.njit
    if getattr(original, "_localed_reuses_kernels", False):
        return
    compiled: dict = {}

    def njit(*args, **options):
        if args and callable(args[0]) and len(args) == 1:  # bare @njit
            return njit(**options)(args[0])

        def decorate(function):
            if args or function.__code__.co_freevars or function.__defaults__ or function.__kwdefaults__:
                return original(*args, **options)(function)
            key = (function.__code__, tuple(sorted(options.items())))
            if key not in compiled:
                compiled[key] = original(**options)(function)
            return compiled[key]
        return decorate

    njit._localed_reuses_kernels = True
    wildboottest_module.njit = njit


def _mark_estimated_here() -> None:
    """Note that this process has run pyfixest's (multi-threaded, Rust) estimation code.

    Its thread pool does not survive fork(): a process that has estimated must not fork workers
    that estimate again (they would wait for threads that do not exist), so it estimates serially.
    """
    global _ESTIMATED_HERE
    _ESTIMATED_HERE = True


_ESTIMATED_HERE = False


def did_estimate(panel: Panel, planted_effect: float | None, fast: bool = False) -> dict:
    import pyfixest as pf

    _mark_estimated_here()
    _reuse_wildboottest_kernel()
    bootstrap_reps, placebo_draws = (FAST_BOOTSTRAP_REPS, FAST_PLACEBO_DRAWS) if fast else (BOOTSTRAP_REPS, PLACEBO_DRAWS)

    data = panel.data.assign(treated_post=panel.data.treated * panel.data.post)
    n_las = data.cluster.nunique()
    n_treated_las = data.loc[data.treated == 1, "cluster"].nunique()
    fit = pf.feols("value ~ treated_post | school_key + academic_year", data=data, weights="weight",
                   vcov={"CRV1": "cluster"})
    tidy = fit.tidy().loc["treated_post"]

    # Wild cluster bootstrap on the equivalent unweighted regression (FWL).
    transformed = _demeaned(panel, np.column_stack([data.value, data.treated_post]))
    fwl = pd.DataFrame({"y": transformed[:, 0], "d": transformed[:, 1], "cluster": data.cluster.to_numpy()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = pf.feols("y ~ d - 1", data=fwl, vcov={"CRV1": "cluster"}).wildboottest(
            param="d", reps=bootstrap_reps, seed=SEED, cluster="cluster")
    placebo_p, placebo_low, placebo_high, n_placebos = _placebos(panel, float(tidy["Estimate"]), n_treated_las,
                                                                 placebo_draws)
    return {
        "measure": panel.measure,
        "comparator_set": panel.comparator_set,
        "method": "twfe_did",
        "estimate": float(tidy["Estimate"]),
        "std_error": float(tidy["Std. Error"]),
        "ci_low": float(tidy["2.5%"]),
        "ci_high": float(tidy["97.5%"]),
        "p_value": float(tidy["Pr(>|t|)"]),
        "wild_bootstrap_p_value": float(boot["Pr(>|t|)"]),
        "placebo_p_value": placebo_p,
        "placebo_ci_low": placebo_low,
        "placebo_ci_high": placebo_high,
        "n_placebos": n_placebos,
        "n_observations": int(len(data)),
        "n_schools": int(data.school_key.nunique()),
        "n_las": int(n_las),
        "n_treated_las": int(n_treated_las),
        "first_year": str(data.academic_year.min()),
        "last_year": str(data.academic_year.max()),
        "planted_effect": planted_effect,
        "caveats": _caveats(panel, n_las, n_treated_las, n_placebos, fast),
    }


def _placebos(panel: Panel, estimate: float, n_treated: int, placebo_draws: int = PLACEBO_DRAWS):
    """Pretend a random set of comparator LAs (as many as were treated) was treated, using the
    comparators alone (the truly treated schools must not sit in the control group), and
    re-estimate on the same weighted two-way demeaning. Returns (p, interval low, high, draws)."""
    controls = Panel(panel.data[panel.data.treated == 0].reset_index(drop=True), panel.measure, panel.comparator_set)
    comparator_las = np.array(sorted(controls.data.cluster.unique()))
    if len(comparator_las) < n_treated + 1:
        return None, None, None, 0
    rng = np.random.default_rng([SEED, len(comparator_las)])
    draws = sorted({tuple(sorted(rng.choice(comparator_las, n_treated, replace=False))) for _ in range(placebo_draws)})
    clusters, post = controls.data.cluster.to_numpy(), controls.data.post.to_numpy()
    # Column 0 the outcome, column 1 + j placebo draw j's treated_post (in a drawn LA, times post),
    # built in one C-ordered array: the same 0/1 values as one isin() column per draw, stacked.
    in_draw = np.zeros((len(comparator_las), len(draws)), dtype=bool)
    for j, draw in enumerate(draws):
        in_draw[np.searchsorted(comparator_las, draw), j] = True
    columns = np.empty((len(clusters), 1 + len(draws)))
    columns[:, 0] = controls.data.value.to_numpy()
    np.multiply(in_draw[np.searchsorted(comparator_las, clusters)], post[:, None], out=columns[:, 1:])
    demeaned = _demeaned(controls, columns)
    y, d = demeaned[:, :1], demeaned[:, 1:]
    effects = (d * y).sum(axis=0) / (d ** 2).sum(axis=0)
    p_value = float((1 + np.sum(np.abs(effects) >= abs(estimate))) / (1 + len(effects)))
    # Randomisation interval: the placebo spread around the estimate (constant-effect assumption).
    low, high = np.quantile(effects, [0.025, 0.975])
    return p_value, float(estimate - high), float(estimate - low), len(draws)


def _caveats(panel: Panel, n_las: int, n_treated_las: int, n_placebos: int, fast: bool = False) -> str:
    notes = [COMMON_CAVEATS]
    if fast:
        notes.append(FAST_MODE_NOTE)
    if n_treated_las < 6:
        notes.append(f"With {n_treated_las} treated LAs the wild cluster bootstrap is known to be very conservative "
                     "(MacKinnon and Webb 2017): a large bootstrap p-value alone is not evidence of no effect.")
    if n_las - n_treated_las < 10:
        notes.append(f"Only {n_las - n_treated_las} comparator LAs: cluster-robust errors are unreliable with so few clusters.")
    if n_placebos < 20:
        notes.append(f"Only {n_placebos} distinct placebo assignments: the placebo p-value cannot be small.")
    if panel.measure.startswith("overall_absence") or panel.measure.startswith("persistent_absence"):
        notes.append("Absence in 2021/22 (a pre-pilot year here) was still shaped by COVID.")
    if "gap" in panel.measure:
        notes.append("Disadvantage gaps are often suppressed for small schools: the sample is larger schools.")
    return " ".join(notes)


def event_study(panel: Panel, reference_year: str) -> list[dict]:
    import pyfixest as pf

    data = panel.data
    if reference_year not in set(data.academic_year.unique()):
        return []
    _mark_estimated_here()
    fit = pf.feols(f"value ~ i(academic_year, treated, ref='{reference_year}') | school_key + academic_year",
                   data=data, weights="weight", vcov={"CRV1": "cluster"})
    tidy = fit.tidy()
    rows = []
    reference_start = int(reference_year[:4])
    for academic_year in sorted(data.academic_year.unique()):
        is_reference = academic_year == reference_year
        matches = [name for name in tidy.index if f"[{academic_year}]" in name or f"::{academic_year}" in name]
        if not is_reference and not matches:
            continue
        row = tidy.loc[matches[0]] if matches else None
        n_schools = int(data.loc[data.academic_year == academic_year, "school_key"].nunique())
        disclosed = n_schools >= MIN_SCHOOLS  # disclosure control
        rows.append({
            "measure": panel.measure,
            "comparator_set": panel.comparator_set,
            "academic_year": academic_year,
            "years_from_reference": int(academic_year[:4]) - reference_start,
            "is_reference_year": is_reference,
            "is_post_pilot": bool(data.loc[data.academic_year == academic_year, "post"].iloc[0]),
            "estimate": None if not disclosed else 0.0 if is_reference else float(row["Estimate"]),
            "ci_low": None if is_reference or not disclosed else float(row["2.5%"]),
            "ci_high": None if is_reference or not disclosed else float(row["97.5%"]),
            "p_value": None if is_reference or not disclosed else float(row["Pr(>|t|)"]),
            "n_schools": n_schools,
            "n_las": int(data.cluster.nunique()),
        })
    return rows


# Column dictionaries: the published schema and its descriptions (stored as DuckDB comments).
def did_columns(bootstrap_reps: int = BOOTSTRAP_REPS, placebo_draws: int = PLACEBO_DRAWS) -> dict:
    """fct_did_estimates' columns; the descriptions name the draws actually used."""
    return {
        "measure": ("VARCHAR", "Outcome (a fct_school_year column): e.g. ks2_rwm_expected_pct, ks4_attainment8, overall_absence_pct."),
        "comparator_set": ("VARCHAR", "Comparison group the treated LAs are set against (comparator_sets seed, or all_other_las)."),
        "method": ("VARCHAR", "twfe_did: difference in differences, school and year fixed effects, weighted by cohort."),
        "estimate": ("DOUBLE", "Effect of the arrangement after the pilot began, in the measure's units (percentage points, Attainment 8 points)."),
        "std_error": ("DOUBLE", "Cluster-robust (CRV1, by LA) standard error."),
        "ci_low": ("DOUBLE", "Lower end of the 95% cluster-robust interval."),
        "ci_high": ("DOUBLE", "Upper end of the 95% cluster-robust interval."),
        "p_value": ("DOUBLE", "Cluster-robust p-value (t with clusters - 1 degrees of freedom)."),
        "wild_bootstrap_p_value": ("DOUBLE", f"Wild cluster bootstrap p-value at LA level ({bootstrap_reps} Rademacher draws, null imposed)."),
        "placebo_p_value": ("DOUBLE", "Share of placebo assignments (comparator LAs pretend-treated, estimated on comparators only) with an effect at least as large."),
        "placebo_ci_low": ("DOUBLE", "Randomisation interval from the placebo effects (assumes a constant effect)."),
        "placebo_ci_high": ("DOUBLE", "Upper end of the randomisation interval."),
        "n_placebos": ("INTEGER", f"Distinct placebo assignments drawn (up to {placebo_draws})."),
        "n_observations": ("INTEGER", "School-years in the estimation sample."),
        "n_schools": ("INTEGER", "Schools in the sample (observed in at least two years)."),
        "n_las": ("INTEGER", "LAs in the sample (treated and comparators, by each school's current LA): the clusters."),
        "n_treated_las": ("INTEGER", "Treated LAs in the sample."),
        "first_year": ("VARCHAR", "First academic year used."),
        "last_year": ("VARCHAR", "Last academic year used."),
        "planted_effect": ("DOUBLE", "Demo builds only: the effect the synthetic generator planted for this measure, to check the method recovers it. NULL on real data."),
        "caveats": ("VARCHAR", "What an evaluator must read before using the estimate."),
        "data_provenance": ("VARCHAR", "Where the numbers come from. Demo builds say SYNTHETIC DEMO DATA."),
    }


DID_COLUMNS = did_columns()
EVENT_COLUMNS = {
    "measure": ("VARCHAR", "Outcome (a fct_school_year column)."),
    "comparator_set": ("VARCHAR", "Comparison group."),
    "academic_year": ("VARCHAR", "Academic year, written like 2018/19."),
    "years_from_reference": ("INTEGER", "Years after (or before, negative) the reference year."),
    "is_reference_year": ("BOOLEAN", "The reference year (evaluation_settings.event_study_reference_year): estimate fixed at 0."),
    "is_post_pilot": ("BOOLEAN", "The year starts after the pilot began."),
    "estimate": ("DOUBLE", "Treated-minus-comparator difference in that year relative to the reference year (school and year fixed effects, weighted)."),
    "ci_low": ("DOUBLE", "Lower end of the 95% cluster-robust interval (NULL in the reference year)."),
    "ci_high": ("DOUBLE", "Upper end of the 95% cluster-robust interval."),
    "p_value": ("DOUBLE", "Cluster-robust p-value."),
    "n_schools": ("INTEGER", "Schools observed that year in the sample."),
    "n_las": ("INTEGER", "LAs in the sample."),
    "data_provenance": ("VARCHAR", "Where the numbers come from. Demo builds say SYNTHETIC DEMO DATA."),
}


def write_table(con, name: str, columns: dict, rows: list[dict], table_comment: str) -> None:
    """Create main.<name> with the declared types, insert rows, and store every description."""
    con.execute(f'create or replace table main."{name}" ('
                + ", ".join(f'"{c}" {t}' for c, (t, _) in columns.items()) + ")")
    if rows:
        frame = pd.DataFrame(rows, columns=list(columns))
        con.register("incoming", frame)
        con.execute(f'insert into main."{name}" select * from incoming')
        con.unregister("incoming")
    con.execute(f"comment on table main.\"{name}\" is '{table_comment.replace(chr(39), chr(39) * 2)}'")
    for column, (_, description) in columns.items():
        con.execute(f"comment on column main.\"{name}\".\"{column}\" is '{description.replace(chr(39), chr(39) * 2)}'")


def _estimate(panel: Panel, planted_effect: float | None, reference_year: str, fast: bool) -> tuple[dict, list[dict]]:
    """Everything estimated on one panel: its difference in differences and its event study."""
    return did_estimate(panel, planted_effect, fast), event_study(panel, reference_year)


# What forked workers estimate: set by _estimate_all just before it forks, read by _estimate_nth.
_WORK: tuple | None = None


def _estimate_nth(index: int) -> tuple[dict, list[dict]]:
    panels, planted, reference_year, fast = _WORK
    return _estimate(panels[index], planted.get(panels[index].measure), reference_year, fast)


def _worker_count(n_panels: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(WORKERS, cpus, n_panels))


def _estimate_all(panels: list[Panel], planted: dict[str, float], reference_year: str, fast: bool,
                  workers: int | None = None) -> list[tuple[dict, list[dict]]]:
    """Estimate every panel, in forked workers when there is more than one CPU; results in panel order.

    Forked workers inherit the parent's imports (paid once), its string-hash seed (PYTHONHASHSEED,
    on which pyfixest's last decimals depend) and its warning filters. Each panel's numbers depend
    only on the panel and its fixed seeds, so splitting the work does not change them. A process that
    has already estimated (pyfixest's thread pool would not survive a fork) works serially.
    """
    global _WORK
    workers = _worker_count(len(panels)) if workers is None else max(1, min(workers, len(panels)))
    if (workers > 1 and not _ESTIMATED_HERE and not multiprocessing.current_process().daemon
            and "fork" in multiprocessing.get_all_start_methods()):
        import pyfixest as pf

        pf.feols  # noqa: B018 - import the estimation code once, before forking, not once per worker
        _reuse_wildboottest_kernel()
        # Largest panels first, one at a time to whichever worker is free; results go back in panel order.
        order = sorted(range(len(panels)), key=lambda index: (-len(panels[index].data), index))
        _WORK = (panels, planted, reference_year, fast)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = dict(zip(order, pool.map(_estimate_nth, order, chunksize=1)))
        finally:
            _WORK = None
        return [results[index] for index in range(len(panels))]
    return [_estimate(panel, planted.get(panel.measure), reference_year, fast) for panel in panels]


def run(build_db: str, planted: dict[str, float], fast: bool = False, workers: int | None = None) -> tuple[int, int]:
    """Read the run's marts, estimate, write fct_did_estimates and fct_event_study. Returns row counts.

    fast=True is for tests only: fewer bootstrap and placebo draws (see FAST_MODE_NOTE); never
    publish its numbers. workers: processes to use (default: up to WORKERS, one per CPU).
    """
    import duckdb

    columns = sorted({"school_key", "academic_year", "la_code", "current_la_code", "is_treated_la", "is_post_pilot",
                      "data_provenance"}
                     | set(MEASURES) | set(MEASURES.values()))
    with duckdb.connect(build_db, read_only=True) as con:
        # Ordered reads: float sums depend on row order, and identical inputs must give identical bytes.
        school_years = con.execute(f"select {', '.join(columns)} from main.fct_school_year "
                                   "order by school_key, academic_year").df()
        groups = con.execute("select la_code, comparison_group, group_role from intermediate.int_comparison_groups "
                             "where used_at_school_level order by all").df()
        settings = dict(con.execute("select setting, value from reference.evaluation_settings").fetchall())
        exclusions = con.execute("select measure, academic_year from reference.measure_year_exclusions order by all").df()
    provenance = school_years.data_provenance.iloc[0] if len(school_years) else None
    panels = estimation_panels(school_years, groups, exclusions)
    estimates, events = [], []
    for estimate, event_rows in _estimate_all(panels, planted, settings["event_study_reference_year"], fast, workers):
        estimates.append(estimate | {"data_provenance": provenance})
        events += [row | {"data_provenance": provenance} for row in event_rows]
    from orchestration.la_evaluation import multiple_comparisons_note

    for row in estimates:  # one test per estimate and inference (cluster-robust, bootstrap, placebo)
        row["caveats"] += " " + multiple_comparisons_note(
            3 * len(estimates), "measures x comparator sets x the three inferences: cluster-robust, bootstrap, placebo")
    did_comment = ("Difference-in-differences estimates of the combined-authority arrangement's effect, by measure and "
                   "comparator set.")
    event_comment = "Event study: treated-minus-comparator difference by year, relative to the reference year."
    did_column_spec = DID_COLUMNS
    if fast:
        did_comment += " " + FAST_MODE_NOTE
        did_column_spec = did_columns(FAST_BOOTSTRAP_REPS, FAST_PLACEBO_DRAWS)
    with duckdb.connect(build_db) as con:
        write_table(con, "fct_did_estimates", did_column_spec, estimates, did_comment)
        write_table(con, "fct_event_study", EVENT_COLUMNS, events, event_comment)
    return len(estimates), len(events)


def run_in_subprocess(build_db: str, planted: dict[str, float], fast: bool = False) -> tuple[int, int]:
    """Run the estimation in a fresh process with a fixed hash seed.

    pyfixest's results depend (in the ninth decimal) on Python's per-process string-hash seed, and
    an evaluator reproducing the warehouse compares content hashes: PYTHONHASHSEED must be fixed
    before the interpreter starts, so the estimation gets its own process (its forked workers
    inherit the seed). fast=True: tests only, see run().
    """
    counts = run_module_in_subprocess("orchestration.evaluation", build_db, planted, fast)
    return counts["estimates"], counts["event_study_rows"]


def run_module_in_subprocess(module: str, build_db: str, planted: dict[str, float], fast: bool) -> dict:
    """`python -m <module> --build-db ... --planted ... [--fast]` with PYTHONHASHSEED=0; the module
    prints its row counts as JSON on its last line."""
    command = [sys.executable, "-m", module, "--build-db", build_db,
               "--planted", json.dumps(planted, sort_keys=True)] + (["--fast"] if fast else [])
    result = subprocess.run(command, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="Estimate the arrangement's effect into a run's warehouse.")
    parser.add_argument("--build-db", required=True)
    parser.add_argument("--planted", default="{}", help="JSON: measure -> planted effect (demo builds)")
    parser.add_argument("--fast", action="store_true",
                        help=f"tests only: {FAST_BOOTSTRAP_REPS} bootstrap draws, up to {FAST_PLACEBO_DRAWS} placebo "
                             "assignments; never for published numbers")
    parser.add_argument("--workers", type=int, default=None, help=f"worker processes (default: up to {WORKERS})")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n_estimates, n_events = run(args.build_db, json.loads(args.planted), fast=args.fast, workers=args.workers)
    print(json.dumps({"estimates": n_estimates, "event_study_rows": n_events}))


if __name__ == "__main__":
    main()
