"""The findings report (orchestration/report.py) on a tiny hand-made warehouse: written, offline,
banner only on synthetic data, one chart per expected series, every estimate shown, reproducible."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.report import BANNER, write_report

REAL = "DfE LA Interactive Tool (LAIT) open data (Open Government Licence v3.0)"
SYNTHETIC = "SYNTHETIC DEMO DATA - not real schools"
MEASURES = ("ks2_rwm_expected_pct", "overall_absence_pct")  # two of the headline measures
# measure, comparison_group, specification, method, treated_unit, estimate, ci_low, ci_high, p, planted
ESTIMATES = [
    ("ks2_rwm_expected_pct", "statistical_neighbours", "main", "did_randomization", "all treated LAs",
     2.5137, 1.5781, 3.4629, 0.0004, 2.0),
    ("ks2_rwm_expected_pct", "statistical_neighbours", "main", "synthetic_control", "treated aggregate",
     2.0219, None, None, 0.087, 2.0),
    ("ks2_rwm_expected_pct", "named_single_la", "main", "did_randomization", "all treated LAs",
     1.7311, -0.4172, 3.9954, 0.1234, 2.0),
    ("overall_absence_pct", "statistical_neighbours", "main", "did_randomization", "all treated LAs",
     0.1429, -0.2113, 0.4634, 0.379, -0.5),
    ("overall_absence_pct", "statistical_neighbours", "without_eia", "did_randomization", "all treated LAs",
     -0.0871, None, 0.3302, 0.5512, -0.5),
]


def make_warehouse(path: Path, synthetic: bool, manifest_synthetic: bool | None = None) -> Path:
    provenance = SYNTHETIC if synthetic else REAL
    con = duckdb.connect(str(path))
    con.execute("create schema intermediate; create schema meta")
    # Three treated LAs, two statistical neighbours, one named single-LA comparator; 2019/20 not comparable.
    con.execute(f"""
        create table main.fct_la_year as
        with las(la_code, la_name, treated) as (values (391, 'Newcastle upon Tyne', true),
            (392, 'North Tyneside', true), (929, 'Northumberland', true), (100, 'Alpha', false),
            (101, 'Beta', false), (102, 'Gamma', false)),
        years(academic_year, n) as (values ('2017/18', 0), ('2018/19', 1), ('2019/20', 2), ('2021/22', 3),
            ('2022/23', 4), ('2023/24', 5)),
        measures(measure, base, higher_is_better) as (values ('ks2_rwm_expected_pct', 60.0, true),
            ('overall_absence_pct', 5.0, false))
        select l.la_code, 'la' as area_level, l.la_name, y.academic_year, m.measure,
               case when y.academic_year = '2019/20' then null
                    else round(m.base + y.n * 0.5 + (l.la_code % 7) * 0.3, 1) end as value,
               case when y.academic_year = '2019/20' then 'not_available' else 'reported' end as value_status,
               m.higher_is_better, y.academic_year <> '2019/20' as comparable,
               case when y.academic_year = '2019/20' then 'No tests in 2019/20 (COVID)' end as not_comparable_reason,
               l.treated as is_treated_la, y.n >= 4 as is_post_pilot, y.academic_year = '2021/22' as is_partly_exposed,
               false as shares_ca_with_treated_la,
               case when l.treated then 'North of Tyne Combined Authority' else 'single LA' end as arrangement_name,
               '{provenance}' as data_provenance
        from las as l cross join years as y cross join measures as m
    """)
    con.execute("""
        create table intermediate.int_comparison_groups as
        select * from (values (391, 'treated', 'treated'), (392, 'treated', 'treated'), (929, 'treated', 'treated'),
            (100, 'statistical_neighbours', 'comparator'), (101, 'statistical_neighbours', 'comparator'),
            (102, 'named_single_la', 'comparator'), (100, 'all_other_las', 'comparator'),
            (101, 'all_other_las', 'comparator'), (102, 'all_other_las', 'comparator'))
            as t(la_code, comparison_group, group_role)
    """)
    con.execute("""
        create table main.fct_la_estimates (measure varchar, comparison_group varchar, specification varchar,
            method varchar, treated_unit varchar, estimate double, ci_low double, ci_high double, p_value double,
            inference varchar, n_assignments integer, min_p_value double, n_treated_las integer,
            n_comparator_las integer, pre_years varchar, post_years varchar, pre_rmspe double,
            donor_weights varchar, planted_effect double, caveats varchar, data_provenance varchar)
    """)
    for i, (measure, group, spec, method, unit, est, low, high, p, planted) in enumerate(ESTIMATES):
        synth = method == "synthetic_control"
        con.execute("insert into main.fct_la_estimates values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3, 2, "
                    "'2017/18, 2018/19', '2022/23, 2023/24', ?, ?, ?, ?, ?)",
                    [measure, group, spec, method, unit, est, low, high, p, "randomization inference", 20, 0.0004,
                     1e-6 if synth else None, json.dumps({"Alpha": 0.6, "Beta": 0.4}) if synth else None,
                     planted if synthetic else None, f"caveat-marker-{i}", provenance])
    con.execute(f"""
        create table main.fct_la_event_study as
        select measure, 'statistical_neighbours' as comparison_group, academic_year,
               n - 1 as years_from_reference, academic_year = '2018/19' as is_reference_year,
               n >= 4 as is_post_pilot, academic_year = '2021/22' as is_partly_exposed,
               case when academic_year = '2018/19' then 0.0 else 0.25 * (n - 1) end as estimate,
               case when academic_year = '2018/19' then null else -1.0 end as band_low,
               case when academic_year = '2018/19' then null else 1.0 end as band_high,
               case when academic_year = '2018/19' then null else 0.3 end as p_value,
               20 as n_assignments, '{provenance}' as data_provenance
        from (values ('2017/18', 0), ('2018/19', 1), ('2021/22', 3), ('2022/23', 4), ('2023/24', 5))
            as y(academic_year, n)
        cross join (values ('ks2_rwm_expected_pct'), ('overall_absence_pct')) as m(measure)
    """)
    con.execute(f"""
        create table main.fct_la_synthetic_paths as
        select 'ks2_rwm_expected_pct' as measure, 'statistical_neighbours' as comparison_group,
               'treated aggregate' as treated_unit, academic_year, 60 + n as treated_value,
               60 + n - (n >= 4)::int * 2 as synthetic_value, (n >= 4)::int * 2.0 as gap, n >= 4 as is_post_pilot,
               '{provenance}' as data_provenance
        from (values ('2017/18', 0), ('2018/19', 1), ('2022/23', 4), ('2023/24', 5)) as y(academic_year, n)
    """)
    con.execute("""
        create table main.fct_la_source_agreement as
        select * from (values
            ('ks2', '2018/19', 391, 'Newcastle upon Tyne', 'ks2_rwm_expected_pct', 'f.csv', 10, 61.0, 61.0, 0.0,
             true, true),
            ('ks2', '2018/19', 970, 'England', 'ks2_rwm_expected_pct', 'f.csv', 11, 64.0, 65.0, 1.0, false, true),
            ('ks4_provisional', '2018/19', 392, 'North Tyneside', 'ks4_attainment8', 'p.csv', 12, 46.1, 46.5, 0.4,
             false, false))
            as t(dataset, academic_year, la_code, la_name, measure, source_file, source_row, file_value,
                 lait_value, difference, agrees, expected_to_agree)
    """)
    con.execute(f"""
        create table main.fct_did_estimates as
        select * from (values
            ('ks2_rwm_expected_pct', 'statistical_neighbours', 'twfe_did', 2.2046, 0.15, 1.9119, 2.4972, 0.0001,
             0.073, 0.01, 1.6484, 2.8942, 99, 81075, 16434, 154, 3, '2017/18', '2023/24',
             {2.0 if synthetic else 'null'}, 'school-caveat-marker', '{provenance}'))
            as t(measure, comparator_set, method, estimate, std_error, ci_low, ci_high, p_value,
                 wild_bootstrap_p_value, placebo_p_value, placebo_ci_low, placebo_ci_high, n_placebos,
                 n_observations, n_schools, n_las, n_treated_las, first_year, last_year, planted_effect, caveats,
                 data_provenance)
    """)
    raw = [{"dataset": "la_indicators", "file": "lait/bds_long.csv", "academic_year": None,
            "sha256": "ab" * 32, "rows": 100, "snapshot": "data/raw/la_indicators/x.csv"}]
    manifest = {"run_id": "r1", "built_at": "2026-01-02T03:04:05+00:00",
                "source_mode": "demo" if synthetic else "mirror",
                "synthetic": synthetic if manifest_synthetic is None else manifest_synthetic,
                "code_version": "abc1234", "raw_inputs": raw,
                "marts": {"fct_la_estimates": {"rows": len(ESTIMATES), "content_hash": "0123"}},
                "checks": [{"check": "c1", "asset": "fct_la_year", "passed": True, "severity": "ERROR"}],
                "input_fingerprint": "cd" * 32}
    con.execute("create table meta.run_manifest as select ? as manifest_json", [json.dumps(manifest)])
    con.execute("create table meta.raw_files as select * from (values ('la_indicators', 'lait/bds_long.csv', "
                "null, ?, 100, 'data/raw/la_indicators/x.csv')) as t(dataset, file, academic_year, sha256, rows, "
                "snapshot)", ["ab" * 32])
    con.close()
    return path


def page(tmp_path: Path, synthetic: bool, **kwargs) -> str:
    warehouse = make_warehouse(tmp_path / f"w_{synthetic}.duckdb", synthetic, **kwargs)
    out = write_report(warehouse, tmp_path / f"report_{synthetic}")
    assert out == tmp_path / f"report_{synthetic}" / "index.html"
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[bool, str]:
    tmp = tmp_path_factory.mktemp("report")
    return {flag: page(tmp, flag) for flag in (True, False)}


def test_the_page_is_written_with_every_section(pages):
    for html in pages.values():
        assert html.startswith("<!DOCTYPE html>")
        for anchor in ("headline", "trends", "event-studies", "synthetic-control", "estimates", "school-level",
                       "data-quality", "how-to-read", "sources"):
            assert f'<section id="{anchor}">' in html
        assert "abc1234" in html and "ab" * 32 in html  # code version and the raw file's sha256


def test_banner_only_on_synthetic_data(pages, tmp_path):
    assert BANNER in pages[True]
    assert BANNER not in pages[False] and "SYNTHETIC" not in pages[False]
    # The rows' provenance alone is enough, whatever the manifest says.
    assert BANNER in page(tmp_path, True, manifest_synthetic=False)


def test_one_svg_per_expected_chart(pages):
    # trends: 2 headline measures; event studies: 2; synthetic control: 1 (paths for KS2 only)
    for html in pages.values():
        assert html.count("<svg") == 5
        assert len(re.findall(r'<svg[^>]*id="trend-\d+"', html)) == 2
        assert len(re.findall(r'<svg[^>]*id="event-\d+"', html)) == 2
        assert len(re.findall(r'<svg[^>]*id="synthetic-\d+"', html)) == 1
        assert html.count("<title id=") == 5  # every chart has a text alternative


def test_every_estimate_row_is_shown(pages):
    for synthetic, html in pages.items():
        assert html.count('class="estimate-row"') == len(ESTIMATES)
        for i, row in enumerate(ESTIMATES):
            assert f"caveat-marker-{i}" in html
            assert f'<span class="num">{row[5]:.2f}</span>' in html
        assert html.count('class="school-row"') == 1 and "school-caveat-marker" in html
        assert ("Planted (demo)" in html) == synthetic


def test_headline_respects_polarity_and_zero(pages):
    html = pages[True]
    # KS2 interval excludes zero, higher is better -> better; absence interval contains zero.
    assert "Measurably higher \u2014 better" in html
    assert "No measurable difference: the interval contains zero." in html
    assert "three treated LAs" in html and "observational" in html


def test_no_external_urls(pages):
    for html in pages.values():
        targets = re.findall(r'\b(?:src|href)\s*=\s*["\']([^"\']*)', html)
        assert targets and all(t.startswith("#") for t in targets), targets
        assert not re.search(r"<script|<link|<img|<iframe|@import|url\(\s*['\"]?(https?:)?//", html, re.I)
        assert "http://" not in html and "https://" not in html


def test_byte_identical_across_runs(tmp_path):
    warehouse = make_warehouse(tmp_path / "w.duckdb", synthetic=True)
    first = write_report(warehouse, tmp_path / "a").read_bytes()
    second = write_report(warehouse, tmp_path / "b").read_bytes()
    assert first == second
