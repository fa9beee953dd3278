"""The evaluation on the demo: estimates recover the planted effect, cover zero when nothing was
planted, follow the seeds without code changes, and nothing published breaks disclosure control."""

import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO_ROOT, SMALL_DEMO_LAS, published_marts, run_build

pytestmark = pytest.mark.slow

RECOVERED = ["ks2_rwm_expected_pct", "ks4_attainment8", "overall_absence_pct"]


def estimates(warehouse, comparator_set="named_single_la"):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""select measure, estimate, ci_low, ci_high, planted_effect, wild_bootstrap_p_value, caveats
                              from fct_did_estimates where comparator_set = ? order by measure""", [comparator_set]).fetchall()
    return {r[0]: dict(zip(["estimate", "ci_low", "ci_high", "planted", "wild_p", "caveats"], r[1:])) for r in rows}


@pytest.mark.parametrize("measure", RECOVERED)
def test_the_planted_effect_lies_inside_the_95_percent_interval(small_demo, measure):
    row = estimates(small_demo["warehouse"])[measure]
    assert row["planted"] != 0
    assert row["ci_low"] <= row["planted"] <= row["ci_high"], row
    assert 0 <= row["wild_p"] <= 1
    assert "Education Investment Areas" in row["caveats"] and "pre-period" in row["caveats"]


@pytest.fixture(scope="module")
def zero_effect_demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("zero_effect")
    run_build(home, "--demo-las", *SMALL_DEMO_LAS,
              "--demo-effect", "ks2_rwm_expected_pct=0", "ks4_attainment8=0", "overall_absence_pct=0")
    return home / "data" / "marts" / "localed.duckdb"


@pytest.mark.parametrize("measure", RECOVERED)
def test_with_no_planted_effect_the_interval_covers_zero(zero_effect_demo, measure):
    row = estimates(zero_effect_demo)[measure]
    assert row["planted"] == 0
    assert row["ci_low"] <= 0 <= row["ci_high"], row


def test_event_study_is_relative_to_2018_19(small_demo):
    with duckdb.connect(str(small_demo["warehouse"]), read_only=True) as con:
        reference = con.execute("""select distinct academic_year, estimate from fct_event_study
                                   where is_reference_year""").fetchall()
        years = con.execute("""select list(distinct academic_year order by academic_year) from fct_event_study
                               where measure = 'ks2_rwm_expected_pct'""").fetchone()[0]
    assert reference == [("2018/19", 0.0)]
    assert years == ["2017/18", "2018/19", "2022/23", "2023/24", "2024/25"]  # 2016/17 excluded: not comparable


def copy_of_repo(destination):
    """The project's files (tracked and new) without build output, to edit seeds safely."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def test_editing_seeds_changes_the_estimates_without_code_changes(small_demo, tmp_path):
    repo = copy_of_repo(tmp_path / "repo")
    settings = repo / "dbt_project" / "seeds" / "evaluation_settings.csv"
    settings.write_text(settings.read_text().replace("pilot_start_date,2022-04-01", "pilot_start_date,2021-04-01"))
    comparators = repo / "dbt_project" / "seeds" / "comparator_sets.csv"
    comparators.write_text("".join(line for line in comparators.read_text().splitlines(keepends=True)
                                   if not line.startswith("named_single_la,816,")))
    home = tmp_path / "home"
    env = {"LOCALED_HOME": str(home), "PYTHONPATH": str(repo)}
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "build", "--demo-las", *SMALL_DEMO_LAS, "--fast"],
                            cwd=repo, env={**_base_env(), **env}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    edited = home / "data" / "marts" / "localed.duckdb"
    before = estimates(small_demo["warehouse"], "all_other_las")
    after = estimates(edited, "all_other_las")
    # The pilot start moved a year earlier: 2021/22 is now a post year, so estimates change.
    assert after["overall_absence_pct"]["estimate"] != pytest.approx(before["overall_absence_pct"]["estimate"])
    with duckdb.connect(str(edited), read_only=True) as con:
        post_years = con.execute("select list(distinct academic_year order by academic_year) from fct_school_year "
                                 "where is_post_pilot").fetchone()[0]
    assert post_years == ["2021/22", "2022/23", "2023/24", "2024/25"]
    # York (816) left the named comparator set: that set and all_other_las now differ.
    named = estimates(edited, "named_single_la")
    assert named["ks2_rwm_expected_pct"]["estimate"] != pytest.approx(after["ks2_rwm_expected_pct"]["estimate"])
    assert "ks2_rwm_expected_pct" in named


def _base_env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("LOCALED_")}


CONTROLLED = {  # per mart: the columns that hold numbers the pipeline computed from schools
    "fct_arrangement_year": ["value", "ci_low", "ci_high"],
    "fct_published_comparison": ["pipeline_value", "difference"],
    "fct_event_study": ["estimate", "ci_low", "ci_high"],
    "fct_did_estimates": ["estimate", "std_error", "ci_low", "ci_high"],
}


def test_no_published_cell_breaks_disclosure_control(small_demo, zero_effect_demo):
    for warehouse in (small_demo["warehouse"], zero_effect_demo):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for mart in published_marts(warehouse):
                columns = {r[0] for r in con.execute(
                    "select column_name from information_schema.columns where table_name = ?", [mart]).fetchall()}
                if "n_schools" not in columns:
                    continue
                assert mart in CONTROLLED, f"{mart} has school counts but no disclosure rule in this test"
                pupils = next((c for c in ("n_pupils", "reported_cohort") if c in columns), None)
                small = "n_schools < 3" + (f" or {pupils} < 6" if pupils else "")
                leaks = con.execute(f"select count(*) from {mart} where ({small}) and ("
                                    + " or ".join(f"{c} is not null" for c in CONTROLLED[mart] if c in columns)
                                    + ")").fetchone()[0]
                assert leaks == 0, f"{mart}: {leaks} cells from too few schools or pupils are published"
                if "value_status" in columns:
                    unmarked = con.execute(f"select count(*) from {mart} where ({small}) and value_status <> 'c'").fetchone()[0]
                    assert unmarked == 0
            # School level: no attainment from a cohort under 6 pupils.
            leaks = con.execute("""select count(*) from fct_school_year where
                (ks2_cohort < 6 and ks2_rwm_expected_pct is not null) or (ks4_cohort < 6 and ks4_attainment8 is not null)""").fetchone()[0]
            assert leaks == 0


def test_disclosure_control_replaces_small_cells_by_c(small_demo):
    with duckdb.connect(str(small_demo["warehouse"]), read_only=True) as con:
        suppressed = con.execute("""select count(*), count(*) filter (where value is null and ci_low is null)
                                    from fct_arrangement_year where value_status = 'c'""").fetchone()
    assert suppressed[0] > 0 and suppressed[0] == suppressed[1]
