"""Blocking checks on every landed raw table: its Great Expectations suite
(expectations/raw_<dataset>.json) and, for national files, the expected number of school rows
(expectations/expected_row_counts.csv)."""

import csv

import dagster as dg
import duckdb
import pandas as pd

from orchestration.checks.suites import validate
from orchestration.raw_assets import DATASETS
from orchestration.resources import LocalEDResource
from orchestration.settings import EXPECTATIONS_DIR


def expected_row_counts() -> dict[tuple[str, str], tuple[int, int]]:
    with open(EXPECTATIONS_DIR / "expected_row_counts.csv", newline="", encoding="utf-8") as f:
        return {(r["dataset"], r["file_name"]): (int(r["min_school_rows"]), int(r["max_school_rows"]))
                for r in csv.DictReader(f)}


def row_count_problems(dataset: str, frame) -> list[str]:
    """National files (england_<file>.csv) must hold about as many schools as England has."""
    expected = expected_row_counts()
    schools = frame[frame.record_level == "school"].groupby("_source_file").size()
    problems = []
    for source_file, count in schools.items():
        bounds = expected.get((dataset, source_file.rsplit("/", 1)[-1]))
        if bounds and not bounds[0] <= count <= bounds[1]:
            problems.append(f"{source_file}: {count:,} school rows, expected {bounds[0]:,} to {bounds[1]:,} "
                            "(expectations/expected_row_counts.csv)")
    return problems


# Numbers a file may hold, by kind of measure: percentages within 0-100, counts and cohorts >= 0.
PERCENT_SUFFIXES = ("_pct",)
COUNT_NAMES = ("cohort", "disadvantaged_count", "fsm_ever_count", "pupils_on_roll")


def range_problems(frame: pd.DataFrame, measures: list[str], labels: dict[str, str] | None = None,
                   limit: int = 3) -> list[str]:
    """Percentages over 100 or below 0, and negative counts, named by file, row and column."""
    problems = []
    for column in measures:
        if column.endswith(PERCENT_SUFFIXES):
            low, high, what = 0, 100, "a percentage outside 0-100"
        elif column in COUNT_NAMES:
            low, high, what = 0, None, "a negative count"
        else:
            continue
        numbers = pd.to_numeric(frame[column].str.strip().str.rstrip("%"), errors="coerce")
        bad = (numbers < low) | ((numbers > high) if high is not None else False)
        for index in frame.index[bad.fillna(False)][:limit]:
            row = frame.loc[index]
            label = (labels or {}).get(column, column)
            problems.append(f"{row['_source_file']} row {row['_source_row']}, column {label} ({column}): "
                            f"{what} ({row[column]!r})")
    return problems


def read_landed(build_db, dataset: str) -> pd.DataFrame:
    """raw.<dataset> of a run's warehouse file, as the checks see it."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(f'select * from raw."{dataset}"').df()


def raw_check_failures(dataset: str, frame: pd.DataFrame, expects_national_files: bool) -> list[str]:
    """Everything wrong with a landed raw table: its Great Expectations suite, the ranges of its
    measures and (for a national build) the number of school rows in each national file.
    Each failure names the file, row and column. No failures (an empty list) means it passes."""
    if frame.empty:
        return []
    _, failures = validate(f"raw_{dataset}", frame, labels_of[dataset])
    failures += range_problems(frame, measures_of[dataset], labels_of[dataset])
    # A demo of a few LAs (or a --partial source) still has england_* files: only national builds are counted.
    if expects_national_files:
        failures += row_count_problems(dataset, frame)
    return failures


def raw_check_description(dataset: str, failures: list[str]) -> str | None:
    """The check's description (what `localed build` prints after "check <name> failed: ")."""
    return f"raw/{dataset}: " + " | ".join(failures) if failures else None


def build_raw_check(dataset: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", dataset]), name=f"ge_raw_{dataset}", blocking=True,
                    description=f"Great Expectations suite expectations/raw_{dataset}.json on the landed table, "
                                "and expected school-row counts for national files")
    def raw_check(context: dg.AssetCheckExecutionContext, localed: LocalEDResource) -> dg.AssetCheckResult:
        frame = read_landed(localed.build_db(context.run.run_id), dataset)
        if frame.empty:
            return dg.AssetCheckResult(passed=True, metadata={"rows": 0, "note": "no files for this dataset"})
        failures = raw_check_failures(dataset, frame, localed.expects_national_files())
        passed = not failures
        if failures:
            context.log.error(f"raw/{dataset} failed its checks:\n  " + "\n  ".join(failures))
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=raw_check_description(dataset, failures),
            metadata={"rows": len(frame), "failures": dg.MetadataValue.json(failures)},
        )

    return raw_check


measures_of = {spec.name: spec.measure_columns for spec, _ in DATASETS}
labels_of = {spec.name: {c.name: c.aliases[0] for c in spec.columns} for spec, _ in DATASETS}
raw_checks = [build_raw_check(spec.name) for spec, _ in DATASETS]
