"""End to end: `localed build` on a small demo in a temp LOCALED_HOME, checked through the marts."""

import hashlib
import json
import os
import re
import shutil

import duckdb
import pytest

from orchestration.fingerprint import unchanged_since_published
from orchestration.resources import LocalEDResource
from tests.conftest import REPO_ROOT, SMALL_DEMO_LAS, run_build

pytestmark = pytest.mark.slow

PLANTED = {"ks2_rwm_expected_pct": 2.0, "ks4_attainment8": 1.0, "overall_absence_pct": -0.5}


def query(warehouse, sql, params=None):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_build_publishes_the_warehouse_and_exports(small_demo):
    marts = small_demo["home"] / "data" / "marts"
    assert small_demo["warehouse"].exists()
    for mart in ("dim_school", "fct_school_year", "fct_arrangement_year"):
        assert (marts / f"{mart}.parquet").exists()
        assert query(small_demo["warehouse"], f"select count(*) from {mart}")[0][0] > 0
    manifest = json.loads((marts / "run_manifest.json").read_text())
    assert manifest["source_mode"] == "demo" and manifest["synthetic"] is True
    assert {i["dataset"] for i in manifest["raw_inputs"]} >= {"ks2", "ks4", "absence", "census", "gias_links"}
    assert not list((small_demo["home"] / "data" / "build").glob("*/localed.duckdb"))  # build dir cleaned up


def test_the_build_writes_the_findings_report_and_the_cli_rewrites_it(small_demo, tmp_path):
    page = small_demo["home"] / "data" / "marts" / "report" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" in html and "<svg" in html and "Headline" in html
    assert "Findings report:" in small_demo["result"].stdout
    from orchestration.cli import main

    assert main(["report", "--warehouse", str(small_demo["warehouse"]), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "index.html").read_bytes() == page.read_bytes()  # same warehouse, same bytes


def test_arrangement_year_has_treated_and_comparators_in_every_year_with_data(small_demo):
    rows = query(small_demo["warehouse"], """
        select academic_year, list(distinct group_role order by group_role)
        from fct_arrangement_year where phase_group = 'all' and value_status = 'reported'
        group by 1 order by 1""")
    years = [r[0] for r in rows]
    assert years == ["2016/17", "2017/18", "2018/19", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
    assert all(r[1] == ["comparator", "treated"] for r in rows)
    for table in ("fct_school_year", "fct_arrangement_year"):
        bad = query(small_demo["warehouse"],
                    f"select count(*) from {table} where not regexp_full_match(academic_year, '\\d{{4}}/\\d{{2}}')")
        assert bad[0][0] == 0


@pytest.mark.parametrize(("measure", "tolerance"), [
    ("ks2_rwm_expected_pct", 1.0), ("ks4_attainment8", 0.6), ("overall_absence_pct", 0.3)])
def test_treated_change_exceeds_comparators_by_about_the_planted_amount(small_demo, measure, tolerance):
    """Difference in differences of the published group means: (post - pre) treated minus comparators."""
    (did,) = query(small_demo["warehouse"], """
        with means as (
            select group_role, academic_year >= '2022/23' as post, avg(value) as mean_value
            from fct_arrangement_year
            where measure = ? and phase_group = 'all' and comparison_group in ('treated', 'named_single_la')
              and academic_year not in ('2020/21', '2021/22')
            group by all
        )
        select (max(mean_value) filter (where group_role = 'treated' and post)
                - max(mean_value) filter (where group_role = 'treated' and not post))
             - (max(mean_value) filter (where group_role = 'comparator' and post)
                - max(mean_value) filter (where group_role = 'comparator' and not post))
        from means""", [measure])[0]
    assert did == pytest.approx(PLANTED[measure], abs=tolerance)


def test_a_converted_academy_is_one_continuous_history(small_demo):
    rows = query(small_demo["warehouse"], """
        select s.school_key, count(distinct f.urn) as urns, count(*) as years
        from dim_school s join fct_school_year f using (school_key)
        where s.n_urns = 2 group by 1 having count(distinct f.urn) = 2 limit 5""")
    assert rows, "expected schools whose history spans two URNs"
    assert all(years >= 3 for _, _, years in rows)


def test_every_mart_row_is_labelled_synthetic(small_demo):
    for mart in ("dim_school", "fct_school_year", "fct_arrangement_year"):
        labels = query(small_demo["warehouse"], f"select distinct data_provenance from {mart}")
        assert labels == [("SYNTHETIC DEMO DATA - not real schools",)]


def test_the_build_prints_progress_and_stage_timings(small_demo):
    err = small_demo["result"].stderr
    assert re.search(r"raw/ks2\s+\d+ file\(s\)", err)
    assert "Stage timings:" in err and "localed_dbt_models" in err and "published_warehouse" in err


def test_the_build_makes_no_network_connection(small_demo):
    lines = small_demo["netlog"].read_text().splitlines()
    loaded = [line for line in lines if line.split()[1] == "loaded"]
    # Positive control: the guard was active in the build's own processes (this one, dbt, the estimation),
    # so an empty list of attempts means something.
    assert any(line.split()[0] == str(os.getpid()) for line in loaded), lines
    assert any("/dbt " in line for line in loaded), lines
    assert any("--build-db" in line for line in loaded), lines
    attempts = [line for line in lines if line.split()[1] != "loaded"]
    assert attempts == [], "network attempts during the build:\n" + "\n".join(attempts)


def test_readme_queries_run_and_return_rows(small_demo):
    readme = (REPO_ROOT / "README.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", readme, flags=re.S)
    assert len(queries) >= 3
    for sql in queries:
        assert query(small_demo["warehouse"], sql), f"README query returned nothing:\n{sql}"


def cli_build(home, *args):
    result = run_build(home, "--demo-las", *SMALL_DEMO_LAS, *args)
    return result.returncode, result.stdout, result.stderr


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(home):
    return json.loads((home / "data" / "marts" / "run_manifest.json").read_text())


def test_a_rebuild_with_nothing_changed_says_so_and_a_changed_byte_or_force_rebuilds(small_demo, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo["home"] / "data", home / "data")
    first = manifest_of(home)
    published = home / "data" / "marts" / "localed.duckdb"
    before = sha256(published)

    code, out, _ = cli_build(home)
    assert code == 0 and "Nothing changed since the published build" in out and "Use --force" in out
    assert sha256(published) == before and manifest_of(home)["run_id"] == first["run_id"]

    # --force rebuilds: a new run, and the same inputs give identical marts (content hashes and rows).
    code, out, err = cli_build(home, "--force")
    assert code == 0 and "Nothing changed" not in out, err[-2000:]
    forced = manifest_of(home)
    assert forced["run_id"] != first["run_id"] and forced["marts"] == first["marts"]

    # One changed raw byte (a letter of a school's name in the demo's GIAS file): no longer "nothing
    # changed", so `localed build` builds (the path --force just took); the fingerprint, not the build, is
    # what this adds, so it is checked directly rather than with a third build.
    gias = next((home / "data" / "demo_source").glob("*/gias/edubasealldata*.csv"))
    data = gias.read_bytes()
    localed = LocalEDResource(source="demo", home=str(home), demo_la_codes=[int(c) for c in SMALL_DEMO_LAS], fast=True)
    assert unchanged_since_published(localed) is not None
    gias.write_bytes(data.replace(b" Primary School (", b" Primary school (", 1))
    assert unchanged_since_published(localed) is None
    gias.write_bytes(data)
    assert unchanged_since_published(localed) is not None
