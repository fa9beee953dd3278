"""Exported cells can never run as spreadsheet formulas ("CSV injection")."""

import csv
import zipfile

import openpyxl
import polars as pl

from orchestration.exports import neutralise, write_csv, write_xlsx

ATTACKS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0"]
HARMLESS = ["St Mary's C of E Primary", "North Tyneside", "", "2022/23", "a=b"]


def frame() -> pl.DataFrame:
    values = ATTACKS + HARMLESS
    return pl.DataFrame({"text": values, "number": [-0.5] * len(values), "count": list(range(len(values)))})


def test_every_formula_start_is_neutralised_and_nothing_else():
    for value in ATTACKS:
        assert neutralise(value) == "'" + value
    for value in HARMLESS:
        assert neutralise(value) == value
    assert neutralise(None) is None


def test_csv_export_cells_are_neutralised(tmp_path):
    write_csv(frame(), tmp_path / "m.csv")
    with open(tmp_path / "m.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    assert texts[: len(ATTACKS)] == ["'" + a for a in ATTACKS]
    assert texts[len(ATTACKS):] == HARMLESS
    assert {r["number"] for r in rows} == {"-0.5"}  # numbers stay numbers, negative or not
    assert not any(t[:1] in "=+-@\t\r" for t in texts if t)


def test_xlsx_export_cells_are_text_not_formulas(tmp_path):
    path = tmp_path / "m.xlsx"
    write_xlsx({"sheet": frame()}, path)
    sheet = openpyxl.load_workbook(path)["sheet"]
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(ATTACKS) + len(HARMLESS))]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells[: len(ATTACKS)]] == ["'" + a for a in ATTACKS]
    assert sheet.cell(row=2, column=2).value == -0.5 and sheet.cell(row=2, column=2).data_type == "n"
    with zipfile.ZipFile(path) as book:  # no <f> (formula) element anywhere in the sheet XML
        assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")


def test_xlsx_export_is_byte_identical_for_identical_content(tmp_path):
    write_xlsx({"sheet": frame()}, tmp_path / "a.xlsx")
    write_xlsx({"sheet": frame()}, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
