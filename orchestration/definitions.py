"""The Dagster code location: one Definitions with every asset, check, job and schedule."""

import dagster as dg

from orchestration.checks.mart_checks import mart_checks
from orchestration.checks.raw_checks import raw_checks
from orchestration.dbt_assets import dbt_resource, localed_dbt_models
from orchestration.evaluation_assets import evaluation_estimates, la_evaluation_estimates
from orchestration.publish import findings_report, published_warehouse
from orchestration.raw_assets import raw_assets
from orchestration.resources import LocalEDResource

ALL_ASSETS = [*raw_assets, localed_dbt_models, evaluation_estimates, la_evaluation_estimates, published_warehouse,
              findings_report]

ALL_CHECKS = [*raw_checks, *mart_checks]

full_build = dg.define_asset_job(
    "full_build",
    selection=dg.AssetSelection.all(),
    description="Pull every dataset, build and test the warehouse, publish it if every check passed.",
    # A transient failure (a download, a lock) gets the whole run retried up to twice.
    tags={"dagster/max_retries": "2", "dagster/retry_strategy": "FROM_FAILURE"},
)

nightly = dg.ScheduleDefinition(
    name="nightly_full_build",
    job=full_build,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    description="Refresh everything at 02:00 UK time; a failed run publishes nothing.",
)

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[full_build],
    schedules=[nightly],
    resources={"localed": LocalEDResource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
)
