"""The bad-input corpus, and how to run one stage of the build on it in-process.

CORPUS: 35 bad inputs, each one mutation of one file of the small demo, with the words the error
must contain. STAGE_OF: the stage of the build that must stop each one. problems_at() runs that
stage on a mirror folder as the build runs it (the same functions, in the same order) and returns
the problem lines `localed build` would print, formatted by the CLI's own code.

Used by tests/integration/test_bad_inputs_by_stage.py (every variant, at its stage, in-process) and
tests/e2e/test_bad_inputs.py (a few whole builds: a stop publishes nothing).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import dagster as dg
from dagster._utils.error import serializable_error_info_from_exc_info

from orchestration.checks.raw_checks import raw_check_description, raw_check_failures, raw_checks, read_landed
from orchestration.cli import _problems
from orchestration.raw_assets import DATASETS, fetch, land, land_support_activity, raw_assets, write_landed
from orchestration.resources import LocalEDResource
from orchestration.sources import gias, support_activity
from orchestration.sources.landing import LandingError

KEY = {"LOCALED_PSEUDONYM_KEY": "test-key"}  # a mirror counts as real data: names need a key
KS2, KS4 = "2018-2019/england_ks2final.csv", "2022-2023/england_ks4final.csv"
ABS, CENSUS = "2022-2023/england_abs.csv", "2018-2019/england_census.csv"
GIAS, LINKS = "gias/edubasealldata20240901.csv", "gias/links_edubasealldata20240901.csv"
SUPPORT = "support_activity/support_activity_391_2024-07-19.csv"
SUPPORT_XLSX = "support_activity/support_activity_929_2023-01-16.xlsx"
LAIT = "lait/bds_long_demo.csv"  # line 30 is past the rows whose "Data item" holds quoted commas


def replace_first(old: bytes, new: bytes):
    def mutate(data: bytes) -> bytes:
        assert old in data, f"{old!r} not in file"
        return data.replace(old, new, 1)
    return mutate


def nth_line(n: int, edit):
    """Apply edit(line) to the n-th line (0 = header), keeping the file's line endings."""
    def mutate(data: bytes) -> bytes:
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        lines = data.split(eol)
        lines[n] = edit(lines[n])
        return eol.join(lines)
    return mutate


def set_field(n_line: int, column: str, value: bytes):
    def mutate(data: bytes) -> bytes:
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        lines = data.split(eol)
        header = lines[0].lstrip(b"\xef\xbb\xbf").split(b",")
        fields = lines[n_line].split(b",")
        fields[header.index(column.encode())] = value
        lines[n_line] = b",".join(fields)
        return eol.join(lines)
    return mutate


def duplicate_line(n: int):
    def mutate(data: bytes) -> bytes:
        eol = b"\r\n" if b"\r\n" in data else b"\n"
        lines = data.split(eol)
        return eol.join(lines[: n + 1] + [lines[n]] + lines[n + 1:])
    return mutate


# (id, file, mutation, words the error must contain)
CORPUS = [
    ("truncated", KS2, lambda d: d[: int(len(d) * 0.6)], ["cut short"]),
    ("utf16", KS4, lambda d: d.decode("utf-8-sig").encode("utf-16"), ["not valid UTF-8"]),
    ("cp1252-in-utf8-file", KS2, replace_first(b"St Th\xc3\xa9r\xc3\xa8se", b"St Th\xe9r\xe8se"), ["not valid UTF-8"]),
    ("html-error-page", CENSUS, lambda d: b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>",
     ["HTML"]),
    ("empty", ABS, lambda d: b"", ["empty"]),
    ("bom-only", ABS, lambda d: b"\xef\xbb\xbf", ["empty"]),
    ("header-only", KS2, lambda d: d.split(b"\r\n")[0] + b"\r\n", ["no data rows"]),
    ("required-column-missing", KS2, replace_first(b",PTRWM_EXP,", b","), ["required column is missing", "PTRWM_EXP"]),
    ("required-column-renamed", CENSUS, replace_first(b",NOR,", b",PUPILS,"), ["required column is missing", "NOR"]),
    ("semicolon-delimited", CENSUS, lambda d: d.replace(b",", b";"), ["required column is missing"]),
    ("duplicate-urn", KS4, duplicate_line(5), ["a URN appears once per file"]),
    ("percentage-over-100", KS2, set_field(3, "PTRWM_EXP", b"130%"), ["PTRWM", "percentage outside 0-100", "130%"]),
    ("absence-over-100", ABS, set_field(2, "PERCTOT", b"104.5"), ["overall_absence_pct", "percentage outside 0-100"]),
    ("negative-count", KS2, set_field(4, "TELIG", b"-12"), ["cohort", "negative count"]),
    ("unknown-special-code", KS4, set_field(3, "ATT8SCR", b"ZZZ"), ["attainment8", "DfE special value", "ZZZ"]),
    ("wrong-academic-year", KS2, replace_first(b"PTRWM_EXP_17,PTRWM_EXP_18", b"PTRWM_EXP_16,PTRWM_EXP_17"),
     ["wrong academic year", "2018/19"]),
    ("huge-field", KS4, set_field(4, "SCHNAME", b'"' + b"x" * 20_000 + b'"'), ["20,000 bytes", "SCHNAME"]),
    ("duplicate-header", CENSUS, replace_first(b",NOR,", b",URN,"), ["more than once", "URN"]),
    ("unknown-record-type", KS4, set_field(2, "RECTYPE", b"9"), ["unrecognised record type", "RECTYPE"]),
    ("urn-not-a-number", ABS, set_field(2, "URN", b"ABC123"), ["urn", "6 digits", "ABC123"]),
    ("la-code-4-digits", CENSUS, set_field(2, "LA", b"3911"), ["la_code", "3 digits"]),
    ("binary-garbage", KS4, lambda d: bytes(range(256)) * 40, ["not valid UTF-8"]),
    ("gias-duplicate-urn", GIAS, duplicate_line(3), ["one row per URN"]),
    ("gias-links-bad-urn", LINKS, nth_line(2, lambda line: b"12AB45" + line[6:]), ["URNs are 6 digits"]),
    ("support-dates-reversed", SUPPORT, set_field(1, "end_date", b"2020-01-01"), ["row 2, column end_date", "before it starts", "Fix:"]),
    ("support-negative-cost", SUPPORT, set_field(1, "cost_gbp", b"-500.00"), ["row 2, column cost_gbp", "outside", "Fix:"]),
    ("support-unknown-provider", SUPPORT, set_field(1, "provider_type", b"consultancy"), ["column provider_type", "consultancy", "use one of"]),
    ("support-missing-activity-id", SUPPORT, set_field(1, "activity_id", b""), ["row 2, column activity_id", "blank but required"]),
    ("support-urn-not-in-gias", SUPPORT, set_field(1, "urn", b"999999"), ["column urn", "not in the GIAS register"]),
    ("support-xlsx-truncated", SUPPORT_XLSX, lambda d: d[: len(d) // 2], ["not a readable Excel .xlsx workbook"]),
    ("lait-unknown-measure", LAIT, set_field(30, "Short Desc", b"KS2_RWM_TYPO"),
     [f"{LAIT}, row 31, column Short Desc", "not in the data dictionary"]),
    ("lait-unreadable-year", LAIT, set_field(30, "Years", b"2018-20"), [f"{LAIT}, row 31, column Years", "cannot be read"]),
    ("lait-duplicate-row", LAIT, duplicate_line(30), [f"{LAIT}, row 32, column Years", "appears more than once"]),
    ("lait-bad-value", LAIT, set_field(30, "Values", b"n/a"), [f"{LAIT}, row 31, column Values", "neither a number"]),
    ("lait-bad-area-code", LAIT, set_field(30, "LA Number", b"9999"), [f"{LAIT}, row 31, column LA Number", "three-digit"]),
]

VARIANTS = {name: (relative, mutate, words) for name, relative, mutate, words in CORPUS}

# The stage of the build that must stop each variant.
LANDING, RAW_CHECK, SUPPORT_DELIVERY = "landing", "raw check", "support delivery"
STAGE_OF = {
    "truncated": LANDING,
    "utf16": LANDING,
    "cp1252-in-utf8-file": LANDING,
    "html-error-page": LANDING,
    "empty": LANDING,
    "bom-only": LANDING,
    "header-only": LANDING,
    "required-column-missing": LANDING,
    "required-column-renamed": LANDING,
    "semicolon-delimited": LANDING,
    "duplicate-urn": RAW_CHECK,
    "percentage-over-100": RAW_CHECK,
    "absence-over-100": RAW_CHECK,
    "negative-count": RAW_CHECK,
    "unknown-special-code": RAW_CHECK,
    "wrong-academic-year": LANDING,
    "huge-field": LANDING,
    "duplicate-header": LANDING,
    "unknown-record-type": LANDING,
    "urn-not-a-number": RAW_CHECK,
    "la-code-4-digits": RAW_CHECK,
    "binary-garbage": LANDING,
    "gias-duplicate-urn": RAW_CHECK,
    "gias-links-bad-urn": RAW_CHECK,
    "support-dates-reversed": SUPPORT_DELIVERY,
    "support-negative-cost": SUPPORT_DELIVERY,
    "support-unknown-provider": SUPPORT_DELIVERY,
    "support-missing-activity-id": SUPPORT_DELIVERY,
    "support-urn-not-in-gias": SUPPORT_DELIVERY,
    "support-xlsx-truncated": SUPPORT_DELIVERY,
    "lait-unknown-measure": LANDING,
    "lait-unreadable-year": LANDING,
    "lait-duplicate-row": LANDING,
    "lait-bad-value": LANDING,
    "lait-bad-area-code": LANDING,
}


def mirror_resource(mirror: Path, home: Path) -> LocalEDResource:
    """The settings of `localed build --source mirror --mirror-dir <mirror> --partial` with LOCALED_HOME=home."""
    return LocalEDResource(source="mirror", mirror_dir=str(mirror), home=str(home), partial=True)


def dataset_of(localed: LocalEDResource, relative: str):
    """(spec, record-level rule) of the dataset the build reads this file as."""
    for spec, rule in DATASETS:
        if relative in {f.name for f in fetch(localed, spec)}:
            return spec, rule
    raise AssertionError(f"{relative} is not read as any dataset's file")


def step_key(dataset: str) -> str:
    return next(a.op.name for a in raw_assets if a.key == dg.AssetKey(["raw", dataset]))


def check_name(dataset: str) -> str:
    return next(k.name for c in raw_checks for k in c.check_keys if k.asset_key == dg.AssetKey(["raw", dataset]))


def cli_problems(*, failed_step: tuple[str, BaseException] | None = None,
                 failed_check: tuple[str, str] | None = None) -> list[str]:
    """The problem lines `localed build` prints under "BUILD FAILED": the CLI's own formatting
    (orchestration.cli._problems) applied to a run whose step raised this error (serialised as
    Dagster does) or whose check failed with this description."""
    events, evaluations = [], []
    if failed_step:
        step, error = failed_step
        info = serializable_error_info_from_exc_info((type(error), error, error.__traceback__))
        events.append(SimpleNamespace(event_type_value="STEP_FAILURE", step_key=step,
                                      step_failure_data=SimpleNamespace(error=info)))
    if failed_check:
        name, description = failed_check
        evaluations.append(SimpleNamespace(passed=False, check_name=name, description=description))
    return _problems(SimpleNamespace(all_events=events, get_asset_check_evaluations=lambda: evaluations))


def known_school_urns(localed: LocalEDResource) -> set[str]:
    """The GIAS register's URNs, landed from the mirror as the build lands them before the support deliveries."""
    table, lineage = land(gias.ESTABLISHMENTS, gias.RECORD_LEVEL, fetch(localed, gias.ESTABLISHMENTS), localed)
    build_db = localed.build_db("stage-gias")
    build_db.parent.mkdir(parents=True, exist_ok=True)
    write_landed(str(build_db), gias.ESTABLISHMENTS.name, table, lineage)
    return support_activity.known_school_urns(build_db)


def land_dataset(spec, rule, localed: LocalEDResource):
    """Land one dataset as its raw asset does: support-activity deliveries against the GIAS register
    landed before them, every other dataset file by file. Returns (table, lineage)."""
    if spec is support_activity.SPEC:
        table, lineage, _ = land_support_activity(fetch(localed, spec), localed, known_school_urns(localed))
        return table, lineage
    return land(spec, rule, fetch(localed, spec), localed)


def problems_at(stage: str, localed: LocalEDResource, relative: str) -> list[str]:
    """Run one stage of the build on the dataset that holds `relative`, as the build runs it, and
    return what `localed build` would print about what it found. Raises AssertionError when the
    stage lets the file through, or when landing already stopped it before the raw check."""
    spec, rule = dataset_of(localed, relative)
    if stage in (LANDING, SUPPORT_DELIVERY):
        is_delivery = spec is support_activity.SPEC
        assert is_delivery == (stage == SUPPORT_DELIVERY), \
            f"{relative} is {'' if is_delivery else 'not '}a support-activity delivery: it is not checked at {stage}"
        try:
            land_dataset(spec, rule, localed)
        except LandingError as err:
            return cli_problems(failed_step=(step_key(spec.name), err))
        raise AssertionError(f"{stage} let {relative} through")
    if stage == RAW_CHECK:
        try:
            table, lineage = land_dataset(spec, rule, localed)
        except LandingError as err:
            raise AssertionError(f"{relative} was stopped at landing, before the raw check: {err}") from err
        build_db = localed.build_db(f"stage-{spec.name}")
        build_db.parent.mkdir(parents=True, exist_ok=True)
        write_landed(str(build_db), spec.name, table, lineage)
        failures = raw_check_failures(spec.name, read_landed(build_db, spec.name), localed.expects_national_files())
        if not failures:
            raise AssertionError(f"the raw check on raw/{spec.name} let {relative} through")
        return cli_problems(failed_check=(check_name(spec.name), raw_check_description(spec.name, failures)))
    raise ValueError(f"unknown stage {stage!r}")
