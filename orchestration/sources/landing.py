"""Land a source file safely: immutable content-hashed snapshot, then an all-text table.

Nothing here interprets values (that is dbt staging's job); it only makes sure the file is
what it claims to be, finds the columns through the catalogue's one mapping, and keeps
lineage (file, row, snapshot hash) on every row.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, year_folder

BOM = b"\xef\xbb\xbf"


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


def store_snapshot(raw_dir: Path, dataset: str, source: SourceFile) -> Snapshot:
    """Write data/raw/<dataset>/<year>/<sha256>.<ext> once; never overwrite.

    Written to a temp file in the same folder and renamed, so a crash never leaves a partial
    snapshot under its final name.
    """
    digest = hashlib.sha256(source.content).hexdigest()
    folder = raw_dir / dataset / (year_folder(source.academic_year) if source.academic_year else "current")
    ext = Path(source.name).suffix.lstrip(".") or "bin"
    target = folder / f"{digest}.{ext}"
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
    if not data.strip():
        raise LandingError(source.name, "the file is empty")
    if data.startswith(BOM):
        data = data[len(BOM):]
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
    frame = read_csv_text(source, decode(source, spec.encoding))
    landed = select_columns(source, frame, spec)
    return landed.with_columns(
        pl.lit(source.academic_year, pl.String).alias("academic_year"),
        pl.lit(source.name).alias("_source_file"),
        # Data row number as a spreadsheet shows it: the header is row 1.
        (pl.int_range(2, frame.height + 2, dtype=pl.Int64)).alias("_source_row"),
        pl.lit(snapshot.sha256).alias("_snapshot_sha256"),
    )
