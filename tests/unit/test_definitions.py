"""The Dagster code location loads, with every asset, blocking check, job and the nightly schedule."""

import dagster as dg

from orchestration.definitions import defs
from orchestration.raw_assets import DATASETS


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)


def test_nightly_schedule_runs_the_full_build_at_two_uk_time():
    schedule = next(s for s in defs.schedules if s.name == "nightly_full_build")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
    assert schedule.job_name == "full_build"


def test_every_raw_dataset_has_an_asset_and_a_blocking_check():
    graph = defs.resolve_asset_graph()
    check_keys = graph.asset_check_keys
    for spec, _ in DATASETS:
        key = dg.AssetKey(["raw", spec.name])
        assert key in graph.get_all_asset_keys()
        checks = [c for c in check_keys if c.asset_key == key]
        assert checks, spec.name
        assert all(graph.get_check_spec(c).blocking for c in checks)


def test_dbt_models_depend_on_the_raw_assets_and_publish_comes_last():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey(["raw", "ks2"]) in graph.get(dg.AssetKey(["staging", "stg_dfe__ks2_results"])).parent_keys
    publish_parents = graph.get(dg.AssetKey("published_warehouse")).parent_keys
    assert {dg.AssetKey("fct_school_year"), dg.AssetKey("fct_arrangement_year"), dg.AssetKey("dim_school")} <= publish_parents


def test_each_raw_suite_checks_exactly_the_datasets_measure_columns():
    """The suites are JSON kept by hand: this catches a suite drifting from the column catalogue."""
    from orchestration.checks.suites import load_suite

    for spec, _ in DATASETS:
        suite = load_suite(f"raw_{spec.name}")
        landed = {c.name for c in spec.columns} | {"academic_year", "record_level", "_source_file", "_source_row"}
        if spec.name == "support_activity":
            landed = (landed - {"adviser_name", "notes"}) | {"adviser_pseudonym", "sender", "delivery_date"}
        for expectation in suite["expectations"]:
            kwargs = expectation["kwargs"]
            for column in [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"),
                           *kwargs.get("column_list", [])]:
                assert column is None or column in landed, f"{spec.name}: suite names unknown column {column}"
        checked = {e["kwargs"].get("column") for e in suite["expectations"] if e["kwargs"].get("regex")}
        assert set(spec.measure_columns) <= checked, f"{spec.name}: measures without a format check"


def test_the_published_warehouse_has_a_freshness_policy():
    spec = defs.resolve_asset_graph().get(dg.AssetKey("published_warehouse"))
    policy = spec.freshness_policy
    assert policy is not None
    assert (policy.warn_window.days, policy.warn_window.seconds) == (1, 2 * 3600)  # 26 hours
