"""The bad-input corpus: every variant stops the run before publishing, names the file and the
problem, and leaves the published warehouse byte-identical to before."""

import hashlib
import shutil

import pytest

from tests.conftest import run_build

pytestmark = pytest.mark.slow

KEY = {"LOCALED_PSEUDONYM_KEY": "test-key"}  # a mirror counts as real data: names need a key
KS2, KS4 = "2018-2019/england_ks2final.csv", "2022-2023/england_ks4final.csv"
ABS, CENSUS = "2022-2023/england_abs.csv", "2018-2019/england_census.csv"
GIAS, LINKS = "gias/edubasealldata20240901.csv", "gias/links_edubasealldata20240901.csv"
SUPPORT = "support_activity/support_activity_391_2024-07-19.csv"
SUPPORT_XLSX = "support_activity/support_activity_929_2023-01-16.xlsx"


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
]


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """A mirror of demo files and a warehouse already published from it."""
    root = tmp_path_factory.mktemp("bad_inputs")
    mirror = root / "mirror"
    shutil.copytree(next((small_demo["home"] / "data" / "demo_source").iterdir()), mirror)
    home = root / "home"
    run_build(home, "--source", "mirror", "--mirror-dir", str(mirror), "--partial", extra_env=KEY)
    warehouse = home / "data" / "marts" / "localed.duckdb"
    return {"mirror": mirror, "home": home, "warehouse": warehouse}


def test_the_corpus_has_at_least_25_variants():
    assert len(CORPUS) >= 25 and len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("name", "relative", "mutate", "words"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_stops_the_run_and_keeps_the_warehouse(published, name, relative, mutate, words):
    target = published["mirror"] / relative
    original = target.read_bytes()
    before = hashlib.sha256(published["warehouse"].read_bytes()).hexdigest()
    target.write_bytes(mutate(original))
    try:
        result = run_build(published["home"], "--source", "mirror", "--mirror-dir", str(published["mirror"]), "--partial",
                           check=False, extra_env=KEY)
    finally:
        target.write_bytes(original)
    message = result.stderr
    assert result.returncode == 1, message[-2000:]
    assert "nothing was published" in message
    assert relative in message, f"the error does not name {relative}:\n{message[-2000:]}"
    for word in words:
        assert word in message, f"the error does not say {word!r}:\n{message[-3000:]}"
    assert hashlib.sha256(published["warehouse"].read_bytes()).hexdigest() == before
