"""Landing DfE's LA-level indicators (LAIT) and statistical-neighbour models: the year rules, and
every malformed input stopped with its file, row and column."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from orchestration.sources import la_indicators as li
from orchestration.sources.fetch import mirror_files
from orchestration.sources.landing import LandingError, Snapshot, SourceFile

DICTIONARY = (
    "Measure_code,Topic,Measure,Chart_title,Measure_short,Polarity,y_axis_name,state_funded_flag,Table_status,"
    "Description,Last Update,Next Update,Data Owner (DO) /Supplier and Contact Details,Methodology,Hyperlink(s),dps,"
    "Year_Type,No_Quartile\n"
    "1,KS2,KS2 RWM,t,KS2RWM_Expected_STD,High,%,State Funded,,d,,,,,,0,Academic Year,\n"
    "2,Abs,Absence,t,TotAbs,Low,%,State Funded,,d,,,,,,2,Academic Year,\n"
    "3,FSM,Primary FSM,t,PriFSM,NA,%,NA,,d,,,,,,1,Annual - January,\n"
    "4,Money,Spend,t,Spend,NA,£,NA,,d,,,,,,0,Financial Year,\n"
)
HEADER = "Short Desc,Data item,Years,LA and Regions,Values,LA Number,Region\n"
GOOD_ROWS = [
    "KS2RWM_Expected_STD,KS2 RWM,2019,Newcastle upon Tyne,66,391,North East",
    "KS2RWM_Expected_STD,,2020,Newcastle upon Tyne,-,391,North East",
    "KS2RWM_Expected_STD,,2024,England,61,970,NA",
    "TotAbs,Absence,2023/24,North East,7.2,980,NA",
    "TotAbs,,2022-23,Newcastle upon Tyne,8.6699999999999999,391,North East",
    "PriFSM,FSM,2024,Newcastle upon Tyne,30.1,391,North East",
    "Spend,Spend,2023-24 (OT),Newcastle upon Tyne,100,391,North East",
    "Spend,,2016/17-18/19,Newcastle upon Tyne,90,391,North East",
    "KS2RWM_Expected_STD,,0,Newcastle upon Tyne,-,391,North East",
]


def land(rows: list[str], dictionary: str = DICTIONARY) -> pl.DataFrame:
    files = [SourceFile("lait/bds_long_test.csv", None, (HEADER + "\n".join(rows) + "\n").encode()),
             SourceFile("lait/lait_data_dictionary.csv", None, dictionary.encode())]
    snapshots = [Snapshot(Path("x"), hashlib.sha256(f.content).hexdigest(), True) for f in files]
    return li.land_la_indicators(files, snapshots)


def refused(rows: list[str], dictionary: str = DICTIONARY) -> LandingError:
    with pytest.raises(LandingError) as caught:
        land(rows, dictionary)
    return caught.value


def test_years_are_read_by_the_dictionarys_year_type():
    landed = land(GOOD_ROWS)
    years = dict(zip(landed["period"] + "|" + landed["measure_code"], landed["academic_year"]))
    assert years["2019|KS2RWM_Expected_STD"] == "2018/19"  # the summer the tests fall in
    assert years["2024|KS2RWM_Expected_STD"] == "2023/24"
    assert years["2023/24|TotAbs"] == "2023/24"
    assert years["2022-23|TotAbs"] == "2022/23"
    assert years["2024|PriFSM"] == "2023/24"  # January 2024 census
    assert years["2023-24 (OT)|Spend"] is None  # a financial year is not an academic year
    assert len(landed) == len(GOOD_ROWS) - 1  # the year-0 placeholder is set aside
    levels = dict(zip(landed["area_code"], landed.with_columns(level=li.RECORD_LEVEL)["level"]))
    assert levels == {"391": "la", "970": "national", "980": "region"}


def test_suffixes_are_kept_as_a_note_and_read_as_the_same_year():
    landed = land(["KS2RWM_Expected_STD,,2025 (prov),Newcastle upon Tyne,66,391,North East"])
    assert landed.row(0, named=True)["academic_year"] == "2024/25"
    assert landed.row(0, named=True)["year_note"] == "prov"


@pytest.mark.parametrize("bad_row, column, words", [
    ("NotAMeasure,,2019,Newcastle upon Tyne,66,391,North East", "Short Desc", "not in the data dictionary"),
    ("KS2RWM_Expected_STD,,19,Newcastle upon Tyne,66,391,North East", "Years", "cannot be read"),
    ("KS2RWM_Expected_STD,,2019-21,Newcastle upon Tyne,66,391,North East", "Years", "cannot be read"),
    ("KS2RWM_Expected_STD,,0,Newcastle upon Tyne,66,391,North East", "Years", "cannot be read"),
    ("Spend,,FY23,Newcastle upon Tyne,1,391,North East", "Years", "cannot be read"),
    ("KS2RWM_Expected_STD,,2019,Newcastle upon Tyne,66%,391,North East", "Values", "neither a number"),
    ("KS2RWM_Expected_STD,,2019,Newcastle upon Tyne,sixty,391,North East", "Values", "neither a number"),
    ("KS2RWM_Expected_STD,,2019,Newcastle upon Tyne,66,39,North East", "LA Number", "three-digit"),
    ("KS2RWM_Expected_STD,,2019,Newcastle upon Tyne,67,391,North East", "Years", "more than once"),
    ("KS2RWM_Expected_STD,,2019 (Rev),Newcastle upon Tyne,67,391,North East", "Years", "more than once"),
    ("KS2RWM_Expected_STD,,2018/19,Newcastle upon Tyne,66,391,North East", "Years", "more than once"),
])
def test_a_malformed_row_stops_landing_naming_file_row_and_column(bad_row, column, words):
    error = refused([GOOD_ROWS[0], bad_row])
    assert error.file == "lait/bds_long_test.csv"
    assert error.row == 3  # header is row 1, the good row is row 2
    assert error.column == column
    assert words in error.problem


def test_a_dictionary_that_describes_a_measure_twice_differently_is_refused():
    conflicting = DICTIONARY + "5,KS2,KS2 RWM,t,KS2RWM_Expected_STD,Low,%,State Funded,,d,,,,,,0,Academic Year,\n"
    error = refused(GOOD_ROWS, conflicting)
    assert error.file == "lait/lait_data_dictionary.csv" and error.column == "Year_Type" and error.row == 6


def test_a_dictionary_with_an_unknown_year_type_is_refused():
    error = refused(GOOD_ROWS, DICTIONARY.replace("Annual - January", "Termly"))
    assert error.file == "lait/lait_data_dictionary.csv" and error.row == 4 and "Termly" in error.problem


def test_a_long_file_needs_exactly_one_dictionary():
    files = [SourceFile("lait/bds_long_test.csv", None, (HEADER + GOOD_ROWS[0] + "\n").encode())]
    with pytest.raises(LandingError, match="exactly one data dictionary"):
        li.land_la_indicators(files, [Snapshot(Path("x"), "0", True)])


def test_a_missing_column_is_named():
    files = [SourceFile("lait/bds_long_test.csv", None, b"Short Desc,Years,Values\nKS2RWM_Expected_STD,2019,66\n"),
             SourceFile("lait/lait_data_dictionary.csv", None, DICTIONARY.encode())]
    with pytest.raises(LandingError) as caught:
        li.land_la_indicators(files, [Snapshot(Path("x"), "0", True)] * 2)
    error = caught.value
    assert error.column == "Data item" and "missing" in error.problem


SN_2021 = ("\ufeffLA num,LA Name,LA number,GOInd,GOReg," + ",".join(f"SN{i},SNP" for i in range(1, 11)) + ",\n"
           "391,Newcastle upon Tyne,391,4,North East," + ",".join(f"{c},Close" for c in
                                                                 (355, 341, 806, 373, 383, 805, 876, 393, 394, 390)) + ",\n"
           ",,,,,,,,,,,,,,,,,,,,,,,,,\n,Old SNs:,,,,,,,,,,,,,,,,,,,,,,,,\n"
           "942,Cumberland,942,5,North West," + ",".join("-,-" for _ in range(10)) + ",\n")


def land_neighbours(*named: tuple[str, str]) -> pl.DataFrame:
    files = [SourceFile(f"statistical-neighbours/{name}", None, text.encode()) for name, text in named]
    return li.land_statistical_neighbours(files, [Snapshot(Path("x"), "0", True)] * len(files))


def test_neighbours_skip_labels_and_empty_slots():
    landed = land_neighbours(("sn_2021.csv", SN_2021))
    assert landed["la_code"].unique().to_list() == ["391"]
    assert landed.sort("neighbour_rank")["neighbour_la_code"][0] == "355"
    assert set(landed["model_year"]) == {"2021"}


def test_two_files_of_one_model_must_agree():
    other = SN_2021.replace("355,Close", "359,Close")
    with pytest.raises(LandingError) as caught:
        land_neighbours(("sn_2021.csv", SN_2021), ("sn_april_2021_copy.csv", other))
    assert "disagree on neighbour 1 of LA 391" in caught.value.problem and caught.value.column == "SN1"


@pytest.mark.parametrize("name, text, words", [
    ("sn_model.csv", SN_2021, "name the model's year"),
    ("sn_2021.csv", SN_2021.replace("355,Close", "35,Close"), "not a three-digit"),
    ("sn_2021.csv", SN_2021.replace("SN10,SNP", "SNX,SNP"), "SN1..SN10"),
])
def test_malformed_neighbour_files_are_refused(name, text, words):
    with pytest.raises(LandingError, match=words):
        land_neighbours((name, text))


def test_the_real_files_land(shared_dfe):
    """The shared DfE copies: every LAIT row is read by a stated rule, and both models' two files agree."""
    for spec in (li.SPEC, li.NEIGHBOUR_SPEC):
        files = mirror_files(shared_dfe, spec)
        snapshots = [Snapshot(Path("x"), hashlib.sha256(f.content).hexdigest(), True) for f in files]
        landed = spec.land_files(files, snapshots)
        assert landed.height > 1000
    landed = land_from(shared_dfe, li.SPEC)
    england = landed.filter((pl.col("area_code") == "970") & (pl.col("measure_code") == "KS2RWM_Expected_STD"))
    assert dict(zip(england["academic_year"], england["value"]))["2018/19"] == "65"
    newcastle = land_from(shared_dfe, li.NEIGHBOUR_SPEC).filter(
        (pl.col("la_code") == "392") & (pl.col("model_year") == "2021"))
    assert "359" in set(newcastle["neighbour_la_code"])  # Wigan, a neighbour of North Tyneside


def land_from(root: Path, spec) -> pl.DataFrame:
    files = mirror_files(root, spec)
    return spec.land_files(files, [Snapshot(Path("x"), hashlib.sha256(f.content).hexdigest(), True) for f in files])


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (HEADER.encode(), "no data rows"),
    (b"\xff\xfeS\x00h\x00", "not valid UTF-8"),
    (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML"),
])
def test_an_unreadable_long_file_is_refused_with_its_name(content, words):
    files = [SourceFile("lait/bds_long_test.csv", None, content),
             SourceFile("lait/lait_data_dictionary.csv", None, DICTIONARY.encode())]
    with pytest.raises(LandingError, match=words) as caught:
        li.land_la_indicators(files, [Snapshot(Path("x"), "0", True)] * 2)
    assert caught.value.file == "lait/bds_long_test.csv"


def test_a_broken_parquet_file_is_refused_with_its_name():
    files = [SourceFile("lait/bds_long_0.parquet", None, b"PAR1 not really parquet"),
             SourceFile("lait/lait_data_dictionary.csv", None, DICTIONARY.encode())]
    with pytest.raises(LandingError, match="not a readable Parquet file") as caught:
        li.land_la_indicators(files, [Snapshot(Path("x"), "0", True)] * 2)
    assert caught.value.file == "lait/bds_long_0.parquet"
