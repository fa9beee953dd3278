"""LA-level indicators for every LA in England (DfE's LA Interactive Tool, LAIT), and DfE's
statistical-neighbour models.

la_indicators: LAIT's long file (one row per measure x area x year; `bds_long*.parquet` or the
same layout as `.csv`) read together with its data dictionary (`lait_data_dictionary*.csv`),
because the dictionary says how each measure's years are written. Landing keeps every value as
text and adds, by these stated rules (nothing is guessed):
- academic_year from `Years` and the dictionary's Year_Type. Academic-year and January-census
  measures: `2024` (also `2024 (Rev)`, `(Final)`, `(prov)`) is 2023/24, the year the summer (or
  the January census) falls in; `2023-24` and `2023/24` are 2023/24. Financial, calendar and other
  annual measures keep their period in `period` and get no academic year (they are not used in
  the evaluation). A suffix is kept in `year_note`.
- record_level: England (970), region (980-990) or LA.
Rows are rejected, naming file, row and column, for: a measure code the dictionary does not
describe, a year its Year_Type cannot be read from, two rows for one measure, area and year (also
after the years are read: `2024` and `2024 (Rev)` of one measure is a conflict, not a choice), a
value that is neither a number nor a known symbol, and an area code that is not three digits.
One stated exception: LAIT holds placeholder rows whose year is `0` and whose value is `-` (no
year, no value); they are counted and set aside.

statistical_neighbours: each LA's ten nearest LAs in a DfE model, from the CSV layouts and the
LAIT XLSX copies (sheet "LA SN Groups"). The model year comes from the file name (2021, 2025).
When two files hold the same model they must list the same neighbours; a disagreement stops the
run. Rows with no LA code and no neighbours (blank lines, the 2021 CSV's "Old SNs:" label) are
skipped, and a neighbour written `-` (an LA the model does not cover) is no neighbour; the legacy LAs listed under that label (835-837, 909, 928) are kept like any other.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl

from orchestration.progress import say
from orchestration.sources.catalogue import DatasetSpec, col
from orchestration.sources.landing import LandingError, Snapshot, SourceFile, decode, read_csv_text

NATIONAL_CODE = "970"
REGION_CODES = tuple(str(code) for code in range(980, 991))

# Year types whose periods are academic years (the January census falls in one too).
ACADEMIC_YEAR_TYPES = ("Academic Year", "Annual - January")
OTHER_YEAR_TYPES = ("Financial Year", "Calendar Year", "Annual", "Annual (end of Sept)")
_YEAR = r"(?P<end>\d{4})(?: \((?P<note>Rev|Final|prov)\))?"
_SPAN = r"(?P<start>\d{4})[-/](?P<end2>\d{2})"
_OTHER_PERIOD = r"\d{4}|\d{4}-\d{2}(?: \(OT\))?|\d{4}/\d{2}-\d{2}/\d{2}"
NUMBER = r"-?\d+(\.\d+)?([eE][-+]?\d+)?"

LONG_FILE = re.compile(r"^bds_long[^/]*\.(parquet|csv)$", re.IGNORECASE)
DICTIONARY_FILE = re.compile(r"^lait_data_dictionary[^/]*\.csv$", re.IGNORECASE)

# LAIT's column -> landed column
LONG_COLUMNS = {"Short Desc": "measure_code", "Data item": "measure_label", "Years": "period",
                "LA and Regions": "area_name", "Values": "value", "LA Number": "area_code", "Region": "region_name"}
DICTIONARY_COLUMNS = {"Measure_short": "measure_code", "Measure": "measure_name", "Polarity": "polarity",
                      "Year_Type": "year_type", "dps": "decimal_places", "state_funded_flag": "state_funded"}

RECORD_LEVEL = (
    pl.when(pl.col("area_code") == NATIONAL_CODE).then(pl.lit("national"))
    .when(pl.col("area_code").is_in(REGION_CODES)).then(pl.lit("region"))
    .otherwise(pl.lit("la"))
)

NEIGHBOUR_RECORD_LEVEL = pl.lit("la")


def _known_symbols() -> list[str]:
    from orchestration.checks.suites import special_values  # the one list, in dbt_project.yml

    return list(special_values())


def _read_table(source: SourceFile, *, parquet: bool) -> pl.DataFrame:
    """Every column as text, with the row number a person would look for (CSV: header = row 1;
    Parquet: the record's 1-based position)."""
    if parquet:
        try:
            frame = pl.read_parquet(io.BytesIO(source.content))
        except Exception as err:  # polars raises several kinds for a broken file
            raise LandingError(source.name, f"not a readable Parquet file ({type(err).__name__}: "
                                            f"{str(err).splitlines()[0][:200]})") from err
        frame = frame.with_columns(pl.all().cast(pl.String))
        first_row = 1
    else:
        frame = read_csv_text(source, decode(source, "utf-8"))  # empty or unparseable: a LandingError
        first_row = 2
    if frame.height == 0:
        raise LandingError(source.name, "the file has no data rows")
    return frame.with_columns(pl.int_range(first_row, frame.height + first_row, dtype=pl.Int64).alias("_source_row"))


def _require(source: SourceFile, frame: pl.DataFrame, columns: dict[str, str]) -> pl.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LandingError(source.name, f"required column(s) missing: {', '.join(missing)} (the header has "
                                        f"{', '.join(frame.columns[:10])})", column=missing[0])
    return frame.select(*[pl.col(c).alias(n) for c, n in columns.items()], "_source_row")


def _fail_at(source: SourceFile, bad: pl.DataFrame, column: str, problem: str) -> None:
    if bad.height:
        first = bad.row(0, named=True)
        more = f" ({bad.height - 1:,} more row(s) like it)" if bad.height > 1 else ""
        raise LandingError(source.name, problem.format(**first) + more, row=first["_source_row"], column=column)


def read_dictionary(source: SourceFile) -> pl.DataFrame:
    frame = _require(source, _read_table(source, parquet=False), DICTIONARY_COLUMNS)
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in DICTIONARY_COLUMNS.values())
    _fail_at(source, frame.filter(pl.col("measure_code").is_null()), "Measure_short", "a measure with no code")
    known = (*ACADEMIC_YEAR_TYPES, *OTHER_YEAR_TYPES)
    _fail_at(source, frame.filter(~pl.col("year_type").is_in(known) | pl.col("year_type").is_null()), "Year_Type",
             "year type {year_type!r} is not one this pipeline knows how to read (" + ", ".join(known) + ")")
    # The dictionary lists some measures twice; that is harmless only when the rows agree.
    rules = ["year_type", "polarity"]
    conflicting = frame.group_by("measure_code").agg(pl.struct(rules).n_unique().alias("n"), pl.col("_source_row").max()
                                                     ).filter(pl.col("n") > 1).sort("_source_row")
    _fail_at(source, conflicting, "Year_Type", "measure {measure_code!r} is described twice with a different "
                                               "year type or polarity")
    return frame.sort("_source_row").unique("measure_code", keep="first", maintain_order=True).drop("_source_row")


def read_long_file(source: SourceFile, dictionary: pl.DataFrame, symbols: list[str]) -> tuple[pl.DataFrame, int]:
    """LAIT's long rows, checked, with their dictionary entry and academic year. Returns the rows
    and how many year-0 placeholders were set aside."""
    frame = _require(source, _read_table(source, parquet=source.name.lower().endswith(".parquet")), LONG_COLUMNS)
    frame = frame.with_columns(
        pl.col("measure_code", "period", "value", "area_name", "region_name").str.strip_chars(),
        # Parquet stores the LA number as a float (391.0): the code is its whole-number text.
        pl.col("area_code").str.strip_chars().str.replace(r"\.0+$", ""),
    )
    placeholder = (pl.col("period") == "0") & (pl.col("value") == "-")
    set_aside = frame.filter(placeholder).height
    frame = frame.filter(~placeholder)
    _fail_at(source, frame.filter(pl.col("measure_code").is_null()), "Short Desc", "a row with no measure code")
    frame = frame.join(dictionary, on="measure_code", how="left")
    _fail_at(source, frame.filter(pl.col("year_type").is_null()).sort("_source_row"), "Short Desc",
             "measure code {measure_code!r} is not in the data dictionary (lait_data_dictionary.csv)")
    _fail_at(source, frame.filter(~pl.col("area_code").fill_null("").str.contains(r"^\d{3}$")).sort("_source_row"),
             "LA Number", "area code {area_code!r} is not a three-digit DfE code")
    number = pl.col("value").str.contains(rf"^{NUMBER}$")
    _fail_at(source, frame.filter(~(number.fill_null(False) | pl.col("value").is_in(symbols))).sort("_source_row"),
             "Values", "value {value!r} is neither a number nor a known symbol (" + " ".join(symbols) + ")")

    academic = pl.col("year_type").is_in(ACADEMIC_YEAR_TYPES)
    single = pl.col("period").str.extract_groups(rf"^{_YEAR}$")
    span = pl.col("period").str.extract_groups(rf"^{_SPAN}$")
    end = single.struct.field("end").cast(pl.Int32)
    start = span.struct.field("start").cast(pl.Int32)
    span_ok = (start + 1) % 100 == span.struct.field("end2").cast(pl.Int32)
    frame = frame.with_columns(
        academic_year=pl.when(academic & end.is_not_null())
        .then((end - 1).cast(pl.String) + "/" + (end % 100).cast(pl.String).str.zfill(2))
        .when(academic & start.is_not_null() & span_ok)
        .then(start.cast(pl.String) + "/" + span.struct.field("end2")),
        year_note=pl.when(academic).then(single.struct.field("note").str.to_lowercase()),
        other_period_ok=~academic & pl.col("period").str.contains(rf"^({_OTHER_PERIOD})$").fill_null(False),
    )
    _fail_at(source, frame.filter(pl.col("academic_year").is_null() & ~pl.col("other_period_ok")).sort("_source_row"),
             "Years", "year {period!r} cannot be read for measure {measure_code!r} (year type {year_type!r})")
    for key, what in ((["measure_code", "area_code", "period"], "year {period!r}"),
                      (["measure_code", "area_code", "academic_year"], "academic year {academic_year}")):
        keyed = frame.filter(pl.all_horizontal(pl.col(key).is_not_null()))
        repeats = keyed.filter(pl.struct(key).is_duplicated()).sort("_source_row")
        if repeats.height:
            first = repeats.row(0, named=True)
            rows = repeats.filter(pl.all_horizontal(pl.col(k) == first[k] for k in key))["_source_row"]
            raise LandingError(source.name, f"measure {first['measure_code']!r}, area {first['area_code']}, {what}"
                               .format(**first) + f" appears more than once (rows {', '.join(map(str, rows))})",
                               row=int(rows[1]), column="Years")
    return frame.drop("other_period_ok"), set_aside


def land_la_indicators(files: list[SourceFile], snapshots: list[Snapshot]) -> pl.DataFrame:
    dictionaries = [f for f in files if DICTIONARY_FILE.match(f.name.rsplit("/", 1)[-1])]
    long_files = [(f, s) for f, s in zip(files, snapshots) if LONG_FILE.match(f.name.rsplit("/", 1)[-1])]
    if not long_files:
        return pl.DataFrame()
    if len(dictionaries) != 1:
        names = ", ".join(f.name for f in dictionaries) or "none"
        raise LandingError(long_files[0][0].name, "LAIT's long file is read with exactly one data dictionary "
                                                  f"(lait_data_dictionary*.csv); found {names}")
    dictionary = read_dictionary(dictionaries[0])
    symbols = _known_symbols()
    frames = []
    for source, snapshot in long_files:
        frame, set_aside = read_long_file(source, dictionary, symbols)
        if set_aside:
            say("raw/la_indicators", f"{source.name}: {set_aside} placeholder row(s) with year 0 and value '-' "
                                     "set aside (no year, no value)")
        frames.append(frame.with_columns(pl.lit(source.name).alias("_source_file"),
                                         pl.lit(snapshot.sha256).alias("_snapshot_sha256")))
    landed = pl.concat(frames, how="vertical")
    repeats = landed.filter(pl.struct("measure_code", "area_code", "academic_year").is_duplicated()
                            & pl.col("academic_year").is_not_null())
    if repeats.height:  # the same value in two long files: which one holds is not ours to pick
        first = repeats.row(0, named=True)
        raise LandingError(first["_source_file"], f"measure {first['measure_code']!r}, area {first['area_code']}, "
                                                  f"{first['academic_year']} is in more than one LAIT long file",
                           row=first["_source_row"], column="Years")
    return landed.select(*[c.name for c in SPEC.columns], "academic_year", "_source_file", "_source_row",
                         "_snapshot_sha256")


# --- statistical neighbours -------------------------------------------------------------------

_MODEL_YEAR = re.compile(r"(20\d\d)")
_NEIGHBOUR_COLUMN = re.compile(r"^SN_?(\d{1,2})$", re.IGNORECASE)


def _neighbour_rows(source: SourceFile) -> list[tuple[int, list[str]]]:
    """(row number, cells) of a CSV, or of the XLSX sheet "LA SN Groups", all as text."""
    if source.name.lower().endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(source.content), read_only=True, data_only=True)
        except Exception as err:
            raise LandingError(source.name, f"not a readable XLSX workbook ({type(err).__name__})") from err
        if "LA SN Groups" not in book.sheetnames:
            raise LandingError(source.name, f"no sheet 'LA SN Groups' (sheets: {', '.join(book.sheetnames)})")
        return [(n, ["" if v is None else str(v).strip() for v in row])
                for n, row in enumerate(book["LA SN Groups"].iter_rows(values_only=True), start=1)]
    return [(n, [v.strip() for v in row]) for n, row in enumerate(csv.reader(io.StringIO(decode(source, "utf-8"))),
                                                                    start=1)]


def read_neighbour_file(source: SourceFile) -> pl.DataFrame:
    years = _MODEL_YEAR.findall(source.name.rsplit("/", 1)[-1])
    if len(set(years)) != 1:
        raise LandingError(source.name, "the file name must name the model's year once (e.g. sn_april_2021.xlsx)")
    rows = _neighbour_rows(source)
    header_at = next((i for i, (_, cells) in enumerate(rows)
                      if cells and re.fullmatch(r"(old_)?la[ _]?(num|code)", cells[0], re.IGNORECASE)), None)
    if header_at is None:
        raise LandingError(source.name, "no header row starting 'LA num' or 'old_la_code'", row=1, column="A")
    header = rows[header_at][1]
    ranks = [(int(m.group(1)), i) for i, name in enumerate(header) if (m := _NEIGHBOUR_COLUMN.match(name))]
    if sorted(r for r, _ in ranks) != list(range(1, 11)):
        raise LandingError(source.name, "expected neighbour columns SN1..SN10", row=rows[header_at][0])
    out = []
    for number, cells in rows[header_at + 1:]:
        if not any(cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        if not cells[0] and not any(cells[i] for _, i in ranks):
            continue  # a section label ("Old SNs:") or a blank line: no LA, no neighbours
        if not re.fullmatch(r"\d{3}", cells[0]):
            raise LandingError(source.name, f"LA code {cells[0]!r} is not a three-digit DfE code", row=number,
                               column=header[0])
        for rank, i in ranks:
            neighbour = cells[i].removesuffix(".0")
            if neighbour == "-":  # an LA the model does not cover (2021's XLSX lists 942 and 943 so)
                continue
            if not re.fullmatch(r"\d{3}", neighbour):
                raise LandingError(source.name, f"neighbour {rank} of LA {cells[0]} is {cells[i]!r}, not a three-digit "
                                                "DfE code", row=number, column=header[i])
            out.append((years[0], cells[0], cells[1], str(rank), neighbour, cells[i + 1] if i + 1 < len(cells) else "",
                        number))
    frame = pl.DataFrame(out, schema=[*(c.name for c in NEIGHBOUR_SPEC.columns), "_source_row"], orient="row")
    twice = frame.filter(pl.struct("la_code", "neighbour_rank").is_duplicated())
    _fail_at(source, twice, header[0], "LA {la_code} is listed more than once")
    return frame


def land_statistical_neighbours(files: list[SourceFile], snapshots: list[Snapshot]) -> pl.DataFrame:
    frames = [read_neighbour_file(f).with_columns(pl.lit(f.name).alias("_source_file"),
                                                  pl.lit(s.sha256).alias("_snapshot_sha256"))
              for f, s in zip(files, snapshots)]
    if not frames:
        return pl.DataFrame()
    landed = pl.concat(frames, how="vertical")
    # Two files of one model (the CSV and LAIT's XLSX copy) must agree, LA by LA and rank by rank.
    key = ["model_year", "la_code", "neighbour_rank"]
    disagree = (landed.group_by(key).agg(pl.col("neighbour_la_code").n_unique().alias("n"),
                                         pl.col("_source_file").first(), pl.col("_source_row").first())
                .filter(pl.col("n") > 1).sort("_source_file", "_source_row"))
    if disagree.height:
        first = disagree.row(0, named=True)
        files_of_model = landed.filter(pl.col("model_year") == first["model_year"])["_source_file"].unique().sort()
        raise LandingError(first["_source_file"], f"the {first['model_year']} model's files "
                                                  f"({', '.join(files_of_model)}) disagree on neighbour "
                                                  f"{first['neighbour_rank']} of LA {first['la_code']}",
                           row=first["_source_row"], column=f"SN{first['neighbour_rank']}")
    return landed



# --- the two datasets ---------------------------------------------------------------------------

SPEC = DatasetSpec(
    name="la_indicators",
    description="LA-level indicators for every LA, region and England (DfE LA Interactive Tool), with its "
                "data dictionary: one row per measure x area x year, values as published",
    file_stems=(),
    per_year=False,
    folder="lait",
    file_pattern=r"^(bds_long[^/]*\.(parquet|csv)|lait_data_dictionary[^/]*\.csv)$",
    land_files=land_la_indicators,
    columns=(
        col("measure_code", "Short Desc"),
        col("measure_label", "Data item"),
        col("period", "Years"),
        col("area_name", "LA and Regions"),
        # text, not a DfE-format measure: LAIT writes numbers in exponent form too (4.79E-2); landing checks them
        col("value", "Values"),
        col("area_code", "LA Number"),
        col("region_name", "Region"),
        col("measure_name", "Measure"),
        col("polarity", "Polarity"),
        col("year_type", "Year_Type"),
        col("decimal_places", "dps"),
        col("state_funded", "state_funded_flag"),
        col("year_note"),
    ),
)

NEIGHBOUR_SPEC = DatasetSpec(
    name="statistical_neighbours",
    description="DfE children's services statistical neighbour models (2021, 2025): each LA's ten nearest LAs",
    file_stems=(),
    per_year=False,
    folder="statistical-neighbours",
    file_pattern=r"^[^.~].*\.(csv|xlsx)$",
    land_files=land_statistical_neighbours,
    columns=(
        col("model_year"), col("la_code"), col("la_name"), col("neighbour_rank"), col("neighbour_la_code"),
        col("closeness"),
    ),
)

