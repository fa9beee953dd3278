"""The pilot's own support-activity record: deliveries from LAs and the combined authority.

Senders fill in a template (CSV or XLSX) by hand, so every row is checked against the data
contract in expectations/support_activity.schema.json (explained in docs/support_activity.md).
Every bad row is reported with file, row, column, reason and what to fix; none is dropped
silently. A bad row is *resolved* when a later delivery from the same sender carries a good row
with the same activity_id; the run publishes only when no error is left unresolved.

Personal data never enters the warehouse: adviser names become a keyed pseudonym here, and
free-text notes are dropped here (the raw file stays under data/raw only).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import json
import math
import os
import re
import zipfile
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
from openpyxl.worksheet.datavalidation import DataValidation

from orchestration.exports import neutralise, save_workbook_reproducibly
from orchestration.settings import DBT_PROJECT_DIR, DEMO_PSEUDONYM_KEY, EXPECTATIONS_DIR
from orchestration.sources.catalogue import DatasetSpec, col
from orchestration.sources.landing import LandingError, Snapshot, SourceFile, land_file, select_columns

CONTRACT = json.loads((EXPECTATIONS_DIR / "support_activity.schema.json").read_text(encoding="utf-8"))
FIELDS: dict[str, dict] = {f["name"]: f for f in CONTRACT["fields"]}
FILE_NAME = re.compile(CONTRACT["delivery"]["file_name_pattern"], re.IGNORECASE)
PERSONAL_OR_FREE_TEXT = [name for name, f in FIELDS.items() if f.get("personal_data") or f.get("free_text")]
SHEET = "activities"

SPEC = DatasetSpec(
    name="support_activity",
    description="School-improvement activities: who, what, where, when, how much effort and cost",
    file_stems=("support_activity",),
    per_year=False,
    columns=tuple(col(name, name, required=f["constraints"]["required"]) for name, f in FIELDS.items()),
    # UTF-8 first; Excel's plain "CSV" export is Windows-1252, and people will send that too.
    encoding="cp1252",
)

RECORD_LEVEL = pl.lit("school")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one cell (or row) of a delivery, and what the sender should do."""

    file: str
    row: int
    column: str
    value: str
    problem: str
    fix: str
    sender: str
    activity_id: str | None
    severity: str = "error"  # error: the row is left out until fixed | note: counted, nothing to fix
    resolved_by: str | None = None

    @property
    def status(self) -> str:
        if self.severity == "note":
            return "note"
        return f"resolved by {self.resolved_by}" if self.resolved_by else "unresolved"

    def describe(self) -> str:
        shown = f" (value {self.value!r})" if self.value else ""
        return f"{self.file}, row {self.row}, column {self.column}{shown}: {self.problem}. Fix: {self.fix}"


# ----------------------------------------------------------------------------------------------
# Reading a delivery (CSV or XLSX) into all-text rows numbered as the sender's spreadsheet shows.

def delivery_name_parts(source: SourceFile) -> tuple[str, str]:
    """support_activity_<sender>_<YYYY-MM-DD>.csv|xlsx -> (sender, delivery date)."""
    match = FILE_NAME.match(Path(source.name).name)
    if not match:
        raise LandingError(source.name, "a support-activity delivery must be named "
                                        f"support_activity_<sender>_<YYYY-MM-DD>.csv or .xlsx "
                                        f"(e.g. {CONTRACT['delivery']['file_name_example']}): the sender and "
                                        "the delivery date decide which delivery replaces which")
    try:
        date.fromisoformat(match["delivery_date"])
    except ValueError as err:
        raise LandingError(source.name, f"the delivery date in the file name ({match['delivery_date']}) "
                                        "is not a real date") from err
    sender = match["sender"].lower()
    if sender not in known_senders():
        raise LandingError(source.name, f"unknown sender {sender!r} in the file name: use the sending LA's "
                                        f"three-digit code (e.g. 929) or one of {', '.join(CONTRACT['delivery']['other_senders'])}")
    return sender, match["delivery_date"]


@functools.cache
def known_senders() -> frozenset[str]:
    with open(DBT_PROJECT_DIR / "seeds" / "la_codes.csv", newline="", encoding="utf-8") as f:
        return frozenset({row["la_code"] for row in csv.DictReader(f)} | set(CONTRACT["delivery"]["other_senders"]))


def _cell_text(value) -> str | None:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx(source: SourceFile) -> tuple[pl.DataFrame, set[tuple[int, str]]]:
    """The 'activities' sheet (else the first) as all-text columns, plus the (row, column) of every
    cell holding a formula: its value is whatever Excel last computed, which we cannot trust."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(source.content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise LandingError(source.name, f"not a readable Excel .xlsx workbook ({type(err).__name__})") from err
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows()
        header = [_cell_text(c.value) or "" for c in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise LandingError(source.name, f"sheet {sheet.title!r} has no header row", row=1)
        title, records, formulas = sheet.title, [], set()
        # Read-only sheets yield every row in order (empty ones too), so row numbers are the sheet's.
        for row_number, cells in enumerate(rows, start=2):
            values = {}
            for name, cell in zip(header, cells):
                if getattr(cell, "data_type", None) == "f":
                    formulas.add((row_number, name.strip().lower()))
                values[name] = _cell_text(cell.value)
            if any(v is not None and v.strip() for v in values.values()):
                records.append({**{h: values.get(h) for h in header}, "_source_row": row_number})
    finally:
        book.close()
    if not records:
        raise LandingError(source.name, f"sheet {title!r} has a header but no data rows")
    frame = pl.DataFrame(records, schema={**{h: pl.String for h in header}, "_source_row": pl.Int64}, orient="row")
    return frame, formulas


def read_delivery(source: SourceFile, snapshot: Snapshot) -> tuple[pl.DataFrame, set[tuple[int, str]]]:
    """One delivery as landed text rows (contract columns + lineage) and its formula cells."""
    sender, delivery_date = delivery_name_parts(source)
    formulas: set[tuple[int, str]] = set()
    if Path(source.name).suffix.lower() == ".xlsx":
        frame, formulas = read_xlsx(source)
        landed = select_columns(source, frame, SPEC).with_columns(frame["_source_row"])
    else:
        landed = land_file(source, SPEC, snapshot).drop("academic_year", "_source_file", "_snapshot_sha256")
    return landed.with_columns(
        pl.lit(sender).alias("sender"),
        pl.lit(delivery_date).alias("delivery_date"),
        pl.lit(None, pl.String).alias("academic_year"),
        pl.lit(source.name).alias("_source_file"),
        pl.lit(snapshot.sha256).alias("_snapshot_sha256"),
    ), formulas


# ----------------------------------------------------------------------------------------------
# Checking each row against the contract.

def _canonical(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _parse_date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def check_value(name: str, raw: str | None) -> tuple[str | None, str | None, str | None]:
    """(normalised value, problem, fix) for one cell; problem is None when the value is good."""
    field = FIELDS[name]
    rules = field["constraints"]
    text = (raw or "").strip()
    if not text:
        if rules["required"]:
            return None, "is blank but required", f"fill in {name} (e.g. {field['example']})"
        return None, None, None
    if "enum" in rules:
        value = _canonical(text)
        if value not in rules["enum"]:
            return None, "is not one of the allowed values", f"use one of: {', '.join(rules['enum'])}"
        return value, None, None
    if field["type"] == "date":
        parsed = _parse_date(text)
        if parsed is None:
            return None, "is not a date", "write the date as YYYY-MM-DD (e.g. 2022-10-03)"
        if parsed < date.fromisoformat(rules["minimum"]):
            return None, f"is before {rules['minimum']}, the earliest date the warehouse covers", \
                "check the year"
        return parsed.isoformat(), None, None
    if field["type"] == "number":
        cleaned = text.removeprefix("£").replace(",", "").strip()
        if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned) or not math.isfinite(float(cleaned)):
            return None, "is not a number", f"write a number only (e.g. {field['example']})"
        number = float(cleaned)
        if not rules["minimum"] <= number <= rules["maximum"]:
            return None, f"is outside {rules['minimum']:,}–{rules['maximum']:,}", "check the amount"
        return cleaned, None, None
    if "pattern" in rules and not re.fullmatch(rules["pattern"], text):
        if name == "urn":
            return None, "is not a 6-digit URN", "use the school's 6-digit URN from Get Information about Schools"
        return None, "is not in the expected form", f"write it like {field['example']}"
    if "maxLength" in rules and len(text) > rules["maxLength"]:
        return None, f"is longer than {rules['maxLength']} characters", "shorten it"
    return text, None, None


def check_rows(frame: pl.DataFrame, known_urns: set[str] | None, formulas: set[tuple[int, str]] = frozenset()
               ) -> tuple[pl.DataFrame, list[RowProblem]]:
    """Validate every row of one delivery; return the good rows (normalised) and every problem."""
    good, problems, first_seen = [], [], {}
    for row in frame.iter_rows(named=True):
        file, number, sender = row["_source_file"], row["_source_row"], row["sender"]
        activity_id = (row.get("activity_id") or "").strip() or None

        def report(column, problem, fix, severity="error"):
            shown = "" if column in PERSONAL_OR_FREE_TEXT else (row.get(column) or "")
            problems.append(RowProblem(file, number, column, str(shown), problem, fix, sender, activity_id, severity))

        clean = dict(row)
        bad = False
        for name in FIELDS:
            if (number, name) in formulas:
                report(name, f"{name} is a formula, not a value", "type the value itself (copy, then paste as values)")
                bad = True
                continue
            value, problem, fix = check_value(name, row.get(name))
            if problem:
                report(name, f"{name} {problem}", fix)
                bad = True
            clean[name] = value
        if not bad and clean["end_date"] < clean["start_date"]:
            report("end_date", f"the activity ends ({clean['end_date']}) before it starts ({clean['start_date']})",
                   "check both dates: end_date is on or after start_date")
            bad = True
        if not bad and known_urns is not None and clean["urn"] not in known_urns:
            report("urn", f"URN {clean['urn']} is not in the GIAS register",
                   "check the URN in Get Information about Schools (a converted academy has a new URN)")
            bad = True
        if activity_id is not None and not bad:
            content = tuple(clean[name] for name in FIELDS)
            if activity_id in first_seen:
                earlier_row, earlier_content = first_seen[activity_id]
                if earlier_content == content:
                    report("activity_id", f"this row repeats row {earlier_row} exactly; it is counted once",
                           "nothing to fix (remove the repeat next time)", severity="note")
                else:  # which of the two is right is unknown: both rows are left out and reported
                    fix = "give each activity its own id, or keep only the correct row"
                    report("activity_id", f"activity_id {activity_id} is also at row {earlier_row}, "
                                          "with different values", fix)
                    if any(g["activity_id"] == activity_id for g in good):
                        problems.append(RowProblem(file, earlier_row, "activity_id", activity_id,
                                                   f"activity_id {activity_id} is also at row {number}, with "
                                                   "different values", fix, sender, activity_id))
                        good = [g for g in good if g["activity_id"] != activity_id]
                continue
            first_seen[activity_id] = (number, content)
        if not bad:
            good.append(clean)
    return pl.DataFrame(good, schema=frame.schema, orient="row") if good else frame.clear(), problems


def validate_deliveries(frames: list[pl.DataFrame], formulas: list[set[tuple[int, str]]],
                        known_urns: set[str] | None) -> tuple[pl.DataFrame, list[RowProblem]]:
    """Check every delivery, then mark errors resolved where a later delivery supplies that activity."""
    checked, problems = [], []
    if not frames:
        return pl.DataFrame(), problems
    for frame, formula_cells in zip(frames, formulas, strict=True):
        good, found = check_rows(frame, known_urns, formula_cells)
        checked.append(good)
        problems.extend(found)
    table = pl.concat(checked, how="vertical")
    # An error is resolved when a later delivery from the same sender has a good row for the activity.
    latest_good: dict[tuple[str, str], tuple[str, str, int]] = {}
    for sender, activity_id, delivered, file, row in table.select(
            "sender", "activity_id", "delivery_date", "_source_file", "_source_row").iter_rows():
        key = (sender, activity_id)
        if key not in latest_good or (delivered, file) > latest_good[key][:2]:
            latest_good[key] = (delivered, file, row)
    delivery_of = {f["_source_file"][0]: f["delivery_date"][0] for f in frames}
    resolved = []
    for problem in problems:
        later = latest_good.get((problem.sender, problem.activity_id or ""))
        if problem.severity == "error" and later and (later[0], later[1]) > (delivery_of[problem.file], problem.file):
            problem = RowProblem(**{**asdict(problem), "resolved_by": f"{later[1]} row {later[2]}"})
        resolved.append(problem)
    return table, resolved


def unresolved(problems: list[RowProblem]) -> list[RowProblem]:
    return [p for p in problems if p.status == "unresolved"]


def in_report_order(problems: list[RowProblem]) -> list[RowProblem]:
    """Unresolved errors first, then resolved ones, then notes; each by file and row."""
    rank = {"unresolved": 0, "note": 2}
    return sorted(problems, key=lambda p: (rank.get(p.status, 1), p.file, p.row, p.column))


def write_report(problems: list[RowProblem], path: Path) -> None:
    """The delivery report senders act on: one line per problem, unresolved first. Senders open it in
    Excel, and it quotes what they typed (e.g. '=D5*550'), so formula-like text is neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.incoming")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["status", "file", "row", "column", "value", "problem", "what_to_fix", "activity_id"])
        for p in in_report_order(problems):
            writer.writerow([p.status, p.file, p.row, p.column, neutralise(p.value), neutralise(p.problem), p.fix,
                             neutralise(p.activity_id or "")])
    os.replace(tmp, path)


def unresolved_error(problems: list[RowProblem], report: Path, limit: int = 20) -> LandingError:
    open_problems = unresolved(problems)
    files = sorted({p.file for p in open_problems})
    lines = "\n".join(f"  - {p.describe()}" for p in open_problems[:limit])
    more = f"\n  … and {len(open_problems) - limit} more" if len(open_problems) > limit else ""
    return LandingError(
        ", ".join(files),
        f"{len(open_problems)} problem(s) in the support-activity delivery are not resolved, so nothing can be "
        f"published. Fix these rows and send the file again (or a later delivery with the same activity_id):\n"
        f"{lines}{more}\n  The full list is in {report}")


def known_school_urns(warehouse: Path) -> set[str]:
    """URNs in the GIAS register landed in a warehouse file (support rows must name one)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {r[0] for r in con.execute("select distinct trim(urn) from raw.gias_establishments "
                                          "where urn is not null").fetchall()}


def check_delivery_files(paths: list[Path], warehouse: Path) -> int:
    """`localed check-delivery`: a sender checks files before sending them, without building anything.
    Prints every problem with its fix; exit status 1 while any error is unresolved."""
    known_urns = known_school_urns(warehouse) if warehouse.exists() else None
    if known_urns is None:
        print(f"(no warehouse at {warehouse}: URNs are checked for form only, not against GIAS)")
    frames, formulas = [], []
    try:
        for path in paths:
            source = SourceFile(path.name, None, path.read_bytes())
            frame, cells = read_delivery(source, Snapshot(path, hashlib.sha256(source.content).hexdigest(), False))
            frames.append(frame)
            formulas.append(cells)
    except (LandingError, OSError) as err:
        print(f"cannot read the delivery: {err}")
        return 1
    table, problems = validate_deliveries(frames, formulas, known_urns)
    for problem in in_report_order(problems):
        print(f"{'ERROR' if problem.status == 'unresolved' else problem.status}: {problem.describe()}")
    open_errors = unresolved(problems)
    print(f"{sum(f.height for f in frames)} rows in {len(paths)} file(s): {table.height} good, "
          f"{len(open_errors)} unresolved error(s), {sum(p.severity == 'note' for p in problems)} note(s)")
    return 1 if open_errors else 0


# ----------------------------------------------------------------------------------------------
# Personal data.

def pseudonymisation_key(source_mode: str) -> bytes:
    key = os.environ.get("LOCALED_PSEUDONYM_KEY")
    if key:
        return key.encode()
    if source_mode == "demo":
        return DEMO_PSEUDONYM_KEY.encode()
    raise RuntimeError("LOCALED_PSEUDONYM_KEY is not set: real support-activity deliveries need a secret "
                       "key to pseudonymise adviser names (see README, 'Personal data').")


def pseudonymise(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace adviser names by a keyed HMAC pseudonym; drop free-text notes."""
    def token(name: str | None) -> str | None:
        if name is None or not name.strip():
            return None
        digest = hmac.new(key, name.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"adviser_{digest[:12]}"

    return frame.with_columns(
        pl.col("adviser_name").map_elements(token, return_dtype=pl.String).alias("adviser_pseudonym"),
    ).drop(PERSONAL_OR_FREE_TEXT)


# ----------------------------------------------------------------------------------------------
# Blank templates for senders, written from the contract (docs/templates/).

def write_csv_template(path: Path) -> None:
    path.write_text(",".join(FIELDS) + "\n", encoding="utf-8")


def write_xlsx_template(path: Path) -> None:
    """An 'activities' sheet with the header and drop-down lists, and a 'fields' sheet explaining each."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(FIELDS))
    sheet.freeze_panes = "A2"
    for position, (name, field) in enumerate(FIELDS.items(), start=1):
        letter = openpyxl.utils.get_column_letter(position)
        sheet.column_dimensions[letter].width = max(14, len(name) + 2)
        allowed = field["constraints"].get("enum")
        if allowed:
            rule = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=False,
                                  showErrorMessage=True, error=f"Use one of: {', '.join(allowed)}")
            rule.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(rule)
    guide = book.create_sheet("fields")
    guide.append(["field", "required", "type", "allowed values", "meaning", "example"])
    for name, field in FIELDS.items():
        rules = field["constraints"]
        guide.append([name, "yes" if rules["required"] else "no", field["type"], ", ".join(rules.get("enum", [])),
                      field["description"], field["example"]])
    book.properties.creator = "LocalED Warehouse"
    save_workbook_reproducibly(book, path)
