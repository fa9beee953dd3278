"""The Great Expectations wrapper: planted failures give the messages people read, and the
shortcuts in orchestration/checks/suites.py (an RE2-friendly spelling of the measure regex,
deferred imports) change nothing."""

import re
import sys

import pandas as pd

from orchestration.checks import suites


def test_the_spelled_out_whitespace_is_exactly_pythons_backslash_s():
    assert [c for c in range(sys.maxunicode + 1) if re.fullmatch(suites.UNICODE_SPACE, chr(c))] == \
           [c for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]


def test_the_fast_measure_regex_matches_what_the_documented_one_matches():
    documented, fast = suites.measure_regex(), suites.measure_regex(suites.UNICODE_SPACE)
    values = [f"{left}{core}{right}" for core in ("", "12", "-3", "12.5%", "١٢", "12.", "SUPP", "x", "-", "ZZZ", "1e5")
              for left in ("", " ", "\t", "\x0b", "\u3000", "\n") for right in ("", " ", "\xa0", "\n", "\n\n", "a")]
    for data in (values, [v for v in values if v.isascii() and "\n" not in v]):  # python and pyarrow paths
        series = pd.Series(data, dtype="str")
        expected = [re.search(documented, v) is not None for v in data]
        assert series.str.contains(documented).tolist() == expected
        assert series.str.contains(fast).tolist() == expected


def _ks2(rows: int = 12) -> pd.DataFrame:
    measures = ["cohort", "disadvantaged_count", "disadvantaged_pct", "rwm_expected_pct", "rwm_high_pct",
                "reading_progress", "writing_progress", "maths_progress", "rwm_expected_disadvantaged_pct",
                "rwm_expected_not_disadvantaged_pct"]
    frame = pd.DataFrame({
        "urn": [str(136000 + i) for i in range(rows)], "la_code": "201", "academic_year": "2016/17",
        "record_level": "school", "_source_file": "2016-2017/england_ks2final.csv",
        "_source_row": range(2, rows + 2), **{m: "12" for m in measures}}).astype(
        {"_source_row": "int64", **{c: "str" for c in ["urn", "la_code", "academic_year", "record_level",
                                                        "_source_file", *measures]}})
    return frame


def test_planted_failures_give_the_same_messages_every_time():
    labels = {"urn": "URN", "la_code": "LEA", "rwm_expected_pct": "PTRWM_EXP"}
    assert suites.validate("raw_ks2", _ks2(), labels) == (True, [])
    frame = _ks2()
    frame.loc[5, "rwm_expected_pct"] = "ZZZ"
    frame.loc[6, "la_code"] = "12"
    frame.loc[8, "urn"] = frame.loc[7, "urn"]
    expected = (False, [
        "column ['_source_file', 'urn']: expect_compound_columns_to_be_unique (a URN appears once per file): "
        "2 unexpected; e.g. 2016-2017/england_ks2final.csv row 9; 2016-2017/england_ks2final.csv row 10",
        "column la_code (LEA in the file): expect_column_values_to_match_regex (school LA codes are 3 digits): "
        "1 unexpected; e.g. 2016-2017/england_ks2final.csv row 8 value '12'",
        "column rwm_expected_pct (PTRWM_EXP in the file): expect_column_values_to_match_regex "
        "(a number (optionally with %) or a DfE special value): 1 unexpected; "
        "e.g. 2016-2017/england_ks2final.csv row 7 value 'ZZZ'",
    ])
    assert suites.validate("raw_ks2", frame, labels) == expected
    assert suites.validate("raw_ks2", frame, labels) == expected  # the suite is reused: same again
    assert suites.validate("raw_ks2", frame.iloc[:0], labels) == (
        False, ["column None: expect_table_row_count_to_be_between (a landed table has rows): some unexpected; "
                "observed 0"])
