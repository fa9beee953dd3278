"""Every real DfE file of a supported dataset lands with exactly as many school rows as it holds,
and a mirror build of ../shared/data/dfe validates against DfE's own published aggregates."""

import csv
import io
import shutil

import duckdb
import pytest

from orchestration.raw_assets import DATASETS
from orchestration.sources.catalogue import academic_year_from_folder
from orchestration.sources.fetch import _performance_table_pattern
from orchestration.sources.landing import SourceFile, land_file, store_snapshot
from tests.conftest import run_build

pytestmark = pytest.mark.real_data

SPECS = {spec.name: (spec, rule) for spec, rule in DATASETS}


def manifest_files(shared_dfe):
    """(path, dataset) for every real file the pipeline reads, found by the same name patterns."""
    with open(shared_dfe / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        paths = [row["path"] for row in csv.DictReader(f)]
    found = []
    for path in paths:
        folder, _, name = path.rpartition("/")
        for spec, _ in DATASETS:
            if spec.per_year and folder[:4].isdigit() and any(
                    _performance_table_pattern(stem).match(name) for stem in spec.file_stems):
                found.append((path, spec.name))
            elif spec.name == "gias_links" and folder == "gias" and name.startswith("links_edubasealldata"):
                found.append((path, spec.name))
    return found


def independent_school_count(content: bytes, dataset: str) -> int:
    """Count school records with the standard library's csv module (a different parser)."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig", errors="replace"), newline="")))
    header = [h.strip().upper() for h in rows[0]]
    records = [dict(zip(header, r)) for r in rows[1:] if any(field.strip() for field in r)]
    if dataset in ("ks2", "ks4", "ks4_provisional"):
        return sum(r.get("RECTYPE", "").strip() in ("1", "2") for r in records)
    if dataset in ("absence", "census"):
        return sum(r.get("LA", "").strip().upper() != "NAT" and r.get("URN", "").strip().upper() not in ("NAT", "LA")
                   for r in records)
    return len(records)


def test_the_manifest_has_files_for_every_performance_table_dataset(shared_dfe):
    datasets = {d for _, d in manifest_files(shared_dfe)}
    assert {"ks2", "ks4", "ks4_provisional", "absence", "census", "school_information", "gias_links"} <= datasets


def test_every_real_file_lands_every_school_row(shared_dfe, tmp_path):
    checked = 0
    for path, dataset in manifest_files(shared_dfe):
        spec, record_level = SPECS[dataset]
        content = (shared_dfe / path).read_bytes()
        folder = path.split("/")[0]
        source = SourceFile(path, academic_year_from_folder(folder) if folder[:4].isdigit() else None, content)
        landed = land_file(source, spec, store_snapshot(tmp_path, dataset, source)).with_columns(level=record_level)
        schools = landed.filter(landed["level"] == "school").height
        assert schools == independent_school_count(content, dataset), path
        assert landed["level"].null_count() == 0, f"{path}: rows of unknown record type"
        checked += 1
    assert checked >= 20


@pytest.mark.slow
def test_mirror_build_publishes_from_the_real_files(mirror_build):
    with duckdb.connect(str(mirror_build["warehouse"]), read_only=True) as con:
        labels = con.execute("select distinct data_provenance from fct_school_year").fetchall()
        assert labels == [("DfE open data (Open Government Licence v3.0)",)]
        years = {r[0] for r in con.execute("select distinct academic_year from fct_school_year").fetchall()}
        assert {"2016/17", "2017/18", "2018/19", "2023/24"} <= years
        # The North of Tyne LAs appear in the national 2018/19 files and the 2023/24 KS4 subset.
        treated = con.execute("select count(*) from fct_school_year where is_treated_la").fetchone()[0]
        assert treated > 100


@pytest.mark.slow
def test_published_comparison_covers_every_summary_row_and_explains_every_gap(mirror_build):
    with duckdb.connect(str(mirror_build["warehouse"]), read_only=True) as con:
        measures_per_dataset = {"ks2": 2, "ks4": 2, "ks4_provisional": 2, "absence": 2, "census": 2}
        expected = 0
        for dataset, n_measures in measures_per_dataset.items():
            summary_rows = con.execute(
                f"select count(*) from raw.{dataset} where record_level in ('la', 'national')").fetchone()[0]
            expected += summary_rows * n_measures
        rows = con.execute("select count(*) from fct_published_comparison").fetchone()[0]
        assert rows == expected > 400
        unexplained = con.execute("""
            select dataset, academic_year, geography_code, measure, dfe_value, pipeline_value, note
            from fct_published_comparison
            where not coalesce(within_tolerance, false) and (note is null or note like 'unexplained%')""").fetchall()
        assert unexplained == []
        wrong_flag = con.execute("""select count(*) from fct_published_comparison
            where within_tolerance <> (abs(difference) <= case when measure = 'attainment8' then 0.5 else 1.0 end)""").fetchone()[0]
        assert wrong_flag == 0
        agree = con.execute("select count(*) from fct_published_comparison where within_tolerance").fetchone()[0]
        assert agree > 250
        # Cross-check values quoted in ../shared/data/dfe/README.md for the 2023/24 KS4 file.
        newcastle = con.execute("""select dfe_value, dfe_cohort from fct_published_comparison
            where dataset = 'ks4' and academic_year = '2023/24' and geography_code = '391' and measure = 'attainment8'""").fetchall()
        assert newcastle == [(43.2, 2895)]


@pytest.mark.slow
def test_a_malformed_real_file_stops_the_run_naming_file_and_column(shared_dfe, mirror_build, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "2018-2019").mkdir(parents=True)
    for name in ("england_abs.csv", "england_census.csv"):
        shutil.copy(shared_dfe / "2018-2019" / name, mirror / "2018-2019" / name)
    broken = (shared_dfe / "2018-2019" / "850_ks2final.csv").read_bytes().replace(b",PTRWM_EXP,", b",PTRWM_EXPECTED,", 1)
    (mirror / "2018-2019" / "850_ks2final.csv").write_bytes(broken)
    home = mirror_build["home"]
    published = home / "data" / "marts" / "localed.duckdb"
    before = published.read_bytes()
    result = run_build(home, "--source", "mirror", "--mirror-dir", str(mirror), check=False)
    assert result.returncode == 1
    assert "2018-2019/850_ks2final.csv" in result.stderr and "PTRWM_EXP" in result.stderr
    assert published.read_bytes() == before


def test_the_panel_keeps_every_result_of_every_la_level_file(mirror_build):
    """For every LA-level KS2/KS4 download, the panel's cohort-weighted LA aggregate of fct_school_year
    equals the same file's state-funded school rows (cohort >= 6) within 0.1: a result published under a
    school's old URN in the year it converted is not lost."""
    sql = """
    with file_rows as (
        select '{ds}' as dataset, raw._source_file, raw.academic_year, raw.la_code::int as la_code,
               try_cast(replace(trim(raw.{value}), '%', '') as double) as value,
               try_cast(trim(raw.cohort) as double) as cohort
        from raw.{ds} as raw
        join staging.stg_dfe__{ds}_results as school on school.urn = raw.urn::int
                                                    and school.academic_year = raw.academic_year
        where raw.record_level = 'school' and school.is_state_funded
          and regexp_matches(raw._source_file, '/[0-9]{{3}}_')
    ),
    files as (
        select _source_file, academic_year, la_code, sum(value * cohort) / sum(cohort) as file_value
        from file_rows where value is not null and cohort >= 6 group by all
    ),
    panel as (
        select academic_year, la_code, sum({panel} * {ds}_cohort) / sum({ds}_cohort) as panel_value
        from main.fct_school_year where {panel} is not null and {ds}_cohort >= 6 group by all
    )
    select files.*, panel.panel_value from files left join panel using (academic_year, la_code) order by 1
    """
    with duckdb.connect(str(mirror_build["warehouse"]), read_only=True) as con:
        rows = con.execute(sql.format(ds="ks2", value="rwm_expected_pct", panel="ks2_rwm_expected_pct")).fetchall()
        rows += con.execute(sql.format(ds="ks4", value="attainment8", panel="ks4_attainment8")).fetchall()
        assert len(rows) == 13  # KS2 850/936 x 3 years; KS4 815/850/936 2016/17-2017/18 and 936 2018/19
        for source_file, year, la, file_value, panel_value in rows:
            assert panel_value == pytest.approx(file_value, abs=0.1), (source_file, file_value, panel_value)
        # Schools named in the audit keep the results published under their pre-conversion URN.
        kept = dict(con.execute("""
            select raw.urn, panel.ks4_attainment8 from raw.ks4_provisional as raw
            join intermediate.int_school_urns_linked as k on k.urn = raw.urn::int
            join main.fct_school_year as panel on panel.school_key = k.school_key
                                              and panel.academic_year = raw.academic_year
            where raw.academic_year = '2018/19' and raw.urn in ('121674', '121675', '121678', '108531')""").fetchall())
    # George Pindar, Graham School and Northallerton School (North Yorkshire, converted in 2018/19);
    # Newcastle 108531 -> 146752 (Attainment 8 45.7, cohort 259)
    assert kept == {"121674": 30.7, "121675": 35.4, "121678": 44.6, "108531": 45.7}
