"""Support activity end to end: the demo deliveries (CSV and a messy Excel one) load, the bad rows
are reported with file, row, column and reason, each support mart answers for the combined
authority and a single-LA comparator, and no adviser name or note reaches any mart or export."""

import csv
import io
import json
import shutil
import zipfile

import duckdb
import openpyxl
import pytest

from tests.conftest import run_build

pytestmark = pytest.mark.slow

SUPPORT_MARTS = ["fct_support_capacity", "fct_support_levels", "fct_support_reach", "fct_support_cost",
                 "fct_support_outcome_trajectory"]
MESSY = "support_activity/support_activity_929_2023-01-16.xlsx"
# (column, reason) of each deliberately bad row in the messy demo delivery, in row order
MESSY_ROWS = [("urn", "not a 6-digit URN"), ("start_date", "not a date"), ("end_date", "before it starts"),
              ("effort_days", "not a number"), ("funded_by", "not one of the allowed values"),
              ("provider_type", "not one of the allowed values"), ("cost_gbp", "a formula"),
              ("urn", "not in the GIAS register"), ("level", "blank but required")]


def demo_source(small_demo):
    return next((small_demo["home"] / "data" / "demo_source").iterdir())


def report_rows(home):
    with open(home / "data" / "reports" / "support_activity_delivery_report.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_messy_delivery_is_reported_row_by_row_and_resolved(small_demo):
    rows = report_rows(small_demo["home"])
    errors = [r for r in rows if r["file"] == MESSY and not r["status"].startswith("note")]
    assert [(int(r["row"]), r["column"]) for r in errors] == [(i + 2, c) for i, (c, _) in enumerate(MESSY_ROWS)]
    for row, (_, reason) in zip(errors, MESSY_ROWS):
        assert reason in row["problem"] and row["what_to_fix"], row
        assert row["status"].startswith("resolved by support_activity/support_activity_929_2024-07-19.csv row ")
    assert [r["status"] for r in rows if r["status"] == "note"] == ["note"]  # the exact repeat
    assert "all resolved by a later delivery" in small_demo["result"].stdout + small_demo["result"].stderr


def test_every_delivered_activity_is_in_the_warehouse_once(small_demo):
    """Nothing silently dropped: each activity id of the full CSV deliveries is in staging exactly once."""
    delivered = set()
    for path in (demo_source(small_demo) / "support_activity").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as f:
            delivered |= {(path.name.split("_")[2], r["activity_id"]) for r in csv.DictReader(f)}
    with duckdb.connect(str(small_demo["warehouse"]), read_only=True) as con:
        total = con.execute("select sum(support_activities) from fct_school_year").fetchone()[0]
        capacity = con.execute("select sum(activities) from fct_support_capacity").fetchone()[0]
    assert capacity == len(delivered)
    assert total <= len(delivered)  # fct_school_year counts only school-years it holds


def test_each_support_mart_answers_for_the_combined_authority_and_a_single_la_comparator(small_demo):
    with duckdb.connect(str(small_demo["warehouse"]), read_only=True) as con:
        for mart in SUPPORT_MARTS:
            arrangements = {r[0] for r in con.execute(f"select distinct arrangement_code from {mart}").fetchall()}
            assert {"north_of_tyne_ca", "single_la"} <= arrangements, mart
            undocumented = con.execute(
                "select column_name from duckdb_columns() where table_name = ? and (comment is null or comment = '')",
                [mart]).fetchall()
            assert undocumented == [], f"{mart}: columns without a description {undocumented}"
        # reach: the demo targets support at disadvantage in single-LA areas, so the index says so
        ratio = con.execute("""select targeting_ratio from fct_support_reach where arrangement_code = 'single_la'
                               and need_measure = 'disadvantage' and academic_year = '2022/23' limit 1""").fetchone()[0]
        assert ratio > 1
        # cost: the combined authority's cost per pupil is set beside the single-LA figure
        ca, single, ratio = con.execute("""select cost_per_pupil_in_area, single_la_cost_per_pupil_in_area,
                                                  cost_per_pupil_ratio_to_single_la
                                           from fct_support_cost where arrangement_code = 'north_of_tyne_ca'
                                           and funded_by = 'all' and academic_year = '2022/23'""").fetchone()
        assert ca > 0 and single > 0 and ratio == pytest.approx(ca / single, rel=1e-2)
        # capacity: the combined authority is a provider only where it runs school improvement
        providers = dict(con.execute("""select arrangement_code, list(distinct provider_type) from fct_support_capacity
                                        group by 1""").fetchall())
        assert "combined_authority" in providers["north_of_tyne_ca"]
        assert "combined_authority" not in providers["single_la"]
        # trajectory: years before and after first support, for both arrangements
        spans = dict(con.execute("""select arrangement_code, min(years_from_first_support) < 0
                                           and max(years_from_first_support) >= 0
                                    from fct_support_outcome_trajectory group by 1""").fetchall())
        assert spans == {"north_of_tyne_ca": True, "single_la": True}


def raw_names_and_notes(source_dir):
    """Every adviser name and note in the delivered files, CSV and Excel alike."""
    found = set()
    for path in (source_dir / "support_activity").iterdir():
        if path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        else:
            sheet = openpyxl.load_workbook(path)["activities"]
            values = list(sheet.values)
            rows = [dict(zip(values[0], r)) for r in values[1:]]
        found |= {r[c] for r in rows for c in ("adviser_name", "notes") if r.get(c)}
    return found


def published_text(marts_dir):
    """Every value of every published mart (DuckDB) and export (CSV, Parquet, XLSX), as text."""
    texts = []
    with duckdb.connect(str(marts_dir / "localed.duckdb"), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            texts.append(con.execute(f'select string_agg(cast(t as varchar), chr(10)) from "{schema}"."{table}" t')
                         .fetchone()[0] or "")
        for parquet in marts_dir.glob("*.parquet"):
            texts.append(con.execute(f"select string_agg(cast(t as varchar), chr(10)) from '{parquet}' t")
                         .fetchone()[0] or "")
    texts += [p.read_text(encoding="utf-8") for p in marts_dir.glob("*.csv")]
    texts += [(marts_dir / "run_manifest.json").read_text()]
    for book in marts_dir.glob("*.xlsx"):
        with zipfile.ZipFile(book) as z:
            texts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    return "\n".join(texts)


def test_no_name_or_note_from_the_support_files_reaches_any_mart_or_export(small_demo):
    secrets = raw_names_and_notes(demo_source(small_demo))
    assert len(secrets) > 10  # the scan has something to find
    text = published_text(small_demo["home"] / "data" / "marts")
    assert len(text) > 1_000_000
    leaked = sorted(s for s in secrets if s in text or s.replace("'", "&apos;") in text)
    assert leaked == []
    # and the scan does find a name when one is there
    assert "Alex Morgan" in "\n".join(sorted(secrets))


def test_the_support_workbook_holds_every_support_mart(small_demo):
    book = openpyxl.load_workbook(small_demo["home"] / "data" / "marts" / "support_activity_marts.xlsx")
    assert book.sheetnames == [m.removeprefix("fct_") for m in sorted(SUPPORT_MARTS)]


KEY = {"LOCALED_PSEUDONYM_KEY": "test-key"}
ATTACKS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"]
EARLY = "support_activity/support_activity_929_2020-01-06.csv"
LATER = "support_activity/support_activity_929_2024-07-19.csv"


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """One mirror build of the demo files, published, with two edits that later tests read:
    four school names in the GIAS file made formula-like (school names are text that reaches a
    mart), and an early delivery from 929 whose one (bad) row its 2024 delivery re-sends correctly."""
    root = tmp_path_factory.mktemp("support_mirror")
    source, home = root / "source", root / "home"
    shutil.copytree(demo_source(small_demo), source)
    register = next((source / "gias").glob("edubasealldata*.csv"))
    text = register.read_bytes().decode("cp1252")
    open_schools = [r["EstablishmentName"] for r in csv.DictReader(io.StringIO(text))
                    if r["EstablishmentStatus (name)"] == "Open"]
    names = [n for n in open_schools if text.count(f'"{n}"') == 1][:4]
    for name, attack in zip(names, ATTACKS):
        assert f'"{name}"' in text
        text = text.replace(f'"{name}"', '"' + attack.replace('"', '""') + '"', 1)
    register.write_bytes(text.encode("cp1252"))
    with open(source / LATER, newline="", encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    with open(source / EARLY, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(first), lineterminator="\n")
        writer.writeheader()
        writer.writerow(dict(first, effort_days="a lot"))  # bad, and re-sent correctly in 2024
    run_build(home, "--source", "mirror", "--mirror-dir", str(source), "--partial", extra_env=KEY)
    return {"source": source, "home": home}


def test_an_unresolved_bad_row_stops_the_run_and_says_what_to_fix(published, tmp_path):
    """Without the corrected re-delivery the messy Excel rows stay unresolved: nothing is published."""
    source, home = published["source"], tmp_path / "home"
    shutil.copytree(published["home"] / "data", home / "data")  # its reports stay as the other tests read them
    warehouse = home / "data" / "marts" / "localed.duckdb"
    before = warehouse.read_bytes()
    corrected = source / LATER
    kept = corrected.read_bytes()
    corrected.unlink()
    try:
        result = run_build(home, "--source", "mirror", "--mirror-dir", str(source), "--partial", check=False,
                           extra_env=KEY)
    finally:
        corrected.write_bytes(kept)
    assert result.returncode == 1
    message = result.stderr
    assert "nothing was published" in message
    assert f"{MESSY}, row 2, column urn (value '12345'): urn is not a 6-digit URN. Fix:" in message
    assert f"{MESSY}, row 8, column cost_gbp" in message and "formula" in message
    assert "support_activity_delivery_report.csv" in message
    assert warehouse.read_bytes() == before
    unresolved = [r for r in report_rows(home) if r["status"] == "unresolved" and r["file"] == MESSY]
    assert len(unresolved) == len(MESSY_ROWS)


def test_formula_like_text_from_an_input_is_neutralised_in_the_exports(published):
    home = published["home"]
    with open(home / "data" / "marts" / "dim_school.csv", newline="", encoding="utf-8") as f:
        exported = {r["school_name"] for r in csv.DictReader(f)}
    with duckdb.connect(str(home / "data" / "marts" / "localed.duckdb"), read_only=True) as con:
        in_warehouse = {r[0] for r in con.execute("select school_name from dim_school").fetchall()}
    for attack in ATTACKS:
        assert attack in in_warehouse  # the warehouse keeps the value as it was sent
        assert "'" + attack in exported and attack not in exported  # the spreadsheet export neutralises it


def test_a_delivery_whose_rows_were_all_replaced_is_still_a_pinned_raw_input(published):
    """The run manifest pins every file the run read, even one none of whose rows reached a table."""
    source, home = published["source"], published["home"]
    manifest = json.loads((home / "data" / "marts" / "run_manifest.json").read_text())
    support = {i["file"]: i for i in manifest["raw_inputs"] if i["dataset"] == "support_activity"}
    assert support[EARLY]["rows"] == 1
    assert (home / support[EARLY]["snapshot"]).exists()
    assert len(support) == len(list((source / "support_activity").iterdir()))
    [row] = [r for r in report_rows(home) if r["file"] == EARLY]
    assert row["status"].startswith(f"resolved by {LATER} row 2")
