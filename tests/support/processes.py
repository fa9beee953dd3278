"""Helpers for the tests that start real `localed` processes."""

import hashlib
import json
import os

import duckdb


def localed_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALED_")}
    return env | {"LOCALED_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "false"}


def mart_digest(warehouse) -> tuple[str, str]:
    """(run_id of the published file, a digest of its marts), read the way an analyst would."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        run_id = json.loads(con.execute("select manifest_json from meta.run_manifest").fetchone()[0])["run_id"]
        rows = con.execute("select * from fct_arrangement_year order by all").fetchall()
    return run_id, hashlib.md5(repr(rows).encode()).hexdigest()
