"""`make bench`: figures for the build, per stage, beside the targets. A benchmark, not a test.

Scenarios, each `localed build` run as a subprocess in its own fresh temporary LOCALED_HOME
(never the repository's data/):

    national   the national demo, from nothing (demo generation included)
    rebuild    `localed build` again in the same LOCALED_HOME, nothing changed
    x5, x10    the demo with --demo-scale 5 and 10 (N replicas of every LA's schools, see DemoConfig)

While a build runs, its stderr is read live (the progress lines `[  12.3s] raw/ks2 ...`) and the
whole process tree (localed, the dbt subprocess, the estimation subprocess) is sampled every
0.1 s with psutil for resident memory and CPU time. Samples are attributed to the stage running
at the time. Then the fct_arrangement_year transform is timed in DuckDB and in pandas
(bench/pandas_arrangement_year.py) on the national warehouse.

    .venv/bin/python bench/run.py                       # everything (what `make bench` runs)
    .venv/bin/python bench/run.py --demo-las 391 879 --scales 2   # a quick, small run

Results are printed and written to CSV files in the output folder (default bench/out/<UTC time>/),
with each build's stdout/stderr logs and its memory/CPU samples.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import pandas_arrangement_year  # noqa: E402  (bench/ is not a package)

LOCALED = Path(sys.executable).with_name("localed")
SAMPLE_EVERY_S = 0.1
GB = 1e9
PROGRESS = re.compile(r"^\[\s*(?P<t>[\d.]+)s\] (?P<stage>\S+)\s+(?P<message>.*)$")
ROWS = re.compile(r"([\d,]+) rows")
STEP_TIMING = re.compile(r"^\s+(?P<step>\S+)\s+(?P<s>[\d.]+)s$")
EVALUATION_MARTS = ("fct_did_estimates", "fct_event_study", "fct_la_estimates", "fct_la_event_study",
                    "fct_la_synthetic_paths")  # written by the estimates, not by dbt

TARGETS_TEXT = """national build <= 20 s wall and <= 1.2 GB peak; no-change rebuild <= 5 s;
x10 data in <= 8x the national time and <= 4 GB; transform >= 10x faster than the pandas script"""

DEFINITIONS = """\
How each figure is defined:
  stage      the interval between two progress lines on the build's stderr, stamped when the bench
             received each line: startup = process start to `definitions loaded` (imports, dbt
             manifest); demo generation = to the moment data/demo_source/<fingerprint>/ appeared
             (polled every 0.1 s; absent when the demo was already there); land + raw checks = to
             `dbt building` (pull, snapshot, land every dataset, Great Expectations on raw tables);
             dbt build = `dbt building` to `dbt build finished` (seeds, models, tests); mart checks
             + LA-level estimates = to the `la-evaluation` line (Great Expectations on marts, the
             LA-level DiD, synthetic control and event study); school-level estimates = to the
             `evaluation` line (difference in differences, event study); publish = to the `publish` line (hashes, manifest, Parquet/
             CSV/XLSX exports, atomic rename); end = to process exit (timings, Dagster teardown).
             A build that finds nothing changed prints no stage lines: one stage, the whole run.
             A progress line the bench does not know ends a stage named `until <its stage>`.
  wall       elapsed seconds of the stage (the build's total: process start to exit).
  CPU        user + system CPU seconds of the whole process tree during the stage (psutil samples
             of every live process, plus reaped children); the build's total is exact (wait4 rusage).
             CPU > wall means more than one core was busy.
  peak RSS   the highest sum of resident memory over all processes of the tree at any sample in the
             stage (pages shared between processes are counted in each, so this can overstate; a
             spike shorter than 0.1 s can be missed). `largest process` is the exact peak RSS of
             the biggest single process (wait4 ru_maxrss, what /usr/bin/time -v reports).
  rows/s     rows the stage processed / its wall time. demo generation: school and summary rows
             written (= the rows later landed); land + raw checks: rows landed (sum of the raw/*
             progress lines); dbt build: rows of the marts dbt built (run_manifest.json, all marts
             except the five the estimates write); mart checks + LA-level estimates: rows of
             fct_la_year; school-level estimates: rows of fct_school_year (the panels the estimates
             read); publish: rows of every mart (hashed and exported). Other stages: none.
  peak RSS target: compared with the tree peak (the memory the build needs at once)."""


# ---------------------------------------------------------------------------------------------
# One build, watched.

@dataclass
class Sample:
    t: float
    rss: int
    cpu: float
    processes: int


@dataclass
class BuildResult:
    scenario: str
    home: Path
    args: list[str]
    exit_code: int = -1
    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_rss_largest_process: int = 0
    samples: list[Sample] = field(default_factory=list)
    events: list[tuple[float, str, str]] = field(default_factory=list)  # (bench time, stage, message)
    demo_ready_t: float | None = None
    nothing_changed: bool = False  # the build's "Nothing changed since the published build" short-cut
    step_timings: list[tuple[str, float]] = field(default_factory=list)
    manifest: dict | None = None
    stages: list[dict] = field(default_factory=list)

    @property
    def peak_rss(self) -> int:
        return max((s.rss for s in self.samples), default=0)


def _tree_usage(root: psutil.Process) -> tuple[int, float, int]:
    """(RSS summed over the tree, CPU seconds of the tree incl. reaped children, process count)."""
    rss, cpu, count = 0, 0.0, 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            with proc.oneshot():
                mem = proc.memory_info().rss
                t = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
        rss += mem
        cpu += t.user + t.system + t.children_user + t.children_system
        count += 1
    return rss, cpu, count


def _demo_ready(home: Path) -> bool:
    folder = home / "data" / "demo_source"
    return folder.is_dir() and any((p / "demo_truth.json").exists() for p in folder.iterdir()
                                   if not p.name.startswith("."))


def run_build(scenario: str, home: Path, extra_args: list[str], out_dir: Path) -> BuildResult:
    result = BuildResult(scenario, home, ["build", "--source", "demo", *extra_args])
    env = os.environ | {"LOCALED_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
                        "GX_ANALYTICS_ENABLED": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    demo_cached = _demo_ready(home)
    stdout_log = open(out_dir / f"{scenario}.stdout.log", "wb")
    stderr_log = open(out_dir / f"{scenario}.stderr.log", "w", encoding="utf-8")
    print(f"\n== {scenario}: localed {' '.join(result.args)}  (LOCALED_HOME={home})", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen([str(LOCALED), *result.args], cwd=REPO, env=env, stdout=stdout_log,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", bufsize=1)
    root = psutil.Process(proc.pid)
    done = threading.Event()

    def read_stderr() -> None:
        in_timings = False
        for line in proc.stderr:
            t = time.monotonic() - t0
            stderr_log.write(line)
            line = line.rstrip("\n")
            if match := PROGRESS.match(line):
                result.events.append((t, match["stage"], match["message"]))
                print(f"  [{t:6.1f}s] {match['stage']:<24} {match['message'][:90]}", flush=True)
            elif line.startswith("Stage timings:"):
                in_timings = True
            elif in_timings and (match := STEP_TIMING.match(line)):
                result.step_timings.append((match["step"], float(match["s"])))
            elif in_timings:
                in_timings = False

    def sample() -> None:
        cpu_so_far = 0.0
        while not done.is_set():
            t = time.monotonic() - t0
            try:
                rss, cpu, count = _tree_usage(root)
            except psutil.NoSuchProcess:
                break
            cpu_so_far = max(cpu_so_far, cpu)  # a child between exit and reaping drops out for a moment
            if count:
                result.samples.append(Sample(t, rss, cpu_so_far, count))
            if not demo_cached and result.demo_ready_t is None and _demo_ready(home):
                result.demo_ready_t = t
            done.wait(SAMPLE_EVERY_S)

    reader = threading.Thread(target=read_stderr, daemon=True)
    sampler = threading.Thread(target=sample, daemon=True)
    reader.start()
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)  # rusage covers the build and every child it reaped
    result.wall_s = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    reader.join()
    stdout_log.close()
    stderr_log.close()
    result.exit_code = proc.returncode
    result.cpu_s = usage.ru_utime + usage.ru_stime
    result.max_rss_largest_process = usage.ru_maxrss * 1024  # Linux: kilobytes
    # The no-change short-cut says so on stdout.
    result.nothing_changed = any(line.startswith("Nothing changed") for line in
                                 (out_dir / f"{scenario}.stdout.log").read_text(errors="replace").splitlines())
    manifest_path = home / "data" / "marts" / "run_manifest.json"
    if result.exit_code == 0 and manifest_path.exists():
        result.manifest = json.loads(manifest_path.read_text())
    with open(out_dir / f"{scenario}.samples.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["t_s", "tree_rss_bytes", "tree_cpu_s", "processes"])
        writer.writerows([[f"{s.t:.2f}", s.rss, f"{s.cpu:.2f}", s.processes] for s in result.samples])
    result.stages = stages(result)
    print(f"  exit {result.exit_code}; wall {result.wall_s:.1f}s, CPU {result.cpu_s:.1f}s, "
          f"peak RSS {result.peak_rss / GB:.2f} GB (tree), {result.max_rss_largest_process / GB:.2f} GB "
          f"(largest process)", flush=True)
    return result


# ---------------------------------------------------------------------------------------------
# Stages and their figures.

KNOWN_ENDS = {  # progress line (stage, message prefix) -> the stage it ends
    ("definitions", ""): "startup",
    ("dbt", "building"): "land + raw checks",
    ("dbt", "build finished"): "dbt build",
    ("la-evaluation", ""): "mart checks + LA-level estimates",
    ("evaluation", ""): "school-level estimates",
    ("publish", ""): "publish",
}


def _ends(stage: str, message: str) -> str | None:
    if stage == "start" or stage.startswith("raw/"):
        return None
    for (name, prefix), label in KNOWN_ENDS.items():
        if stage == name and message.startswith(prefix):
            return label
    return f"until {stage}"


def _cpu_at(result: BuildResult, t: float) -> float:
    """Tree CPU seconds at time t: the last sample at or before t."""
    cpu = 0.0
    for s in result.samples:
        if s.t > t:
            break
        cpu = s.cpu
    return cpu


def stages(result: BuildResult) -> list[dict]:
    marks = [(t, label) for t, stage, message in result.events if (label := _ends(stage, message))]
    if result.demo_ready_t is not None:
        marks.append((result.demo_ready_t, "demo generation"))
    marks.sort()
    only_stage = not marks
    marks.append((result.wall_s, "end"))
    landed = sum(int(ROWS.search(m)[1].replace(",", "")) for _, s, m in result.events
                 if s.startswith("raw/") and ROWS.search(m))
    marts = {name: m["rows"] for name, m in (result.manifest or {}).get("marts", {}).items()}
    rows_by_stage = {
        "demo generation": landed,
        "land + raw checks": landed,
        "dbt build": sum(r for name, r in marts.items() if name not in EVALUATION_MARTS) if marts else None,
        "mart checks + LA-level estimates": marts.get("fct_la_year"),
        "school-level estimates": marts.get("fct_school_year"),
        "publish": sum(marts.values()) if marts else None,
    }
    out, start = [], 0.0
    for end, label in marks:
        in_stage = [s for s in result.samples if start <= s.t < end] or \
            [s for s in result.samples if s.t <= end][-1:]  # a stage shorter than a sample: nearest
        cpu_end = result.cpu_s if label == "end" else _cpu_at(result, end)
        wall = end - start
        rows = rows_by_stage.get(label)
        if label == "end" and only_stage:
            label = "whole run (nothing changed)" if result.nothing_changed else "whole run"
        out.append({"stage": label, "start_s": start, "wall_s": wall,
                    "cpu_s": max(0.0, cpu_end - _cpu_at(result, start)),
                    "peak_rss": max((s.rss for s in in_stage), default=0),
                    "rows": rows, "rows_per_s": rows / wall if rows and wall > 0 else None})
        start = end
    return out


# ---------------------------------------------------------------------------------------------
# The transform: fct_arrangement_year in DuckDB (the compiled dbt model) and in pandas.

def dbt_target_dir(run_id: str) -> Path | None:
    """dagster-dbt gives each run its own target folder: dbt_project/target/localed_dbt_models-<run id[:7]>-…"""
    found = sorted((REPO / "dbt_project" / "target").glob(f"localed_dbt_models-{run_id[:7]}-*"))
    return found[-1] if found else None


def duckdb_threads() -> int:
    """DuckDB's threads setting in the build's dbt profile (settings: threads)."""
    import yaml

    profile = yaml.safe_load((REPO / "dbt_project" / "profiles.yml").read_text())
    return int(profile["localed"]["outputs"]["build"].get("settings", {}).get("threads", 0)) or psutil.cpu_count()


def time_transform(result: BuildResult, out_dir: Path, repeat: int) -> dict:
    warehouse = result.home / "data" / "marts" / "localed.duckdb"
    report: dict = {"warehouse": str(warehouse), "repeat": repeat}
    target = dbt_target_dir(result.manifest["run_id"]) if result.manifest else None
    compiled = target / "compiled/localed/models/marts/evaluation/fct_arrangement_year.sql" if target else None
    if compiled and compiled.exists():
        sql = compiled.read_text().strip().rstrip(";")
        with tempfile.TemporaryDirectory(prefix="localed-bench-sql-") as tmp:
            copy = Path(tmp) / "localed.duckdb"  # the file name is the catalog the compiled SQL names
            shutil.copy(warehouse, copy)
            with duckdb.connect(str(copy)) as con:
                con.execute(f"set threads = {duckdb_threads()}")  # as the build runs it (profiles.yml)
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    con.execute(f"create or replace table main.bench_fct_arrangement_year as {sql}")
                    times.append(time.perf_counter() - started)
                same = con.execute("select count(*) from (select * from main.bench_fct_arrangement_year "
                                   "except select * from main.fct_arrangement_year)").fetchone()[0] == 0
        report |= {"duckdb_compiled_s": min(times), "duckdb_threads": duckdb_threads(), "duckdb_all_s": times, "duckdb_same_as_mart": same,
                   "compiled_sql": str(compiled.relative_to(REPO))}
        run_results = json.loads((target / "run_results.json").read_text())
        for r in run_results["results"]:
            if r["unique_id"] == "model.localed.fct_arrangement_year":
                report["dbt_run_results_s"] = r["execution_time"]
    started = time.perf_counter()
    schools, groups = pandas_arrangement_year.load(str(warehouse))
    report["pandas_load_s"] = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        frame = pandas_arrangement_year.arrangement_year(schools, groups)
        times.append(time.perf_counter() - started)
    report |= {"pandas_compute_s": min(times), "pandas_all_s": times,
               "fct_school_year_rows": len(schools), "cells": len(frame),
               "pandas_check": pandas_arrangement_year.compare(frame, str(warehouse))}
    return report


# ---------------------------------------------------------------------------------------------
# Report.

def _fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def print_build(result: BuildResult) -> None:
    print(f"\n{result.scenario}: localed {' '.join(result.args)}   exit {result.exit_code}")
    print(f"  total: wall {result.wall_s:.1f} s, CPU {result.cpu_s:.1f} s, peak RSS {result.peak_rss / GB:.2f} GB "
          f"(tree), largest process {result.max_rss_largest_process / GB:.2f} GB")
    print(f"  {'stage':<26}{'wall s':>8}{'CPU s':>8}{'peak RSS GB':>13}{'rows':>12}{'rows/s':>12}")
    for s in result.stages:
        print(f"  {s['stage']:<26}{s['wall_s']:8.1f}{s['cpu_s']:8.1f}{s['peak_rss'] / GB:13.2f}"
              f"{_fmt(s['rows'], ',d'):>12}{_fmt(s['rows_per_s'], ',.0f'):>12}")


def targets(results: dict[str, BuildResult], transform: dict | None) -> list[dict]:
    rows = []

    def add(name: str, measured, limit, unit: str, ok_if_le: bool = True) -> None:
        if measured is None:
            status = "NOT MEASURED"
        else:
            status = "MET" if (measured <= limit if ok_if_le else measured >= limit) else "NOT MET"
        rows.append({"target": name, "limit": f"{'<=' if ok_if_le else '>='} {limit:g} {unit}".strip(),
                     "measured": None if measured is None else round(measured, 2), "unit": unit, "status": status})

    def ok(name: str) -> BuildResult | None:
        r = results.get(name)
        return r if r is not None and r.exit_code == 0 else None

    national, rebuild, x10 = ok("national"), ok("rebuild"), ok("x10")
    add("national build: wall", national and national.wall_s, 20, "s")
    add("national build: peak RSS (tree)", national and national.peak_rss / GB, 1.2, "GB")
    add("no-change rebuild: wall", rebuild and rebuild.wall_s, 5, "s")
    add("x10 data: wall / national wall", x10 and national and x10.wall_s / national.wall_s, 8, "x")
    add("x10 data: peak RSS (tree)", x10 and x10.peak_rss / GB, 4, "GB")
    ratio = None
    if transform and transform.get("duckdb_compiled_s"):
        ratio = transform["pandas_compute_s"] / transform["duckdb_compiled_s"]
    add("transform: pandas time / DuckDB time", ratio, 10, "x", ok_if_le=False)
    return rows


def print_transform(t: dict) -> None:
    check = t["pandas_check"]
    print(f"\nTransform: fct_school_year -> fct_arrangement_year on the national warehouse "
          f"({t['fct_school_year_rows']:,} school-year rows, {t['cells']:,} cells); fastest of {t['repeat']}:")
    if "duckdb_compiled_s" in t:
        print(f"  DuckDB, the model's compiled SQL ({t['compiled_sql']}) as CREATE TABLE AS on a copy of the "
              f"warehouse, {t['duckdb_threads']} DuckDB thread(s) as in profiles.yml: {t['duckdb_compiled_s']:.3f} s (same rows as the mart: "
              f"{'yes' if t['duckdb_same_as_mart'] else 'NO'})")
    else:
        print("  DuckDB: the compiled SQL of this run was not found under dbt_project/target/")
    if "dbt_run_results_s" in t:
        print(f"  dbt's own timing of the model (run_results.json execution_time, incl. contract, insert, "
              f"rename, docs): {t['dbt_run_results_s']:.3f} s")
    print(f"  pandas (bench/pandas_arrangement_year.py): compute {t['pandas_compute_s']:.3f} s, plus "
          f"{t['pandas_load_s']:.3f} s loading fct_school_year and the groups from DuckDB")
    print(f"  pandas result matched the mart: {'yes' if check['matched'] else 'NO'} ({check['cells_in_both']:,} "
          f"of {check['mart_cells']:,} cells; counts differ {check['counts_differ']}, status differs "
          f"{check['status_differs']}; largest difference on {check['reported_cells']:,} reported cells "
          f"{check['max_abs_difference']:.2g})")
    if "duckdb_compiled_s" in t:
        d = t["duckdb_compiled_s"]
        line = (f"  ratio pandas / DuckDB: {t['pandas_compute_s'] / d:.1f}x (compute only); "
                f"{(t['pandas_compute_s'] + t['pandas_load_s']) / d:.1f}x with pandas' loading")
        if "dbt_run_results_s" in t:
            line += f"; {t['pandas_compute_s'] / t['dbt_run_results_s']:.1f}x against dbt's own timing"
        print(line)


def write_csvs(out_dir: Path, results: dict[str, BuildResult], transform: dict | None, target_rows: list[dict]) -> None:
    with open(out_dir / "stages.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["scenario", "kind", "stage", "start_s", "wall_s", "cpu_s", "peak_rss_mb", "rows",
                         "rows_per_s"])
        for r in results.values():
            writer.writerow([r.scenario, "total", "build", 0, f"{r.wall_s:.2f}", f"{r.cpu_s:.2f}",
                             f"{r.peak_rss / 1e6:.0f}", "", ""])
            writer.writerow([r.scenario, "total", "largest process (wait4 ru_maxrss)", "", "", "",
                             f"{r.max_rss_largest_process / 1e6:.0f}", "", ""])
            for s in r.stages:
                writer.writerow([r.scenario, "stage", s["stage"], f"{s['start_s']:.2f}", f"{s['wall_s']:.2f}",
                                 f"{s['cpu_s']:.2f}", f"{s['peak_rss'] / 1e6:.0f}", _fmt(s["rows"], "d", ""),
                                 _fmt(s["rows_per_s"], ".0f", "")])
            for step, seconds in r.step_timings:  # Dagster's own "Stage timings:" block (wall only)
                writer.writerow([r.scenario, "dagster step", step, "", f"{seconds:.2f}", "", "", "", ""])
    with open(out_dir / "targets.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["target", "limit", "measured", "unit", "status"])
        writer.writeheader()
        writer.writerows(target_rows)
    if transform:
        flat = {k: v for k, v in transform.items() if not isinstance(v, (dict, list))}
        flat |= {f"pandas_check_{k}": v for k, v in transform["pandas_check"].items()}
        with open(out_dir / "transform.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["item", "value"])
            writer.writerows(sorted(flat.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="LocalED build benchmark (prints figures; not a test)")
    parser.add_argument("--scales", nargs="*", type=int, default=[5, 10], help="demo scales to build (default 5 10)")
    parser.add_argument("--demo-las", nargs="+", type=int, help="a small demo (development of the bench only)")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the transform (fastest reported)")
    parser.add_argument("--out", type=Path, help="output folder (default bench/out/<UTC time>)")
    parser.add_argument("--keep-homes", action="store_true", help="keep the temporary LOCALED_HOMEs")
    args = parser.parse_args(argv)

    out_dir = args.out or REPO / "bench" / "out" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir.mkdir(parents=True, exist_ok=True)
    common = ["--demo-las", *map(str, args.demo_las)] if args.demo_las else []
    print(f"LocalED benchmark; output in {out_dir}")
    print(f"Machine: {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / GB:.1f} GB RAM, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    if args.demo_las:
        print(f"SMALL DEMO (--demo-las {' '.join(map(str, args.demo_las))}): figures are not the national ones")

    results: dict[str, BuildResult] = {}
    homes: list[Path] = []
    transform = None
    try:
        home = Path(tempfile.mkdtemp(prefix="localed-bench-national-"))
        homes.append(home)
        results["national"] = run_build("national", home, common, out_dir)
        if results["national"].exit_code == 0:
            results["rebuild"] = run_build("rebuild", home, common, out_dir)
        for scale in args.scales:
            home = Path(tempfile.mkdtemp(prefix=f"localed-bench-x{scale}-"))
            homes.append(home)
            results[f"x{scale}"] = run_build(f"x{scale}", home, [*common, "--demo-scale", str(scale)], out_dir)
            if not args.keep_homes:
                shutil.rmtree(home, ignore_errors=True)
        # Last: a build started after this would inherit the bench's memory in its ru_maxrss (Linux
        # keeps the pre-exec high-water mark), so the bench stays small while builds run.
        if results["national"].exit_code == 0:
            transform = time_transform(results["national"], out_dir, args.repeat)
    finally:
        if not args.keep_homes:
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)

    print("\n" + "=" * 100)
    print(f"RESULTS (load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for result in results.values():
        print_build(result)
    if transform:
        print_transform(transform)
    target_rows = targets(results, transform)
    print("\nTargets:")
    for row in target_rows:
        measured = "-" if row["measured"] is None else f"{row['measured']:g} {row['unit']}"
        print(f"  {row['target']:<40}{row['limit']:>12}{measured:>14}   {row['status']}")
    print("\n" + DEFINITIONS)
    write_csvs(out_dir, results, transform, target_rows)
    print(f"\nCSV: {out_dir / 'stages.csv'}, {out_dir / 'targets.csv'}, {out_dir / 'transform.csv'}; "
          f"logs and samples beside them.")
    return 0 if all(r.exit_code == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
