"""Land a source file safely: immutable content-hashed snapshot, then an all-text table.

Nothing here interprets values (that is dbt staging's job); it only makes sure the file is
what it claims to be, finds the columns through the catalogue's one mapping, and keeps
lineage (file, row, snapshot hash) on every row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, year_folder

BOM = b"\xef\xbb\xbf"
MAX_FIELD_BYTES = 10_000  # no DfE field comes near this; a longer one means a broken file


class LandingError(Exception):
    """A source file is unusable. The message names the file and, where known, row and column."""

    def __init__(self, file: str, problem: str, *, row: int | None = None, column: str | None = None):
        self.file, self.problem, self.row, self.column = file, problem, row, column
        where = "".join([f", row {row}" if row is not None else "", f", column {column}" if column else ""])
        super().__init__(f"{file}{where}: {problem}")


@dataclass(frozen=True)
class SourceFile:
    """A file as fetched: where it came from, which academic year it holds, and its bytes."""

    name: str  # e.g. 2018-2019/england_ks2final.csv
    academic_year: str | None
    content: bytes


@dataclass(frozen=True)
class Snapshot:
    path: Path
    sha256: str
    created: bool  # False when identical content was already stored (a no-op)


def snapshot_path(raw_dir: Path, dataset: str, academic_year: str | None, name: str, digest: str) -> Path:
    """data/raw/<dataset>/<YYYY-YYYY or current>/<sha256>.<ext>"""
    folder = raw_dir / dataset / (year_folder(academic_year) if academic_year else "current")
    return folder / f"{digest}.{Path(name).suffix.lstrip('.') or 'bin'}"


def store_snapshot(raw_dir: Path, dataset: str, source: SourceFile) -> Snapshot:
    """Write data/raw/<dataset>/<year>/<sha256>.<ext> once; never overwrite.

    Written to a temp file in the same folder and renamed, so a crash never leaves a partial
    snapshot under its final name.
    """
    digest = hashlib.sha256(source.content).hexdigest()
    target = snapshot_path(raw_dir, dataset, source.academic_year, source.name, digest)
    folder = target.parent
    if target.exists():
        return Snapshot(target, digest, created=False)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(source.content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Snapshot(target, digest, created=True)


def decode(source: SourceFile, encoding: str) -> str:
    """Bytes to text: UTF-8 (BOM optional) for performance tables, cp1252 for GIAS."""
    data = source.content
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        raise LandingError(source.name, "the file is empty")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head")):
        raise LandingError(source.name, "this is an HTML/XML page (an error page saved as CSV?), not a CSV file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if encoding == "utf-8":
            line = data[: err.start].count(b"\n") + 1
            raise LandingError(source.name, f"not valid UTF-8 (byte 0x{data[err.start]:02x} at line {line}); "
                                            "performance-tables files are UTF-8") from err
    return data.decode("cp1252", errors="strict")


def read_csv_text(source: SourceFile, text: str) -> pl.DataFrame:
    """Parse CSV text as all-text columns; short (ragged) rows are padded, long ones truncated."""
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=True,
                            quote_char='"', raise_if_empty=True)
    except pl.exceptions.NoDataError as err:
        raise LandingError(source.name, "the file is empty") from err
    except pl.exceptions.PolarsError as err:
        raise LandingError(source.name, f"could not be parsed as CSV: {str(err).splitlines()[0]}") from err
    if frame.height == 0:
        raise LandingError(source.name, "the file has a header but no data rows")
    return frame


def check_header(source: SourceFile, header: list[str], spec: DatasetSpec) -> None:
    """The header must name each column once, and (where the file has trend columns) belong to its year."""
    seen: dict[str, int] = {}
    for name in header:
        key = name.strip().upper()
        seen[key] = seen.get(key, 0) + 1
    duplicated = sorted(k for k, n in seen.items() if n > 1 and k)
    if duplicated:
        raise LandingError(source.name, f"the header names a column more than once: {', '.join(duplicated)}",
                           column=duplicated[0])
    if spec.trend_column_prefix and source.academic_year:
        pattern = re.compile(rf"^{re.escape(spec.trend_column_prefix)}_(\d{{2}})$")
        suffixes = [int(m.group(1)) for name in header if (m := pattern.match(name.strip().upper()))]
        expected = int(source.academic_year[:4]) % 100  # 2018/19 -> trend columns end at _18
        if suffixes and max(suffixes) != expected:
            latest = max(suffixes)
            raise LandingError(
                source.name,
                f"wrong academic year inside the file: its trend columns end at {spec.trend_column_prefix}_{latest}, "
                f"as in the 20{latest}/{latest + 1:02d} file, but it is filed as {source.academic_year}",
                column=f"{spec.trend_column_prefix}_{latest}")


def check_field_lengths(source: SourceFile, frame: pl.DataFrame) -> None:
    lengths = frame.select(pl.all().str.len_bytes().max()).row(0, named=True)
    for column, longest in lengths.items():
        if longest is not None and longest > MAX_FIELD_BYTES:
            row = int(frame.select(pl.col(column).str.len_bytes().arg_max()).item()) + 2
            raise LandingError(source.name, f"a field of {longest:,} bytes (more than {MAX_FIELD_BYTES:,}): "
                                            "a broken quote or a corrupted file", row=row, column=column)


def select_columns(source: SourceFile, frame: pl.DataFrame, spec: DatasetSpec) -> pl.DataFrame:
    """Find each canonical column through its aliases (case-insensitive); fail on a missing required one."""
    by_upper: dict[str, str] = {}
    for name in frame.columns:
        by_upper.setdefault(name.strip().upper(), name)
    selected = []
    for column in spec.columns:
        found = next((by_upper[a] for a in column.aliases if a in by_upper), None)
        if found is None:
            if column.required:
                raise LandingError(
                    source.name,
                    f"required column is missing (looked for {' / '.join(column.aliases)}; "
                    f"the header has {len(frame.columns)} columns starting {', '.join(frame.columns[:6])})",
                    column=column.aliases[0],
                )
            selected.append(pl.lit(None, pl.String).alias(column.name))
        else:
            selected.append(pl.col(found).alias(column.name))
    return frame.select(selected)


def land_file(source: SourceFile, spec: DatasetSpec, snapshot: Snapshot) -> pl.DataFrame:
    """One file -> landed rows with lineage columns."""
    text = decode(source, spec.encoding)
    check_header(source, next(csv.reader(io.StringIO(text.splitlines()[0]))), spec)
    frame = read_csv_text(source, text)
    check_field_lengths(source, frame)
    # Data row number as a spreadsheet shows it (header = row 1); blank lines are dropped after numbering.
    numbered = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_source_row"))
    numbered = numbered.filter(~pl.all_horizontal(pl.exclude("_source_row").is_null()))
    landed = select_columns(source, numbered, spec)
    return landed.with_columns(
        pl.lit(source.academic_year, pl.String).alias("academic_year"),
        pl.lit(source.name).alias("_source_file"),
        numbered["_source_row"],
        pl.lit(snapshot.sha256).alias("_snapshot_sha256"),
    )
