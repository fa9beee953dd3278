"""`localed` command line: build the warehouse (and more verbs as they arrive)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from orchestration.settings import SOURCES, Paths, localed_home


def _academic_year(text: str) -> str:
    """Accept 2018/19 or 2018-2019."""
    text = text.strip()
    if len(text) == 9 and text[4] == "-":
        return f"{text[:4]}/{text[7:]}"
    if len(text) == 7 and text[4] == "/":
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not an academic year like 2018/19")


def _planted_effect(text: str) -> tuple[str, float]:
    """NAME=VALUE, e.g. ks2_rwm_expected_pct=0."""
    name, sep, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=NUMBER") from None


def build(args: argparse.Namespace) -> int:
    from orchestration import progress
    from orchestration.resources import LocalEDResource

    progress.reset_clock()
    progress.say("start", f"source={args.source}" + (f" mirror={args.mirror_dir}" if args.mirror_dir else ""))
    localed = LocalEDResource(
        source=args.source,
        mirror_dir=str(Path(args.mirror_dir).resolve()) if args.mirror_dir else "",
        years=list(args.years or []),
        home=os.environ.get("LOCALED_HOME", ""),
        demo_la_codes=list(args.demo_las or []),
        demo_planted_effects=_demo_effects(args.demo_effect),
        partial=args.partial,
        demo_scale=args.demo_scale,
        demo_seed=args.demo_seed,
        fast=args.fast,
    )
    started = time.monotonic()
    if not args.force:
        from orchestration.fingerprint import unchanged_since_published

        unchanged = unchanged_since_published(localed)
        if unchanged:
            print(f"{unchanged}\nThe published warehouse {localed.paths().published_warehouse} stays as it is "
                  f"({time.monotonic() - started:.1f}s). Use --force to rebuild anyway.")
            return 0
    published, problems = execute(localed)
    if published:
        _print_headline(localed.paths().published_warehouse)
        print(f"\nPublished {localed.paths().published_warehouse} in {time.monotonic() - started:.1f}s "
              f"({'SYNTHETIC demo data' if localed.source_mode() == 'demo' else localed.source_mode() + ' data'}).\n"
              f"Findings report: {localed.paths().marts / 'report' / 'index.html'} (open it in a browser).")
        return 0
    print("\nBUILD FAILED: nothing was published; the last good warehouse is unchanged.", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _print_headline(warehouse: Path) -> None:
    """The LA-level headline estimates, in plain text, read back from what was published."""
    import duckdb

    from orchestration.la_evaluation import headline_table

    with duckdb.connect(str(warehouse), read_only=True) as con:
        table = headline_table(con)
    if table:
        print("\n" + table)


def execute(localed) -> tuple[bool, list[str]]:
    """Run every asset and check in this process; return (published?, problems)."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    import dagster as dg

    from orchestration import progress
    from orchestration.dbt_assets import dbt_resource
    from orchestration.definitions import ALL_ASSETS, ALL_CHECKS

    progress.say("definitions", "loaded")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        instance=instance,
        resources={"localed": localed, "dbt": dbt_resource()},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        raise_on_error=False,
    )
    _print_timings(instance, result.run_id)
    published = _published(result)
    if published and not result.success:  # after publishing only the report can fail: say so, keep the warehouse
        for problem in _problems(result):
            print(f"WARNING (the warehouse was published): {problem}", file=sys.stderr)
    return published, ([] if published else _problems(result))


def reproduce(args: argparse.Namespace) -> int:
    """Rebuild from the raw snapshots a manifest records, into a scratch folder, and compare marts."""
    from orchestration.reproduce import reproduce_manifest

    return reproduce_manifest(Path(args.manifest), home=Path(args.home) if args.home else None,
                              workdir=Path(args.workdir) if args.workdir else None)


def report(args: argparse.Namespace) -> int:
    from orchestration.report import write_report

    warehouse = Path(args.warehouse) if args.warehouse else Paths(localed_home()).published_warehouse
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: build one first (make run)", file=sys.stderr)
        return 1
    print(write_report(warehouse, Path(args.out) if args.out else warehouse.parent / "report"))
    return 0


def _demo_effects(overrides: list[tuple[str, float]] | None) -> dict[str, float]:
    if not overrides:
        return {}
    from orchestration.demo.generator import DemoConfig

    effects = dict(DemoConfig().planted_effects)
    unknown = [name for name, _ in overrides if name not in effects]
    if unknown:
        raise SystemExit(f"unknown planted effect {', '.join(unknown)}: choose from {', '.join(effects)}")
    return effects | dict(overrides)


def _published(result) -> bool:
    return any(e.asset_key.path == ["published_warehouse"] for e in result.get_asset_materialization_events()
               for e in [e.event_specific_data.materialization])


def _problems(result) -> list[str]:
    problems = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            problems.append(f"{event.step_key}: {_explaining_error(event.step_failure_data.error).message.strip()}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            problems.append(f"check {evaluation.check_name} failed: {evaluation.description}")
    return problems or ["the run did not reach the publish step (see the messages above)"]


# Our own errors name the file, row and column: show them rather than what they wrap.
OWN_ERRORS = ("LandingError", "DownloadError")


def _explaining_error(error):
    """The error that says what went wrong: ours if there is one, else the innermost cause."""
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    return next((e for e in chain if e.cls_name in OWN_ERRORS), chain[-1])


def _print_timings(instance, run_id: str) -> None:
    starts, durations = {}, defaultdict(float)
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            durations[event.step_key] += entry.timestamp - starts.pop(event.step_key)
    if not durations:
        return
    print("\nStage timings:", file=sys.stderr)
    for step, seconds in durations.items():
        print(f"  {step:<40} {seconds:7.1f}s", file=sys.stderr)


def check_delivery(args) -> int:
    from orchestration.sources.support_activity import check_delivery_files

    warehouse = Path(args.warehouse) if args.warehouse else Paths(localed_home()).published_warehouse
    return check_delivery_files([Path(f) for f in args.files], warehouse)


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localed", description="LocalED Warehouse")
    verbs = parser.add_subparsers(dest="verb", required=True)
    b = verbs.add_parser("build", help="pull, land, check, build and publish the warehouse")
    b.add_argument("--source", choices=SOURCES, default="demo",
                   help="demo (built-in synthetic data, default), mirror (a local DfE-layout folder) or dfe")
    b.add_argument("--mirror-dir", help="folder laid out like the DfE downloads (for --source mirror)")
    b.add_argument("--years", nargs="+", type=_academic_year, help="only these academic years, e.g. 2018/19 2022/23")
    b.add_argument("--demo-las", nargs="+", type=int, help="demo only: restrict the demo to these LA codes")
    b.add_argument("--demo-effect", nargs="+", type=_planted_effect, metavar="NAME=VALUE",
                   help="demo only: planted effects, e.g. ks2_rwm_expected_pct=0 (defaults: +2.0, +1.0, -0.5)")
    b.add_argument("--demo-scale", type=int, default=1, metavar="N",
                   help="demo only, for benchmarks: N times the demo's data")
    b.add_argument("--demo-seed", type=int, default=0, metavar="N",
                   help="demo only: another synthetic population and outcomes (recorded in the manifest; "
                        "the default is the documented demo's seed)")
    b.add_argument("--fast", action="store_true",
                   help="for tests: fewer bootstrap and placebo repetitions (recorded in the manifest; "
                        "never for published figures)")
    b.add_argument("--force", action="store_true",
                   help="rebuild even when no source file, code, seed, model or setting changed")
    b.add_argument("--partial", action="store_true",
                   help="the source holds only part of England: skip the national row-count expectations")
    b.set_defaults(run=build)
    r = verbs.add_parser("reproduce", help="rebuild from a run manifest's raw snapshots and compare every mart")
    r.add_argument("manifest", help="a run_manifest.json (e.g. data/marts/run_manifest.json)")
    r.add_argument("--home", help="LOCALED_HOME the manifest was built in (default: three folders above it)")
    r.add_argument("--workdir", help="scratch folder for the rebuild (default: a temporary folder, removed after)")
    r.set_defaults(run=reproduce)
    w = verbs.add_parser("report", help="write the findings report (an offline HTML page) from a published warehouse")
    w.add_argument("--warehouse", help="the warehouse to report on (default: the published one under LOCALED_HOME)")
    w.add_argument("--out", help="folder for index.html (default: data/marts/report beside the warehouse)")
    w.set_defaults(run=report)
    c = verbs.add_parser("check-delivery", help="check support-activity files against the data contract "
                                                "before sending them (nothing is built)")
    c.add_argument("files", nargs="+", help="support_activity_<sender>_<YYYY-MM-DD>.csv or .xlsx files")
    c.add_argument("--warehouse", help="a warehouse whose GIAS register URNs are checked against "
                                       "(default: the published one)")
    c.set_defaults(run=check_delivery)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = command_line()
    args = parser.parse_args(argv)
    if args.verb == "build" and args.source == "mirror" and not args.mirror_dir:
        parser.error("--source mirror needs --mirror-dir")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
