"""The LA-level evaluation on the real DfE files (../shared/data/dfe, LAIT and statistical
neighbours): every LA in every year, England's national figures, every measure, comparator set and
method estimated with caveats, and comparator sets that follow the files and seeds, not the code."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest


from tests.e2e.test_evaluation import _base_env, copy_of_repo

pytestmark = pytest.mark.slow

HEADLINE = ["ks2_rwm_expected_pct", "ks4_attainment8", "overall_absence_pct", "persistent_absence_pct",
            "ks2_rwm_disadvantage_gap_pp", "ks4_attainment8_disadvantage_gap"]
YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2015, 2025)]
# domain.md section 3: DfE's published national figures (state-funded, England)
NATIONAL = {
    "ks2_rwm_expected_pct": {"2018/19": 65, "2021/22": 59, "2022/23": 60, "2023/24": 61},
    "ks4_attainment8": {"2018/19": 46.7, "2021/22": 48.8, "2022/23": 46.3, "2023/24": 45.9},
    "overall_absence_pct": {"2018/19": 4.7, "2021/22": 7.6, "2022/23": 7.4, "2023/24": 7.1},
}


def query(warehouse, sql, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_every_english_la_every_year_with_a_status_where_there_is_no_value(mirror_build):
    warehouse = mirror_build["warehouse"]
    for measure in ["ks2_rwm_expected_pct", "ks4_attainment8", "overall_absence_pct"]:
        rows = dict(query(warehouse, "select academic_year, count(distinct la_code) from fct_la_year "
                                     "where area_level = 'la' and measure = ? group by 1", measure))
        assert sorted(rows) == YEARS, measure
        assert min(rows.values()) >= 150, (measure, rows)  # about 152 LAs a year, more before reorganisations
    unexplained = query(warehouse, "select count(*) from fct_la_year where value is null and value_status = 'reported'")
    assert unexplained == [(0,)]
    covid = query(warehouse, "select distinct value_status, comparable from fct_la_year where area_level = 'national' "
                             "and measure = 'ks2_rwm_expected_pct' and academic_year in ('2019/20', '2020/21')")
    assert covid == [("not_available", False)]
    flagged = query(warehouse, "select not_comparable_reason from fct_la_year where la_code = 970 "
                               "and measure = 'ks4_attainment8' and academic_year = '2020/21'")
    assert "teacher-assessed" in flagged[0][0]


def test_englands_rows_reproduce_dfes_published_national_figures(mirror_build):
    for measure, by_year in NATIONAL.items():
        rows = dict(query(mirror_build["warehouse"], "select academic_year, value from fct_la_year "
                                                     "where la_code = 970 and measure = ?", measure))
        for year, published in by_year.items():
            # domain.md rounds to one decimal (4.7 for LAIT's 4.73): agreement to that rounding
            assert abs(rows[year] - published) <= 0.05 + 1e-9, (measure, year, rows[year])


def test_every_headline_measure_set_and_method_is_estimated_with_caveats(mirror_build):
    warehouse = mirror_build["warehouse"]
    sets = {"statistical_neighbours", "statistical_neighbours_2025", "named_single_la", "all_other_las"}
    for measure in HEADLINE:
        found = query(warehouse, "select comparison_group, method, specification, caveats from fct_la_estimates "
                                 "where measure = ?", measure)
        assert {(g, m) for g, m, s, _ in found if s == "main"} == {(g, m) for g in sets
                                                                   for m in ("did_randomization", "synthetic_control")}
        assert all("pre-pilot year" in c and "Real LA-level data" in c for *_, c in found)
        events = query(warehouse, "select distinct comparison_group from fct_la_event_study where measure = ?", measure)
        assert {e[0] for e in events} == sets
    # The merger: Gateshead, South Tyneside, Sunderland and Durham share the treated LAs' CA from 2024/25.
    sharing = query(warehouse, "select distinct la_code from fct_la_year where shares_ca_with_treated_la "
                               "and is_post_pilot and area_level = 'la' order by 1")
    assert [r[0] for r in sharing] == [390, 393, 394, 840]
    caveat = query(warehouse, "select caveats from fct_la_estimates where specification = 'main' and "
                              "comparison_group = 'statistical_neighbours' and method = 'did_randomization' limit 1")
    assert "sharing a combined authority with a treated LA from 2024/25" in caveat[0][0]
    assert "LA-level headline (real DfE data" in mirror_build["result"].stdout


def test_the_2021_neighbour_set_is_read_from_dfes_file(mirror_build):
    members = {r[0] for r in query(mirror_build["warehouse"], "select la_code from intermediate.int_comparison_groups "
                                                              "where comparison_group = 'statistical_neighbours'")}
    assert 359 in members  # Wigan: a 2021 neighbour of North Tyneside, missing from the old typed list
    assert not members & {391, 392, 929}  # a treated LA is never a comparator (North Tyneside lists Northumberland)
    assert len(members) == 25


def test_lait_agrees_with_the_la_rows_of_the_landed_files(mirror_build):
    rows = query(mirror_build["warehouse"], "select la_code, academic_year, dataset, agrees from fct_la_source_agreement "
                                            "where expected_to_agree and la_code <> 970")
    assert len(rows) >= 20
    disagreeing = [(la, year) for la, year, _, agrees in rows if not agrees]
    assert disagreeing == [(936, "2017/18")]  # the one 0.1 difference the data README records


def test_the_neighbour_file_and_membership_seed_change_the_estimates_without_code_changes(mirror_build, shared_dfe,
                                                                                            tmp_path):
    """Edit DfE's 2021 neighbour file (North Tyneside's tenth neighbour: Wigan -> Bury) and drop the 2024
    merger from the membership seed: the comparator set and the estimates follow."""
    mirror = tmp_path / "mirror"
    for folder in ("lait", "statistical-neighbours"):
        shutil.copytree(shared_dfe / folder, mirror / folder)
    (mirror / "statistical-neighbours" / "sn_april_2021.xlsx").unlink()  # keep one file of the 2021 model
    csv = mirror / "statistical-neighbours" / "New_Statistical_Neighbour_Groupings_April_2021.csv"
    text = csv.read_bytes()
    old = b"381,Very Close,359,Very Close,"
    assert old in text
    csv.write_bytes(text.replace(old, b"381,Very Close,351,Very Close,", 1))
    repo = copy_of_repo(tmp_path / "repo")
    membership = repo / "dbt_project" / "seeds" / "arrangement_membership.csv"
    membership.write_text("".join(line for line in membership.read_text().splitlines(keepends=True)
                                  if not line.startswith("north_east_mca,")))
    home = tmp_path / "home"
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "build", "--source", "mirror", "--mirror-dir",
                             str(mirror), "--fast"], cwd=repo,
                            env={**_base_env(), "LOCALED_HOME": str(home), "PYTHONPATH": str(repo)},
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    edited = home / "data" / "marts" / "localed.duckdb"
    members = {r[0] for r in query(edited, "select la_code from intermediate.int_comparison_groups "
                                           "where comparison_group = 'statistical_neighbours'")}
    assert 351 in members and 359 not in members
    assert query(edited, "select count(*) from fct_la_year where shares_ca_with_treated_la and is_post_pilot") == [(0,)]
    # No merger: no before_ca_merger specification, and the four North East LAs stay in the main set.
    specs = {r[0] for r in query(edited, "select distinct specification from fct_la_estimates")}
    assert "before_ca_merger" not in specs
    sql = ("select estimate from fct_la_estimates where measure = 'ks2_rwm_expected_pct' and method = "
           "'did_randomization' and specification = 'main' and comparison_group = 'statistical_neighbours'")
    assert query(edited, sql)[0][0] != pytest.approx(query(mirror_build["warehouse"], sql)[0][0])
