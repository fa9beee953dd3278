"""The support-activity data contract: templates round-trip, every bad row is reported with file,
row, column and reason, later deliveries resolve earlier errors, nothing personal gets through."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from orchestration.checks.suites import load_suite
from orchestration.settings import REPO_ROOT
from orchestration.sources import support_activity as sa
from orchestration.sources.landing import LandingError, Snapshot, SourceFile

TEMPLATES = REPO_ROOT / "docs" / "templates"
KNOWN_URNS = {"100001", "100002", "100003"}

GOOD_ROWS = [
    {"activity_id": "A-1", "urn": "100001", "provider_name": "Northern Lights Teaching School Hub",
     "provider_type": "teaching_school_hub", "provider_gias_group_uid": "", "activity_type": "cpd", "level": "cluster",
     "programme_strand": "teachers_and_leaders", "start_date": "2022-10-03", "end_date": "2022-12-16",
     "effort_days": "2.5", "cost_gbp": "1375.00", "funded_by": "ca", "adviser_name": "Alex Morgan",
     "notes": "Agreed reading priorities."},
    {"activity_id": "A-2", "urn": "100002", "provider_name": "Riverside Learning Trust",
     "provider_type": "multi_academy_trust", "provider_gias_group_uid": "16001", "activity_type": "peer_review",
     "level": "school", "programme_strand": "other", "start_date": "2023-01-09", "end_date": "2023-01-09",
     "effort_days": "1", "cost_gbp": "0", "funded_by": "trust", "adviser_name": "", "notes": ""},
]


def as_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header or list(sa.FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def delivery(name: str, content: bytes) -> SourceFile:
    return SourceFile(f"support_activity/{name}", None, content)


def check(*sources: SourceFile, known_urns=KNOWN_URNS):
    frames, formulas = [], []
    for source in sources:
        frame, cells = sa.read_delivery(source, Snapshot(Path(source.name), "0" * 64, False))
        frames.append(frame)
        formulas.append(cells)
    return sa.validate_deliveries(frames, formulas, known_urns)


def test_the_committed_templates_are_the_ones_the_contract_writes(tmp_path):
    sa.write_csv_template(tmp_path / "t.csv")
    sa.write_xlsx_template(tmp_path / "t.xlsx")
    assert (tmp_path / "t.csv").read_bytes() == (TEMPLATES / "support_activity_template.csv").read_bytes()
    assert (tmp_path / "t.xlsx").read_bytes() == (TEMPLATES / "support_activity_template.xlsx").read_bytes()


def test_a_filled_csv_template_loads_with_zero_errors():
    header = (TEMPLATES / "support_activity_template.csv").read_text().strip().split(",")
    table, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(GOOD_ROWS, header)))
    assert problems == []
    assert table.height == 2
    assert table["cost_gbp"].to_list() == ["1375.00", "0"]
    assert table["sender"].unique().to_list() == ["929"]


def test_a_filled_xlsx_template_loads_with_zero_errors(tmp_path):
    """Filled as a person would in Excel: dates as date cells, numbers as numbers, drop-down labels."""
    book = openpyxl.load_workbook(TEMPLATES / "support_activity_template.xlsx")
    sheet = book["activities"]
    for row in GOOD_ROWS:
        typed = dict(row, start_date=date.fromisoformat(row["start_date"]), end_date=date.fromisoformat(row["end_date"]),
                     effort_days=float(row["effort_days"]), cost_gbp=float(row["cost_gbp"]), urn=int(row["urn"]))
        sheet.append([None if typed[name] == "" else typed[name] for name in sa.FIELDS])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    table, problems = check(delivery("support_activity_929_2024-07-19.xlsx", filled.read_bytes()))
    assert problems == []
    assert table.select("urn", "start_date", "end_date", "effort_days", "cost_gbp").rows() == [
        ("100001", "2022-10-03", "2022-12-16", "2.5", "1375"), ("100002", "2023-01-09", "2023-01-09", "1", "0")]


BAD_CELLS = [  # column, value, words the reason must contain
    ("urn", "12345", "not a 6-digit URN"),
    ("urn", "999999", "not in the GIAS register"),
    ("start_date", "31/13/2022", "not a date"),
    ("start_date", "2015-01-01", "before 2016-09-01"),
    ("end_date", "2022-01-01", "ends (2022-01-01) before it starts"),
    ("effort_days", "two", "not a number"),
    ("effort_days", "400", "outside"),
    ("cost_gbp", "-500", "outside"),
    ("funded_by", "council", "not one of the allowed values"),
    ("provider_type", "consultancy", "not one of the allowed values"),
    ("level", "", "blank but required"),
    ("activity_id", "", "blank but required"),
    ("provider_gias_group_uid", "abc", "not in the expected form"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS, ids=[f"{c}={v!r}" for c, v, _ in BAD_CELLS])
def test_a_bad_cell_is_reported_with_file_row_column_reason_and_fix(column, value, reason):
    rows = [GOOD_ROWS[1], dict(GOOD_ROWS[0], **{column: value})]
    table, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(rows)))
    assert table.height == 1  # the good row is kept; the bad one is reported, not dropped silently
    [problem] = sa.unresolved(problems)
    assert (problem.file, problem.row, problem.column) == ("support_activity/support_activity_929_2024-07-19.csv", 3,
                                                           column)
    assert reason in problem.problem and problem.fix


def test_no_row_is_dropped_silently():
    rows = [GOOD_ROWS[0], dict(GOOD_ROWS[1], urn="12"), GOOD_ROWS[1], GOOD_ROWS[1]]  # bad, good, exact repeat
    table, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(rows)))
    reported_rows = {p.row for p in problems}
    assert table.height + len(reported_rows) == len(rows)
    assert [p.severity for p in problems if p.row == 5] == ["note"]


def test_conflicting_repeats_of_an_activity_are_an_error():
    rows = [GOOD_ROWS[0], dict(GOOD_ROWS[0], cost_gbp="99")]
    table, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(rows)))
    assert table.height == 0
    assert {(p.row, p.problem) for p in sa.unresolved(problems)} == {
        (3, "activity_id A-1 is also at row 2, with different values"),
        (2, "activity_id A-1 is also at row 3, with different values")}


def test_a_later_delivery_resolves_an_earlier_bad_row_and_only_that_one():
    early = delivery("support_activity_929_2023-01-16.csv", as_csv([dict(GOOD_ROWS[0], urn="12345"),
                                                                    dict(GOOD_ROWS[1], level="everywhere")]))
    later = delivery("support_activity_929_2024-07-19.csv", as_csv([GOOD_ROWS[0]]))
    other_sender = delivery("support_activity_391_2024-07-19.csv", as_csv([GOOD_ROWS[1]]))
    table, problems = check(early, later, other_sender)
    resolved = {p.activity_id: p.resolved_by for p in problems}
    assert resolved["A-1"] == "support_activity/support_activity_929_2024-07-19.csv row 2"
    assert resolved["A-2"] is None  # another sender's A-2 is a different activity
    message = str(sa.unresolved_error(problems, Path("report.csv")))
    assert "support_activity_929_2023-01-16.csv, row 3, column level" in message and "Fix: use one of" in message


def test_a_formula_cell_in_an_xlsx_delivery_is_an_error(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "activities"
    sheet.append(list(sa.FIELDS))
    sheet.append([GOOD_ROWS[0][name] for name in sa.FIELDS])
    sheet["L2"] = "=K2*550"  # cost_gbp
    path = tmp_path / "f.xlsx"
    book.save(path)
    _, problems = check(delivery("support_activity_929_2024-07-19.xlsx", path.read_bytes()))
    [problem] = problems
    assert (problem.row, problem.column) == (2, "cost_gbp") and "formula" in problem.problem


@pytest.mark.parametrize("name", ["support_activity_929.csv", "activities_929_2024-07-19.csv",
                                  "support_activity_929_2024-13-01.csv", "support_activity_9299_2024-07-19.csv"])
def test_a_delivery_must_be_named_with_a_known_sender_and_a_date(name):
    with pytest.raises(LandingError, match="support_activity_<sender>_<YYYY-MM-DD>|not a real date|unknown sender"):
        check(delivery(name, as_csv(GOOD_ROWS)))


def test_the_combined_authority_can_send_too():
    _, problems = check(delivery("support_activity_ntca_2024-07-19.csv", as_csv(GOOD_ROWS)))
    assert problems == []


def test_a_csv_saved_by_excel_in_windows_1252_is_read():
    rows = [dict(GOOD_ROWS[0], provider_name="Écoles Trust", adviser_name="Siobhán O'Neill")]
    table, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(rows).decode().encode("cp1252")))
    assert problems == [] and table["provider_name"][0] == "Écoles Trust"


def test_an_xlsx_that_is_not_a_workbook_is_refused():
    with pytest.raises(LandingError, match="not a readable Excel"):
        check(delivery("support_activity_929_2024-07-19.xlsx", b"name,urn\nx,1\n"))


def test_names_and_notes_never_leave_landing():
    table, _ = check(delivery("support_activity_929_2024-07-19.csv", as_csv(GOOD_ROWS)))
    landed = sa.pseudonymise(table, b"test-key")
    assert "adviser_name" not in landed.columns and "notes" not in landed.columns
    text = landed.write_csv()
    assert "Alex Morgan" not in text and "reading priorities" not in text
    assert landed["adviser_pseudonym"][0].startswith("adviser_")
    # the pseudonym depends on the key, so it cannot be recomputed from a name without it
    assert sa.pseudonymise(table, b"another-key")["adviser_pseudonym"][0] != landed["adviser_pseudonym"][0]


def test_real_deliveries_need_a_key(monkeypatch):
    monkeypatch.delenv("LOCALED_PSEUDONYM_KEY", raising=False)
    with pytest.raises(RuntimeError, match="LOCALED_PSEUDONYM_KEY"):
        sa.pseudonymisation_key("mirror")


def test_the_raw_suite_checks_what_the_contract_says():
    suite = load_suite("raw_support_activity")
    in_sets = {e["kwargs"]["column"]: e["kwargs"]["value_set"] for e in suite["expectations"]
               if e["type"] == "expect_column_values_to_be_in_set"}
    not_null = {e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_not_be_null"}
    for name, field in sa.FIELDS.items():
        if name in sa.PERSONAL_OR_FREE_TEXT:
            continue
        rules = field["constraints"]
        if "enum" in rules:
            assert in_sets.get(name) == rules["enum"], name
        assert (name in not_null) == rules["required"], name


def test_the_contract_document_describes_every_field():
    text = (REPO_ROOT / "docs" / "support_activity.md").read_text()
    for name in sa.FIELDS:
        assert f"`{name}`" in text, f"docs/support_activity.md does not describe {name}"
    assert json.loads((REPO_ROOT / "expectations" / "support_activity.schema.json").read_text())["fields"]


def test_a_sender_can_check_files_before_sending_them(tmp_path, capsys):
    from orchestration.cli import main

    good = tmp_path / "support_activity_929_2024-07-19.csv"
    good.write_bytes(as_csv(GOOD_ROWS))
    assert main(["check-delivery", str(good), "--warehouse", str(tmp_path / "none.duckdb")]) == 0
    assert "2 good, 0 unresolved error(s)" in capsys.readouterr().out

    bad = tmp_path / "support_activity_929_2024-07-20.csv"
    bad.write_bytes(as_csv([dict(GOOD_ROWS[0], funded_by="council")]))
    assert main(["check-delivery", str(good), str(bad), "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    out = capsys.readouterr().out
    assert "ERROR: support_activity_929_2024-07-20.csv, row 2, column funded_by (value 'council')" in out
    assert "Fix: use one of: la, ca, school, trust, dfe_grant, other" in out


def test_the_delivery_report_quotes_typed_values_without_running_them(tmp_path):
    rows = [dict(GOOD_ROWS[0], effort_days="=2+3"), dict(GOOD_ROWS[1], activity_id="@A-2", level="-")]
    _, problems = check(delivery("support_activity_929_2024-07-19.csv", as_csv(rows)))
    sa.write_report(problems, tmp_path / "report.csv")
    with open(tmp_path / "report.csv", newline="", encoding="utf-8") as f:
        report = list(csv.DictReader(f))
    assert [(r["row"], r["column"], r["value"]) for r in report] == [("2", "effort_days", "'=2+3"),
                                                                     ("3", "activity_id", "'@A-2"),
                                                                     ("3", "level", "'-")]
    assert report[1]["activity_id"] == "'@A-2" and report[0]["status"] == "unresolved"
