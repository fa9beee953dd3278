"""The estimates as a Dagster asset: reads the run's marts, writes fct_did_estimates and fct_event_study."""

import time

import dagster as dg

from orchestration.evaluation import run_in_subprocess
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
