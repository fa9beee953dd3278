"""Blocking Great Expectations checks on every landed raw table.

Suites live as JSON in expectations/raw_<dataset>.json. The placeholder regex "$MEASURE" stands
for "a number (optionally with %) or one of DfE's special values", built from the one list of
special values in dbt_project.yml. Failures name the column, the expectation, and the first
offending file rows.
"""


import json
import os
import re
from functools import lru_cache

import dagster as dg
import duckdb
import yaml

from orchestration.raw_assets import DATASETS
from orchestration.resources import LocalEDResource
from orchestration.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR


@lru_cache(maxsize=1)
def measure_regex() -> str:
    codes = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["special_values"]
    alternatives = "|".join(re.escape(str(code)) for code in codes)
    return rf"^\s*$|^\s*-?\d+(\.\d+)?%?\s*$|^\s*({alternatives})\s*$"


def load_suite(name: str) -> dict:
    suite = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())
    for expectation in suite["expectations"]:
        if expectation["kwargs"].get("regex") == "$MEASURE":
            expectation["kwargs"]["regex"] = measure_regex()
    return suite


@lru_cache(maxsize=1)
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # imported lazily: ~8 s
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = context.data_sources.add_pandas("landed").add_dataframe_asset("frame") \
        .add_batch_definition_whole_dataframe("whole")
    return gx, context, batch


def validate(suite_name: str, frame) -> tuple[bool, list[str]]:
    """Run a suite on a pandas DataFrame; return (passed, human-readable failures)."""
    gx, context, batch = _context()
    suite_dict = load_suite(suite_name)
    try:
        context.suites.delete(suite_dict["name"])
    except Exception:  # not there yet
        pass
    suite = context.suites.add(gx.ExpectationSuite(**suite_dict))
    definition = gx.ValidationDefinition(name=f"validate_{suite_name}", data=batch, suite=suite)
    result = definition.run(batch_parameters={"dataframe": frame},
                            result_format={"result_format": "COMPLETE", "partial_unexpected_count": 5})
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        kwargs = config.kwargs
        detail = outcome.result or {}
        where = []
        for index in (detail.get("unexpected_index_list") or [])[:3]:
            if isinstance(index, dict):  # some expectations report the index as a dict
                index = index.get("index", next(iter(index.values())))
            row = frame.iloc[int(index)]
            column = kwargs.get("column") or ",".join(kwargs.get("column_list", []))
            value = row.get(column) if "column" in kwargs else None
            where.append(f"{row['_source_file']} row {row['_source_row']}"
                         + (f" value {value!r}" if value is not None else ""))
        what = config.meta.get("explanation") if config.meta else None
        failures.append(
            f"column {kwargs.get('column') or kwargs.get('column_list')}: {config.type}"
            f"{' (' + what + ')' if what else ''}: {detail.get('unexpected_count', 'some')} unexpected"
            + (f"; e.g. {'; '.join(where)}" if where else "")
            + (f"; observed {detail['observed_value']!r}" if 'observed_value' in detail else "")
        )
    return result.success, failures


def build_raw_check(dataset: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", dataset]), name=f"ge_raw_{dataset}", blocking=True,
                    description=f"Great Expectations suite expectations/raw_{dataset}.json on the landed table")
    def raw_check(context: dg.AssetCheckExecutionContext, localed: LocalEDResource) -> dg.AssetCheckResult:
        with duckdb.connect(str(localed.build_db(context.run.run_id)), read_only=True) as con:
            frame = con.execute(f'select * from raw."{dataset}"').df()
        if frame.empty:
            return dg.AssetCheckResult(passed=True, metadata={"rows": 0, "note": "no files for this dataset"})
        passed, failures = validate(f"raw_{dataset}", frame)
        if not passed:
            context.log.error(f"raw/{dataset} failed its checks:\n  " + "\n  ".join(failures))
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if passed else f"raw/{dataset}: " + " | ".join(failures),
            metadata={"rows": len(frame), "failures": dg.MetadataValue.json(failures)},
        )

    return raw_check


raw_checks = [build_raw_check(spec.name) for spec, _ in DATASETS]
