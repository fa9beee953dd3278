"""Raw assets: pull each dataset, keep an immutable snapshot, land it as an all-text table.

One asset per dataset, keyed ["raw", <dataset>] so dbt's source('raw', <dataset>) links to it.
Each writes raw.<dataset> into this run's own warehouse file (never the published one).
"""


import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from orchestration.progress import say
from orchestration.resources import LocalEDResource
from orchestration.sources import (
    absence,
    census,
    gias,
    ks2,
    ks4,
    ks4_provisional,
    la_indicators,
    school_information,
    support_activity,
)
from orchestration.sources.catalogue import DatasetSpec
from orchestration.sources.download import DownloadSettings, dfe_files
from orchestration.sources.fetch import demo_root, mirror_files
from orchestration.sources.landing import LandingError, SourceFile, land_file, store_snapshot

# (spec, record-level rule) for every dataset the pipeline reads.
DATASETS: list[tuple[DatasetSpec, pl.Expr]] = [
    (gias.ESTABLISHMENTS, gias.RECORD_LEVEL),
    (gias.LINKS, gias.RECORD_LEVEL),
    (ks2.SPEC, ks2.RECORD_LEVEL),
    (ks4.SPEC, ks4.RECORD_LEVEL),
    (ks4_provisional.SPEC, ks4_provisional.RECORD_LEVEL),
    (absence.SPEC, absence.RECORD_LEVEL),
    (census.SPEC, census.RECORD_LEVEL),
    (school_information.SPEC, school_information.RECORD_LEVEL),
    (support_activity.SPEC, support_activity.RECORD_LEVEL),
    (la_indicators.SPEC, la_indicators.RECORD_LEVEL),
    (la_indicators.NEIGHBOUR_SPEC, la_indicators.NEIGHBOUR_RECORD_LEVEL),
]


def fetch(localed: LocalEDResource, spec: DatasetSpec) -> list[SourceFile]:
    mode = localed.source_mode()
    years = tuple(localed.years)
    if localed.snapshot_dir:
        return mirror_files(Path(localed.snapshot_dir), spec, years)
    if mode == "demo":
        return mirror_files(demo_root(localed.paths().demo_source, localed.demo_config()), spec, years)
    if mode == "mirror":
        return mirror_files(localed.mirror_root(), spec, years)
    # dfe: the official endpoints. The support-activity log has no public source: its deliveries
    # are read from data/support_activity/ under LOCALED_HOME.
    if spec.name == "support_activity":
        return mirror_files(localed.paths().home / "data", spec, years)
    return dfe_files(spec, years, DownloadSettings.from_environment())


def land(spec: DatasetSpec, record_level: pl.Expr, files: list[SourceFile], localed: LocalEDResource
         ) -> "tuple[pl.DataFrame, list[dict]]":
    """Snapshot and land every file; stop at the first unusable one, naming file, row and column."""
    if spec.land_files:  # files read together (e.g. a data file and the dictionary that explains it)
        snapshots = [store_snapshot(localed.paths().raw, spec.name, source) for source in files]
        frame = spec.land_files(files, snapshots)
        frame = frame.with_columns(record_level=record_level) if frame.height else empty_landed(spec)
        rows = frame.group_by("_source_file").len() if frame.height else None
        lineage = [_lineage(source, snapshot, _rows_from(rows, source.name), localed)
                   for source, snapshot in zip(files, snapshots)]
        return frame, lineage
    frames, lineage = [], []
    for source in files:
        snapshot = store_snapshot(localed.paths().raw, spec.name, source)
        frame = land_file(source, spec, snapshot).with_columns(record_level=record_level)
        unknown = frame.filter(pl.col("record_level").is_null())
        if unknown.height:
            first = unknown.row(0, named=True)
            raise LandingError(source.name, f"unrecognised record type {first.get('rectype')!r} "
                                            "(not a school, LA or national row)",
                               row=first["_source_row"], column="RECTYPE")
        if spec.ends_with_national_rows and frame["record_level"][-1] != "national":
            raise LandingError(source.name, "the file does not end with its national summary rows: it was cut short "
                                            "(truncated download?)", row=int(frame["_source_row"][-1]))
        frames.append(frame)
        lineage.append(_lineage(source, snapshot, frame.height, localed))
    return (pl.concat(frames, how="vertical") if frames else empty_landed(spec)), lineage


def _rows_from(counts: "pl.DataFrame | None", name: str) -> int:
    if counts is None:
        return 0
    match = counts.filter(pl.col("_source_file") == name)
    return int(match["len"][0]) if match.height else 0


def land_support_activity(files: list[SourceFile], localed: LocalEDResource, known_urns: set[str]
                          ) -> "tuple[pl.DataFrame, list[dict], list[support_activity.RowProblem]]":
    """Snapshot every delivery, check every row against the contract, write the delivery report,
    and stop (naming file, row, column and the fix) while any error is unresolved."""
    frames, lineage, formulas = [], [], []
    for source in files:
        snapshot = store_snapshot(localed.paths().raw, support_activity.SPEC.name, source)
        frame, formula_cells = support_activity.read_delivery(source, snapshot)
        frames.append(frame)
        formulas.append(formula_cells)
        lineage.append(_lineage(source, snapshot, frame.height, localed))
    table, problems = support_activity.validate_deliveries(frames, formulas, known_urns)
    report = localed.paths().reports / "support_activity_delivery_report.csv"
    support_activity.write_report(problems, report)
    if support_activity.unresolved(problems):
        raise support_activity.unresolved_error(problems, report)
    if table.is_empty():  # no deliveries (yet)
        table = empty_landed(support_activity.SPEC, extra=("sender", "delivery_date"))
    table = table.with_columns(record_level=support_activity.RECORD_LEVEL)
    # The key is only needed (and only demanded) when there are rows to pseudonymise.
    key = support_activity.pseudonymisation_key(localed.source_mode()) if table.height else b""
    return support_activity.pseudonymise(table, key), lineage, problems


def _lineage(source: SourceFile, snapshot, rows: int, localed: LocalEDResource) -> dict:
    """What the run read: every file, including one whose rows were all set aside (it is still an input)."""
    return {"file": source.name, "academic_year": source.academic_year, "sha256": snapshot.sha256, "rows": rows,
            "snapshot": snapshot.path.relative_to(localed.paths().home).as_posix(), "new_snapshot": snapshot.created}


def empty_landed(spec: DatasetSpec, extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """No file for this dataset: an empty table with the landed schema."""
    return pl.DataFrame(schema={c.name: pl.String for c in spec.columns} | {c: pl.String for c in extra} | {
        "academic_year": pl.String, "_source_file": pl.String, "_source_row": pl.Int64,
        "_snapshot_sha256": pl.String, "record_level": pl.String})


def write_landed(build_db: str, name: str, table: pl.DataFrame, lineage: list[dict]) -> None:
    """raw.<dataset>, and the files it was read from in meta.raw_files (the run manifest's raw inputs)."""
    with duckdb.connect(build_db) as con:
        con.execute("create schema if not exists raw")
        con.register("landed", table.to_arrow())
        con.execute(f'create or replace table raw."{name}" as select * from landed')
        con.unregister("landed")
        con.execute("create schema if not exists meta")
        con.execute("create table if not exists meta.raw_files (dataset varchar, file varchar, academic_year varchar, "
                    "sha256 varchar, rows bigint, snapshot varchar)")
        con.execute("delete from meta.raw_files where dataset = ?", [name])
        if lineage:
            con.executemany("insert into meta.raw_files values (?, ?, ?, ?, ?, ?)",
                            [[name, f["file"], f["academic_year"], f["sha256"], f["rows"], f["snapshot"]]
                             for f in lineage])


def build_raw_asset(spec: DatasetSpec, record_level: pl.Expr) -> dg.AssetsDefinition:
    is_support = spec.name == "support_activity"

    @dg.asset(
        key=["raw", spec.name],
        group_name="raw",
        description=spec.description,
        kinds={"python", "duckdb"},
        # Support rows are checked against the school register landed in the same run.
        deps=[dg.AssetKey(["raw", "gias_establishments"])] if is_support else None,
        # No asset-level retries: a bad file fails the same way every time. Transient download
        # failures are retried inside the downloader, and the nightly job retries whole runs.
    )
    def raw_asset(context: dg.AssetExecutionContext, localed: LocalEDResource) -> dg.MaterializeResult:
        started = time.monotonic()
        files = fetch(localed, spec)
        build_db = localed.build_db(context.run_id)
        build_db.parent.mkdir(parents=True, exist_ok=True)
        extra = {}
        if is_support:
            # rows must name a school in the GIAS register landed earlier in this run
            known_urns = support_activity.known_school_urns(build_db)
            table, lineage, problems = land_support_activity(files, localed, known_urns)
            errors = [p for p in problems if p.severity == "error"]
            extra = {"rows_with_errors_resolved_by_later_delivery": len(errors),
                     "notes": sum(p.severity == "note" for p in problems)}
            if problems:  # unresolved errors stopped the run above, so every error here is resolved
                say(f"raw/{spec.name}", f"{len(errors)} bad row(s), all resolved by a later delivery; "
                                        f"{extra['notes']} note(s); see data/reports/support_activity_delivery_report.csv")
        else:
            table, lineage = land(spec, record_level, files, localed)
        write_landed(str(build_db), spec.name, table, lineage)
        schools = table.filter(pl.col("record_level") == "school").height
        say(f"raw/{spec.name}", f"{len(files)} file(s), {table.height:,} rows ({schools:,} school rows), "
                                f"{sum(f['new_snapshot'] for f in lineage)} new snapshot(s)")
        return dg.MaterializeResult(metadata={
            "rows": table.height,
            "school_rows": schools,
            "files": dg.MetadataValue.json(lineage),
            "duration_s": round(time.monotonic() - started, 2),
            **extra,
        })

    return raw_asset


raw_assets = [build_raw_asset(spec, rule) for spec, rule in DATASETS]
