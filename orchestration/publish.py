"""Write-audit-publish: the run's warehouse replaces the published one only after every check passed.

The run built data/build/<run_id>/localed.duckdb. Publishing:
  1. hashes every mart and writes the run manifest into the build file (meta.run_manifest),
  2. exports each mart as Parquet and as CSV (formula-like text neutralised, orchestration/exports.py)
     beside it, and the support marts as one XLSX workbook,
  3. keeps the current published file as a version (hard link), then moves the build file into
     data/marts/localed.duckdb with one atomic rename: a reader sees the old file or the new one,
     never half of either,
  4. moves the exports and run_manifest.json into place the same way.
"""


import hashlib
import json
import os
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.exports import write_csv, write_xlsx
from orchestration.fingerprint import input_fingerprint, run_settings
from orchestration.progress import say
from orchestration.resources import LocalEDResource
from orchestration.settings import REPO_ROOT, Paths

MART_SCHEMA = "main"
# The support marts also go into one workbook, support_activity_marts.xlsx, for people who live in Excel.
SUPPORT_MARTS = ("fct_support_capacity", "fct_support_levels", "fct_support_reach", "fct_support_cost",
                 "fct_support_outcome_trajectory")
SUPPORT_WORKBOOK = "support_activity_marts.xlsx"


def mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name", [MART_SCHEMA]).fetchall()
    return [r[0] for r in rows]


def content_hash(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Order-independent hash of a table's contents (md5 of the sorted md5s of its rows)."""
    row = con.execute(
        f'select coalesce(md5(string_agg(row_md5, \'\' order by row_md5)), md5(\'\')) '
        f'from (select md5(cast(t as varchar)) as row_md5 from {MART_SCHEMA}."{table}" as t)').fetchone()
    return row[0]


def code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def lock_hash() -> str:
    lock = REPO_ROOT / "uv.lock"
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else "missing"


def raw_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every file the run read, with its snapshot (path relative to LOCALED_HOME) and rows read."""
    rows = con.execute("select dataset, file, academic_year, sha256, rows, snapshot from meta.raw_files "
                       "order by dataset, file").fetchall()
    return [dict(zip(("dataset", "file", "academic_year", "sha256", "rows", "snapshot"), row)) for row in rows]


def run_record(context: dg.AssetExecutionContext) -> dict:
    """What this run checked and how long each step took, from Dagster's own event log."""
    starts, timings, checks = {}, {}, []
    for entry in context.instance.all_logs(context.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS" and event.step_key in starts:
            timings[event.step_key] = round(entry.timestamp - starts[event.step_key], 2)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            checks.append({"check": evaluation.check_name, "asset": evaluation.asset_key.to_user_string(),
                           "passed": evaluation.passed, "severity": evaluation.severity.value})
    return {"timings_s": timings, "checks": sorted(checks, key=lambda c: (c["asset"], c["check"]))}


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.incoming")
    tmp.write_text(text)
    os.replace(tmp, path)


def publish(build_db: Path, paths: Paths, *, source_mode: str, run_id: str, keep_versions: int,
            run_details: dict | None = None) -> dict:
    started = time.monotonic()
    export_dir = build_db.parent / "exports"
    export_dir.mkdir(exist_ok=True)
    with duckdb.connect(str(build_db)) as con:
        marts = mart_names(con)
        manifest = {
            "run_id": run_id,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source_mode": source_mode,
            "synthetic": source_mode == "demo",
            "code_version": code_version(),
            "lock_sha256": lock_hash(),
            "raw_inputs": raw_inputs(con),
            "marts": {name: {"rows": con.execute(f'select count(*) from {MART_SCHEMA}."{name}"').fetchone()[0],
                             "content_hash": content_hash(con, name)} for name in marts},
            **(run_details or {}),
        }
        # What decides this build (files, code, settings): the next build compares it to skip a no-change run.
        manifest["input_fingerprint"] = input_fingerprint(manifest["raw_inputs"], manifest["settings"])
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.run_manifest as select ? as manifest_json", [json.dumps(manifest)])
        spreadsheet_sheets = {}
        for name in marts:
            con.execute(f'copy (select * from {MART_SCHEMA}."{name}" order by all) '
                        f"to '{export_dir / (name + '.parquet')}' (format parquet)")
            frame = con.sql(f'select * from {MART_SCHEMA}."{name}" order by all').pl()
            write_csv(frame, export_dir / f"{name}.csv")  # formula-like text neutralised
            if name in SUPPORT_MARTS:
                spreadsheet_sheets[name.removeprefix("fct_")] = frame
        if spreadsheet_sheets:
            write_xlsx(spreadsheet_sheets, export_dir / SUPPORT_WORKBOOK)
        con.execute("checkpoint")

    paths.marts.mkdir(parents=True, exist_ok=True)
    versions = paths.marts / "versions"
    versions.mkdir(exist_ok=True)
    published = paths.published_warehouse
    if published.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        os.link(published, versions / f"localed-{stamp}.duckdb")
    os.replace(build_db, published)  # the atomic publish
    for export in sorted(export_dir.iterdir()):
        os.replace(export, paths.marts / export.name)
    _atomic_write_text(paths.marts / "run_manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for old in sorted(versions.glob("localed-*.duckdb"))[:-keep_versions or None]:
        old.unlink()
    shutil.rmtree(build_db.parent, ignore_errors=True)
    say("publish", f"{len(marts)} marts published to {published} in {time.monotonic() - started:.1f}s")
    return manifest


@dg.asset(
    key=["published_warehouse"],
    group_name="publish",
    deps=[dg.AssetKey(name) for name in (
        "dim_school", "fct_school_year", "fct_arrangement_year", "fct_published_comparison", "evaluation_estimates",
        "fct_la_year", "la_evaluation_estimates",
        *SUPPORT_MARTS)],
    description="Moves the run's warehouse into data/marts/localed.duckdb (atomic rename) with Parquet exports "
                "and run_manifest.json. Runs only when every blocking check upstream passed.",
    kinds={"duckdb", "parquet", "csv"},
    # Stale data: the warehouse is refreshed every night; warn after 26 hours, fail after 50.
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=50), warn_window=timedelta(hours=26)),
)
def published_warehouse(context: dg.AssetExecutionContext, localed: LocalEDResource) -> dg.MaterializeResult:
    # The run's settings, recorded once: years, partial, fast (tests only), the demo's settings.
    details = run_record(context) | {"settings": run_settings(localed)}
    manifest = publish(localed.build_db(context.run_id), localed.paths(), source_mode=localed.source_mode(),
                       run_id=context.run_id, keep_versions=localed.keep_versions, run_details=details)
    return dg.MaterializeResult(metadata={
        "path": str(localed.paths().published_warehouse),
        "marts": dg.MetadataValue.json(manifest["marts"]),
        "source_mode": manifest["source_mode"],
    })


@dg.asset(
    key=["findings_report"],
    group_name="publish",
    deps=[dg.AssetKey("published_warehouse")],
    description="The findings report: one offline HTML page (data/marts/report/index.html) written from the "
                "warehouse just published, with charts, every estimate and its caveats, and provenance.",
    kinds={"html"},
)
def findings_report(context: dg.AssetExecutionContext, localed: LocalEDResource) -> dg.MaterializeResult:
    from orchestration.report import write_report

    started = time.monotonic()
    page = write_report(localed.paths().published_warehouse, localed.paths().marts / "report")
    say("report", f"{page.relative_to(localed.paths().home).as_posix()} written in {time.monotonic() - started:.1f}s")
    return dg.MaterializeResult(metadata={"path": str(page), "bytes": page.stat().st_size,
                                          "duration_s": round(time.monotonic() - started, 2)})
