"""Spreadsheet-safe exports of the marts (CSV for every mart, one XLSX workbook of the support marts).

Analysts open these in Excel, and some values come from hand-made deliveries. A text cell that
starts with =, +, - or @ (or a tab or carriage return) would be run as a formula ("CSV
injection"), so such text is written with a leading apostrophe, the OWASP-recommended
neutralisation. Numbers are numbers and are left alone: -0.5 is a value, not a formula.
Workbooks are written with fixed timestamps so identical marts give identical files.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIXED_TIME = datetime(2024, 1, 1)


def neutralise(value: str | None) -> str | None:
    """'=1+1' -> "'=1+1"; anything else unchanged."""
    if value is not None and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with formula-like values prefixed by an apostrophe."""
    pattern = "^[" + re.escape("".join(FORMULA_START)) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String
    )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    neutralised(frame).write_csv(path, line_terminator="\n")


def save_workbook_reproducibly(book: openpyxl.Workbook, path: Path) -> None:
    """openpyxl stamps 'now' into the file and its zip entries; pin both so equal content = equal bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp.encode()
                              + rb"\g<3>", data)
            target.writestr(zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6]), data,
                            compress_type=zipfile.ZIP_DEFLATED)


def write_xlsx(sheets: dict[str, pl.DataFrame], path: Path) -> None:
    """One sheet per frame. Text is always stored as text (never as a formula) and neutralised too,
    so the cell stays harmless even if someone edits it and presses Enter."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title[:31])  # Excel's limit on sheet names
        sheet.append(frame.columns)
        text_columns = [i for i, dtype in enumerate(frame.dtypes) if dtype == pl.String]
        for values in neutralised(frame).iter_rows():
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])  # Excel has no decimals
            for i in text_columns:
                cell = sheet.cell(row=sheet.max_row, column=i + 1)
                if cell.value is not None:
                    cell.data_type = "s"
    book.properties.creator = "LocalED Warehouse"
    save_workbook_reproducibly(book, path)
