"""The estimates as a Dagster asset: reads the run's marts, writes fct_did_estimates and fct_event_study."""

import time

import dagster as dg

from orchestration.evaluation import run_in_subprocess, run_module_in_subprocess
from orchestration.progress import say
from orchestration.resources import LocalEDResource


@dg.asset(
    key=["evaluation_estimates"],
    group_name="evaluation",
    deps=[dg.AssetKey("fct_school_year"), dg.AssetKey(["intermediate", "int_comparison_groups"]),
          dg.AssetKey(["reference", "evaluation_settings"]), dg.AssetKey(["reference", "measure_year_exclusions"])],
    description="Difference in differences and event study (pyfixest), with wild cluster bootstrap and placebo "
                "permutations: writes fct_did_estimates and fct_event_study into the run's warehouse.",
    kinds={"python", "duckdb"},
)
def evaluation_estimates(context: dg.AssetExecutionContext, localed: LocalEDResource) -> dg.MaterializeResult:
    started = time.monotonic()
    planted = localed.demo_config().implied_effects() if localed.source_mode() == "demo" else {}
    n_estimates, n_events = run_in_subprocess(str(localed.build_db(context.run_id)), planted, fast=localed.fast)
    say("evaluation", f"{n_estimates} estimates, {n_events} event-study rows in {time.monotonic() - started:.1f}s")
    return dg.MaterializeResult(metadata={"estimates": n_estimates, "event_study_rows": n_events,
                                          "duration_s": round(time.monotonic() - started, 2)})


@dg.asset(
    key=["la_evaluation_estimates"],
    group_name="evaluation",
    deps=[dg.AssetKey("fct_la_year"), dg.AssetKey(["intermediate", "int_comparison_groups"]),
          dg.AssetKey(["reference", "evaluation_settings"]), dg.AssetKey(["reference", "la_indicator_measures"])],
    description="The LA-level evaluation on DfE's LA-level series: difference in differences with randomization "
                "inference, synthetic control (pysyncon) with placebos, and an event study with randomization bands. "
                "Writes fct_la_estimates, fct_la_event_study and fct_la_synthetic_paths.",
    kinds={"python", "duckdb"},
)
def la_evaluation_estimates(context: dg.AssetExecutionContext, localed: LocalEDResource) -> dg.MaterializeResult:
    started = time.monotonic()
    planted = localed.demo_config().implied_effects() if localed.source_mode() == "demo" else {}
    # Its own process, like the school-level estimates: fixed hash seed, and workers forked before
    # any estimation code has run.
    counts = run_module_in_subprocess("orchestration.la_evaluation", str(localed.build_db(context.run_id)), planted,
                                      fast=localed.fast)
    say("la-evaluation", f"{counts['estimates']} LA-level estimates, {counts['event_study_rows']} event-study rows, "
                         f"{counts['synthetic_path_rows']} synthetic-control path rows in "
                         f"{time.monotonic() - started:.1f}s")
    return dg.MaterializeResult(metadata={**counts, "duration_s": round(time.monotonic() - started, 2)})
