"""Great Expectations suites (JSON in expectations/) run on pandas DataFrames.

GE is imported lazily (about 8 s) and one ephemeral context serves the whole run. The
placeholder regex "$MEASURE" stands for "a number (optionally with %) or one of DfE's special
values", built from the one list of special values in dbt_project.yml. Failures name the column,
the expectation, and the first offending rows (file and row, where the frame has lineage).
"""

import json
import os
import re
from functools import lru_cache

import yaml

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


def validate(suite_name: str, frame, labels: dict[str, str] | None = None) -> tuple[bool, list[str]]:
    """Run a suite on a pandas DataFrame; return (passed, human-readable failures).

    labels maps a column to how the source file names it, so messages speak the user's language."""
    labels = labels or {}
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
            place = (f"{row['_source_file']} row {row['_source_row']}" if "_source_file" in row
                     else ", ".join(f"{k}={row[k]}" for k in ("school_key", "academic_year", "measure") if k in row)
                     or f"row {int(index) + 1}")
            where.append(place + (f" value {value!r}" if value is not None else ""))
        what = config.meta.get("explanation") if config.meta else None
        column_name = kwargs.get("column") or kwargs.get("column_list")
        if isinstance(column_name, str) and labels.get(column_name, column_name) != column_name:
            column_name = f"{column_name} ({labels[column_name]} in the file)"
        failures.append(
            f"column {column_name}: {config.type}"
            f"{' (' + what + ')' if what else ''}: {detail.get('unexpected_count', 'some')} unexpected"
            + (f"; e.g. {'; '.join(where)}" if where else "")
            + (f"; observed {detail['observed_value']!r}" if 'observed_value' in detail else "")
        )
    return result.success, failures
