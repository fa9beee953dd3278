"""Great Expectations suites (JSON in expectations/) run on pandas DataFrames.

GE is imported lazily, once per process, and one ephemeral context serves the whole run; each
suite is built once per process and reused. The placeholder regex "$MEASURE" stands for "a number
(optionally with %) or one of DfE's special values", built from the one list of special values in
dbt_project.yml. Failures name the column, the expectation, and the first offending rows (file
and row, where the frame has lineage).

Where the time went, and what keeps it down (same results and messages as one COMPLETE run):
- every suite runs first with result_format BOOLEAN_ONLY (counts only); only the expectations
  that failed are re-run with COMPLETE to get the offending rows for the message;
- GE sees only the columns the suite names or its row conditions mention (a row condition
  filters, and copies, the whole frame once per metric), with the frame's own index, so row
  numbers are unchanged;
- the measure regex reaches GE with \\s spelled out as the characters Python's \\s matches, so
  pandas runs it in pyarrow rather than calling Python's re once per value (same matches).
"""

import json
import os
import re
from functools import lru_cache

import yaml

from orchestration.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR

COMPLETE = {"result_format": "COMPLETE", "partial_unexpected_count": 5}
# Expectations that look only at the columns they name (and, for row_condition, the columns in it).
_COLUMN_TYPES_PREFIXES = ("expect_column_", "expect_compound_columns_", "expect_multicolumn_",
                          "expect_select_column_values_")
_TABLE_TYPES_NEEDING_NO_COLUMNS = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")


# Exactly the characters Python's \s matches in a str pattern (those for which str.isspace() is
# true), spelled out so pandas can hand the regex to pyarrow (RE2) instead of running Python's re
# on every value: pandas keeps \s on the slow path because RE2's \s is narrower. pandas still
# falls back to Python's re for \d on non-ASCII data and for $ when a value holds a newline.
UNICODE_SPACE = "[" + "".join(map(chr, (0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
                                         0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F,
                                         0x3000))) + "]"


@lru_cache(maxsize=1)
def special_values() -> dict[str, str]:
    """DfE's special values (code -> status): the one list, var special_values in dbt_project.yml."""
    codes = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["special_values"]
    return {str(code): status for code, status in codes.items()}


@lru_cache(maxsize=2)
def measure_regex(space: str = r"\s") -> str:
    alternatives = "|".join(re.escape(code) for code in special_values())
    s = space
    return rf"^{s}*$|^{s}*-?\d+(\.\d+)?%?{s}*$|^{s}*({alternatives}){s}*$"


def load_suite(name: str, space: str = r"\s") -> dict:
    suite = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())
    for expectation in suite["expectations"]:
        if expectation["kwargs"].get("regex") == "$MEASURE":
            expectation["kwargs"]["regex"] = measure_regex(space)
    return suite


@lru_cache(maxsize=1)
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # imported lazily, once: several seconds
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = context.data_sources.add_pandas("landed").add_dataframe_asset("frame") \
        .add_batch_definition_whole_dataframe("whole")
    return gx, context, batch


@lru_cache(maxsize=None)
def _suite(suite_name: str):
    """The suite, built once per process: (the suite, its expectations as dicts with an id each,
    the columns it names and the text of its row conditions, or None when it may read any column)."""
    gx, _, _ = _context()
    suite_dict = load_suite(suite_name, space=UNICODE_SPACE)  # the same regex, run by pyarrow
    for number, expectation in enumerate(suite_dict["expectations"]):
        expectation["id"] = f"{suite_name}:{number}"
    columns: set[str] = set()
    conditions: set[str] = set()
    for expectation in suite_dict["expectations"]:
        kind, kwargs = expectation["type"], expectation["kwargs"]
        if kwargs.get("row_condition"):
            conditions.add(str(kwargs["row_condition"]))
        if kind in _TABLE_TYPES_NEEDING_NO_COLUMNS:
            continue
        if not kind.startswith(_COLUMN_TYPES_PREFIXES):
            return _built(gx, suite_dict), suite_dict["expectations"], None
        for key, value in kwargs.items():
            if key in ("column", "column_A", "column_B") and isinstance(value, str):
                columns.add(value)
            elif key == "column_list" and isinstance(value, list):
                columns.update(value)
    return _built(gx, suite_dict), suite_dict["expectations"], (frozenset(columns), frozenset(conditions))


def _built(gx, suite_dict: dict):
    return gx.ExpectationSuite(**json.loads(json.dumps(suite_dict)))


def _columns_read(frame, reads) -> list:
    """The frame's columns a suite reads: those it names, and any a row condition mentions."""
    if reads is None:
        return list(frame.columns)
    named, conditions = reads
    return [c for c in frame.columns if c in named or any(str(c) in condition for condition in conditions)]


def _run(suite, frame, result_format: dict):
    from great_expectations.validator.v1_validator import Validator

    _, _, batch = _context()
    validator = Validator(batch_definition=batch, batch_parameters={"dataframe": frame},
                          result_format=result_format)
    return validator.validate_expectation_suite(suite)


def validate(suite_name: str, frame, labels: dict[str, str] | None = None) -> tuple[bool, list[str]]:
    """Run a suite on a pandas DataFrame; return (passed, human-readable failures).

    labels maps a column to how the source file names it, so messages speak the user's language."""
    labels = labels or {}
    gx, _, _ = _context()
    suite, expectations, reads = _suite(suite_name)
    checked = frame if reads is None else frame[_columns_read(frame, reads)]
    # Counts only first; the offending rows only for what failed (same results as COMPLETE on all).
    result = _run(suite, checked, {"result_format": "BOOLEAN_ONLY"})
    failed_ids = [outcome.expectation_config.id for outcome in result.results if not outcome.success]
    if failed_ids:
        wanted = set(failed_ids)
        retry = gx.ExpectationSuite(name=suite_name, expectations=json.loads(json.dumps(
            [e for e in expectations if e["id"] in wanted])))
        complete = {outcome.expectation_config.id: outcome for outcome in _run(retry, checked, COMPLETE).results}
    failures = []
    for expectation_id in failed_ids:
        outcome = complete[expectation_id]
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
