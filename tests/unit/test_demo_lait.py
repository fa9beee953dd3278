"""The demo's LA-level files: LAIT's long table and dictionary, and DfE's statistical-neighbour models,
in their real layouts, aggregated from the demo's own schools (so the planted effect shows at LA level)."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest

from orchestration.demo.generator import TREATED_LAS, DemoConfig, generate

SMALL = DemoConfig(la_codes=(391, 392, 929, 879, 359, 816))
COMPARATORS = (879, 359, 816)
# Reorganised LAs (published under their old codes in early years), London (Inner and Outer), the British
# Forces schools (702: no region, no LAIT area) and a scaled demo (replicas share their LA's code).
REORGANISED = DemoConfig(la_codes=(391, 392, 929, 203, 309, 702, 838, 839, 940, 941, 942, 943), scale=2)
BIG_EFFECT = DemoConfig(la_codes=SMALL.la_codes, planted_effects={
    "ks2_rwm_expected_pct": 10.0, "ks4_attainment8": 5.0, "overall_absence_pct": -2.0})

LAIT_HEADER = "Short Desc,Data item,Years,LA and Regions,Values,LA Number,Region"
DICTIONARY_HEADER = ["Measure_code", "Topic", "Measure", "Chart_title", "Measure_short", "Polarity", "y_axis_name",
                     "state_funded_flag", "Table_status", "Description", "Last Update", "Next Update",
                     "Data Owner (DO) /Supplier and Contact Details", "Methodology", "Hyperlink(s)", "dps",
                     "Year_Type", "No_Quartile"]
SN_2021 = "New_Statistical_Neighbour_Groupings_April_2021.csv"
SN_2025 = "sn_model_2025_wide.csv"
SN_2021_HEADER = ("LA num,LA Name,LA number,GOInd,GOReg," + ",".join(f"SN{k},SNP" for k in range(1, 11)) + ",")
SN_2025_HEADER = ("old_la_code,la_name,region_ind,region_name,"
                  + ",".join(f"SN_{k},SN_{k}P" for k in range(1, 11)))
MEASURES = ["KS2RWM_Expected_STD", "DAP_NEW_KS2_RWM", "NonDAP_NEW_KS2_RWM", "AVG_Attain8_Score", "DAP_KS4_ATT8",
            "NonDAP_KS4_ATT8", "AVG_Prog8_Score", "TotAbs", "PriTotAbs", "SecTotAbs", "TotPerAbNew", "PriFSM",
            "SecFSM"]
YEARS = [str(y) for y in range(2017, 2026)]  # academic years 2016/17 .. 2024/25, named by their summer
NO_VALUE = {"2020", "2021"}  # LAIT's `-`: no KS2 or Progress 8 in 2019/20 and 2020/21 ...
NO_ABSENCE = {"2020"}  # ... and no full-year absence in 2019/20
SN_BANDS_2021 = {"Extremely Close", "Very Close", "Close", "Somewhat close", "Not Close"}
SN_BANDS_2025 = {"Extremely close", "Very close", "Close ", "Somewhat close", "Not close"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("lait_small"), SMALL)


@pytest.fixture(scope="module")
def reorganised(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("lait_reorganised"), REORGANISED)


def read_lait(root) -> pl.DataFrame:
    return pl.read_csv(root / "lait" / "bds_long_demo.csv", infer_schema=False)


def lait_values(root, short: str, year: str) -> dict[int, float | None]:
    rows = read_lait(root).filter((pl.col("Short Desc") == short) & (pl.col("Years") == year))
    return {int(code): None if value == "-" else float(value)
            for code, value in rows.select("LA Number", "Values").iter_rows()}


def read_sn(root, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((root / "statistical-neighbours" / name).read_bytes().decode("utf-8-sig"))))


def performance_table(root, folder: str, name: str) -> pl.DataFrame:
    return pl.read_csv(root / folder / name, infer_schema=False, truncate_ragged_lines=True)


def test_files_have_lait_and_sn_layouts(demo):
    lait = (demo / "lait" / "bds_long_demo.csv").read_bytes()
    assert lait.decode("utf-8").split("\n")[0] == LAIT_HEADER and b"\r" not in lait
    dictionary = (demo / "lait" / "lait_data_dictionary.csv").read_bytes().decode("utf-8")
    assert dictionary.split("\r\n")[0] == ",".join(f'"{c}"' for c in DICTIONARY_HEADER)  # R's write.csv
    records = list(csv.DictReader(io.StringIO(dictionary, newline="")))
    assert [r["Measure_short"] for r in records] == MEASURES
    fsm = next(r for r in records if r["Measure_short"] == "PriFSM")
    assert (fsm["Year_Type"], fsm["Polarity"], fsm["state_funded_flag"]) == ("Annual - January", "NA", "NA")
    assert next(r for r in records if r["Measure_short"] == "TotAbs")["Polarity"] == "Low"
    for name, header in ((SN_2021, SN_2021_HEADER), (SN_2025, SN_2025_HEADER)):
        raw = (demo / "statistical-neighbours" / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw  # UTF-8 BOM, LF
        assert raw[3:].decode("utf-8").split("\n")[0] == header


def test_one_row_per_measure_area_and_year(demo):
    lait = read_lait(demo)
    assert not lait.select("Short Desc", "LA Number", "Years").is_duplicated().any()
    assert lait["Short Desc"].unique(maintain_order=True).to_list() == MEASURES
    assert sorted(lait["Years"].unique()) == YEARS
    areas = lait.select("LA Number", "LA and Regions", "Region").unique(maintain_order=True)
    assert areas.rows() == [  # LAs alphabetically, then England, then the regions the demo covers
        ("391", "Newcastle upon Tyne", "North East"), ("392", "North Tyneside", "North East"),
        ("929", "Northumberland", "North East"), ("879", "Plymouth", "South West"), ("359", "Wigan", "North West"),
        ("816", "York", "Yorkshire and The Humber"), ("970", "England", "NA"), ("980", "North East", "NA"),
        ("981", "North West", "NA"), ("982", "Yorkshire and the Humber", "NA"), ("990", "South West", "NA")]
    # the full rectangle, as LAIT has, less Progress 8 in 2024/25 (LAIT has no row for it)
    assert lait.height == (len(MEASURES) * len(YEARS) - 1) * areas.height
    assert lait.filter((pl.col("Short Desc") == "AVG_Prog8_Score") & (pl.col("Years") == "2025")).is_empty()
    # `Data item` only on the rows of each measure's first year.
    labelled = lait.filter(pl.col("Data item").is_not_null())
    assert labelled.height == len(MEASURES) * areas.height and set(labelled["Years"]) == {YEARS[0]}


def test_values_are_rounded_as_lait_rounds_them_with_its_gaps(demo):
    lait = read_lait(demo)
    blank = lait.filter(pl.col("Values") == "-").group_by("Short Desc").agg(pl.col("Years").unique().sort())
    gaps = {short: set(years) for short, years in blank.iter_rows()}
    assert gaps == {**{m: NO_VALUE for m in MEASURES if "KS2" in m or m == "AVG_Prog8_Score"},
                    **{m: NO_ABSENCE for m in ("TotAbs", "PriTotAbs", "SecTotAbs", "TotPerAbNew")}}
    values = lait.filter(pl.col("Values") != "-")
    decimals = {"KS2RWM_Expected_STD": 0, "DAP_NEW_KS2_RWM": 0, "AVG_Attain8_Score": 1, "PriFSM": 1,
                "AVG_Prog8_Score": 2, "TotAbs": 2, "TotPerAbNew": 2}
    for short, places in decimals.items():
        texts = values.filter(pl.col("Short Desc") == short)["Values"].to_list()
        assert all(len(t.partition(".")[2]) <= places and not t.endswith((".", ".0")) for t in texts), short
        assert all(float(t) == round(float(t), places) for t in texts)


def test_la_and_england_values_equal_the_la_rows_of_the_demo_files(demo):
    """Same schools, same weights: every LA's value is its RECTYPE 3 (KS2) / 4 (KS4) row, England the national row."""
    checked = 0
    for folder in sorted(p.name for p in demo.iterdir() if p.name[:2] == "20"):
        year = str(int(folder[:4]) + 1)
        for name, la_type, national, column, short in (
                ("england_ks2final.csv", "3", "4", "PTRWM_EXP", "KS2RWM_Expected_STD"),
                ("england_ks2final.csv", "3", "4", "PTRWM_EXP_FSM6CLA1A", "DAP_NEW_KS2_RWM"),
                ("england_ks4final.csv", "4", "7", "ATT8SCR", "AVG_Attain8_Score"),
                ("england_ks4final.csv", "4", "7", "ATT8SCR_NFSM6CLA1A", "NonDAP_KS4_ATT8"),
                ("england_ks4final.csv", "4", "7", "P8MEA", "AVG_Prog8_Score")):
            if not (demo / folder / name).exists():
                continue
            table = performance_table(demo, folder, name)
            lait = lait_values(demo, short, year)
            for lea, value in table.filter(pl.col("RECTYPE") == la_type).select("LEA", column).iter_rows():
                # no Progress 8 in 2024/25: NA in the file, no row in LAIT
                assert lait.get(int(lea)) == (None if value == "NA" else float(value.rstrip("%"))), (folder, short, lea)
                checked += 1
            national_value = table.filter(pl.col("RECTYPE") == national)[column][0]
            assert lait.get(970) == (None if national_value == "NA" else float(national_value.rstrip("%")))
    assert checked >= 5 * 6 * 4  # five KS2 and six KS4 years, six LAs


def test_values_are_pupil_weighted_means_of_the_school_rows(demo):
    """Recomputed from the published school rows (rounded, small schools suppressed): within rounding."""
    for name, weight, column, short, tolerance in (
            ("england_ks2final.csv", "TELIG", "PTRWM_EXP", "KS2RWM_Expected_STD", 1.0),
            ("england_ks4final.csv", "TPUP", "ATT8SCR", "AVG_Attain8_Score", 0.3)):
        schools = (performance_table(demo, "2022-2023", name).filter(pl.col("RECTYPE").is_in(["1", "2"]))
                   .with_columns(v=pl.col(column).str.strip_chars_end("%").cast(pl.Float64, strict=False),
                                 w=pl.col(weight).cast(pl.Float64, strict=False))
                   .drop_nulls(["v", "w"]))  # NP (independent), SUPP and NEW rows carry no value
        mean = (pl.col("v") * pl.col("w")).sum() / pl.col("w").sum()
        recomputed = dict(schools.group_by("LEA").agg(mean).select(pl.col("LEA").cast(pl.Int64), "v").iter_rows())
        recomputed[970] = schools.select(mean).item()
        lait = lait_values(demo, short, "2023")
        assert set(recomputed) == set(SMALL.la_codes) | {970}
        for code, value in recomputed.items():
            assert abs(lait[code] - value) <= tolerance, (short, code, lait[code], value)


def test_the_planted_effect_shows_in_the_la_level_contrast(tmp_path):
    root = generate(tmp_path / "big", BIG_EFFECT)
    implied = json.loads((root / "demo_truth.json").read_text())["implied_effects"]
    lait = read_lait(root).filter(pl.col("Values") != "-").with_columns(
        pl.col("Values").cast(pl.Float64), pl.col("LA Number").cast(pl.Int64), pl.col("Years").cast(pl.Int64))
    post = [2023, 2024]  # 2022/23 and 2023/24: the pilot's years

    def contrast(short: str) -> float:
        rows = lait.filter(pl.col("Short Desc") == short)
        pre = sorted(y for y in rows["Years"].unique() if y < 2023)

        def mean(las, years) -> float:
            return rows.filter(pl.col("LA Number").is_in(las) & pl.col("Years").is_in(years))["Values"].mean()

        return ((mean(TREATED_LAS, post) - mean(TREATED_LAS, pre))
                - (mean(COMPARATORS, post) - mean(COMPARATORS, pre)))

    assert abs(contrast("KS2RWM_Expected_STD") - implied["ks2_rwm_expected_pct"]) <= 2.5  # 10 planted
    assert abs(contrast("AVG_Attain8_Score") - implied["ks4_attainment8"]) <= 2.0  # 5 planted
    assert abs(contrast("TotAbs") - implied["overall_absence_pct"]) <= 0.5  # -2 planted


def test_statistical_neighbours_list_the_demo_las(demo):
    las = {str(c) for c in SMALL.la_codes}
    rows_2021 = read_sn(demo, SN_2021)
    assert all(len(r) == 26 and r[-1] == "" for r in rows_2021)  # trailing comma, as the real file
    for rows, code_at, first_sn, bands in ((rows_2021, 0, 5, SN_BANDS_2021),
                                           (read_sn(demo, SN_2025), 0, 4, SN_BANDS_2025)):
        body = rows[1:]
        assert {r[code_at] for r in body} == las
        for r in body:
            neighbours = [n for n in r[first_sn:first_sn + 20:2] if n != "-"]
            labels = [b for b in r[first_sn + 1:first_sn + 21:2] if b != "-"]
            assert set(neighbours) <= las - {r[code_at]} and len(neighbours) == len(set(neighbours)) == 5
            assert set(labels) <= bands and len(labels) == len(neighbours)
            assert r[first_sn + 10:first_sn + 20] == ["-"] * 10  # slots with no demo LA left: `-`
            if int(r[code_at]) in TREATED_LAS:  # a non-empty statistical-neighbour comparator set
                assert set(neighbours) - {str(c) for c in TREATED_LAS}
    assert [r[5:25] for r in rows_2021[1:]] != [r[4:24] for r in read_sn(demo, SN_2025)[1:]]  # different draws


def test_reorganised_las_london_and_a_scaled_demo(reorganised):
    lait = read_lait(reorganised)
    areas = dict(lait.select(pl.col("LA Number").cast(pl.Int64), "LA and Regions").unique().iter_rows())
    expected = {835: "Dorset (Pre LG)", 836: "Poole (Pre LG)", 837: "Bournemouth (Pre LG)", 909: "Cumbria",
                928: "Northamptonshire", 986: "London", 987: "London (Inner)", 988: "London (Outer)"}
    assert expected.items() <= areas.items()
    assert 702 not in areas  # no region, not an LAIT area ...
    ks4 = performance_table(reorganised, "2023-2024", "england_ks4final.csv")
    assert "702" in set(ks4["LEA"])  # ... though its schools are in the files
    # Each code has values only in the years it was published under (as in the demo's school files).
    fsm = {y: lait_values(reorganised, "PriFSM", y) for y in YEARS}
    assert fsm["2019"][835] is not None and fsm["2020"][835] is None and fsm["2020"][839] is not None
    assert fsm["2021"][928] is not None and fsm["2022"][928] is None and fsm["2022"][940] is not None
    assert fsm["2023"][909] is not None and fsm["2024"][909] is None and fsm["2024"][942] is not None
    # Replicas share their LA's code: the LA rows of the files (all replicas) still match, England too.
    for folder, lait_year in (("2018-2019", "2019"), ("2023-2024", "2024")):
        table = performance_table(reorganised, folder, "england_ks4final.csv")
        values = lait_values(reorganised, "AVG_Attain8_Score", lait_year)
        for lea, value in table.filter(pl.col("RECTYPE") == "4").select("LEA", "ATT8SCR").iter_rows():
            if lea != "702":
                assert values[int(lea)] == float(value)
        assert values[970] == float(table.filter(pl.col("RECTYPE") == "7")["ATT8SCR"][0])  # 702 included
    rows_2021 = read_sn(reorganised, SN_2021)
    codes_2021 = [r[0] for r in rows_2021[1:]]
    assert ["", "Old SNs:"] + [""] * 24 in rows_2021
    assert codes_2021[-4:] == ["835", "836", "837", "928"] and "909" in codes_2021 and "942" not in codes_2021
    codes_2025 = {r[0] for r in read_sn(reorganised, SN_2025)[1:]}
    assert {"942", "943", "940", "839"} <= codes_2025 and not codes_2025 & {"909", "928", "835", "702"}


def test_same_config_gives_identical_bytes(demo, tmp_path):
    again = generate(tmp_path / "again", SMALL)
    for path in ("lait/bds_long_demo.csv", "lait/lait_data_dictionary.csv", f"statistical-neighbours/{SN_2021}",
                 f"statistical-neighbours/{SN_2025}"):
        assert (again / path).read_bytes() == (demo / path).read_bytes(), path


def test_layout_matches_the_real_files(shared_dfe, demo):
    """Against DfE's own files (skipped when ../shared/data/dfe is absent)."""
    real_lait = shared_dfe / "lait" / "bds_long_0.parquet"
    real_dictionary = shared_dfe / "lait" / "lait_data_dictionary.csv"
    if not real_lait.exists() or not real_dictionary.exists():
        pytest.skip(f"the real LAIT files are not present under {shared_dfe / 'lait'}")
    real = pl.read_parquet(real_lait)
    assert (demo / "lait" / "bds_long_demo.csv").read_text(encoding="utf-8").split("\n")[0] == ",".join(real.columns)
    real_text = real_dictionary.read_text(encoding="utf-8")
    assert (demo / "lait" / "lait_data_dictionary.csv").read_text(encoding="utf-8").split("\n")[0] \
        == real_text.split("\n")[0]
    # The measures' labels, dictionary fields and gaps, area names and regions: copied from LAIT.
    ours = read_lait(demo)
    real = real.filter(pl.col("Short Desc").is_in(MEASURES))
    def labels(frame: pl.DataFrame) -> dict:
        return dict(frame.drop_nulls("Data item").select("Short Desc", "Data item").unique().iter_rows())

    assert labels(ours) == labels(real)
    real_rows = {r["Measure_short"]: r for r in csv.DictReader(io.StringIO(real_text, newline=""))}
    ours_text = (demo / "lait" / "lait_data_dictionary.csv").read_text(encoding="utf-8")
    for r in csv.DictReader(io.StringIO(ours_text, newline="")):
        for column in DICTIONARY_HEADER:
            if column not in ("Description", "Methodology"):
                assert r[column] == real_rows[r["Measure_short"]][column], (r["Measure_short"], column)
    def england_gaps(frame: pl.DataFrame) -> set:
        gaps = frame.filter((pl.col("LA Number").cast(pl.Float64) == 970) & (pl.col("Values") == "-")
                            & pl.col("Years").is_in(YEARS))
        return set(gaps.select("Short Desc", "Years").iter_rows())

    assert england_gaps(ours) == england_gaps(real)
    real_areas = set(real.select(pl.col("LA Number").cast(pl.Int64).cast(pl.String), "LA and Regions", "Region")
                     .unique().iter_rows())
    assert set(ours.select("LA Number", "LA and Regions", "Region").unique().iter_rows()) <= real_areas
    for name in (SN_2021, SN_2025):
        real_sn = shared_dfe / "statistical-neighbours" / name
        if real_sn.exists():
            ours_header = (demo / "statistical-neighbours" / name).read_bytes().split(b"\n")[0]
            assert ours_header == real_sn.read_bytes().split(b"\n")[0]
