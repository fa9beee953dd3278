"""Checks on the marts before anything is published: a Great Expectations suite per mart
(expectations/mart_<mart>.json, blocking) and warnings that need a person's attention but must
not stop the nightly run (expectations/warn_<mart>.json)."""

import dagster as dg
import duckdb

from orchestration.checks.suites import validate
from orchestration.publish import SUPPORT_MARTS
from orchestration.resources import LocalEDResource
from orchestration.settings import EXPECTATIONS_DIR

# mart -> the asset that writes it (dbt models are their own assets; the estimates share one)
MART_ASSETS = {
    "dim_school": dg.AssetKey("dim_school"),
    "fct_school_year": dg.AssetKey("fct_school_year"),
    "fct_arrangement_year": dg.AssetKey("fct_arrangement_year"),
    "fct_published_comparison": dg.AssetKey("fct_published_comparison"),
    "fct_did_estimates": dg.AssetKey("evaluation_estimates"),
    "fct_event_study": dg.AssetKey("evaluation_estimates"),
    "fct_la_year": dg.AssetKey("fct_la_year"),
    "fct_la_source_agreement": dg.AssetKey("fct_la_source_agreement"),
    **{name: dg.AssetKey("la_evaluation_estimates")
       for name in ("fct_la_estimates", "fct_la_event_study", "fct_la_synthetic_paths")},
    **{name: dg.AssetKey(name) for name in SUPPORT_MARTS},
}


def build_mart_check(suite: str, mart: str, blocking: bool) -> dg.AssetChecksDefinition:
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN

    @dg.asset_check(asset=MART_ASSETS[mart], name=f"ge_{suite}", blocking=blocking,
                    description=f"Great Expectations suite expectations/{suite}.json on {mart}"
                                + ("" if blocking else " (a warning: does not stop publishing)"))
    def mart_check(context: dg.AssetCheckExecutionContext, localed: LocalEDResource) -> dg.AssetCheckResult:
        with duckdb.connect(str(localed.build_db(context.run.run_id)), read_only=True) as con:
            frame = con.execute(f'select * from main."{mart}"').df()
        passed, failures = validate(suite, frame) if len(frame) else (True, [])
        if failures:
            (context.log.error if blocking else context.log.warning)(f"{mart}: " + "\n  ".join(failures))
        return dg.AssetCheckResult(passed=passed, severity=severity,
                                   description=None if passed else f"{mart}: " + " | ".join(failures),
                                   metadata={"rows": len(frame), "failures": dg.MetadataValue.json(failures)})

    return mart_check


mart_checks = [
    build_mart_check(path.stem, path.stem.split("_", 1)[1], blocking=path.stem.startswith("mart_"))
    for path in sorted(EXPECTATIONS_DIR.glob("*.json"))
    if path.stem.startswith(("mart_", "warn_"))
]
