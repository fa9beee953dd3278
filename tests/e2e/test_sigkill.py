"""Trust: SIGKILL at many points of a real `localed build` never breaks the published warehouse."""

import json
import os
import shutil
import signal
import subprocess

import duckdb
import pytest

from tests.conftest import LOCALED, SMALL_DEMO_LAS, run_build
from tests.support.processes import localed_env, mart_digest

pytestmark = pytest.mark.slow

TINY = ["--demo-las", "391", "879"]


KILL_AFTER = [  # progress lines to wait for before SIGKILL (each a different point of the run)
    "start", "definitions", "raw/absence", "raw/gias_establishments", "raw/ks2", "raw/ks4",
    "raw/support_activity", "building seeds", "build finished", "evaluation", "publish",
]


def kill_at_each_point_then_build(small_demo, home, kill_after: list[str]) -> None:
    """Start from a copy of the shared demo's published home; for each marker, start a real
    `localed build`, SIGKILL its whole process group once it prints the marker, and check that the
    published warehouse opens and is a complete good version. Then a full build succeeds and
    publishes the same content as the start."""
    shutil.copytree(small_demo["home"] / "data", home / "data")
    warehouse = home / "data" / "marts" / "localed.duckdb"
    first = mart_digest(warehouse)
    good = {first}
    killed_at = []
    # Each run plants an effect other than the default 2.0, so none is skipped as "nothing changed".
    for number, marker in enumerate(kill_after):
        process = subprocess.Popen([str(LOCALED), "build", *TINY, "--fast", "--demo-effect", f"ks2_rwm_expected_pct={10 + number}"],
                                   env=localed_env(home), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   text=True, start_new_session=True)
        reached = any(marker in line for line in process.stderr)  # stops reading at the marker
        assert reached, f"the build ended before reaching {marker!r}"
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: dbt and the estimation too
        process.wait(timeout=60)
        killed_at.append(marker)
        # The published warehouse opens and is a complete good version: the one before, or this
        # run's if the kill came after its atomic rename.
        current = mart_digest(warehouse)
        assert current in good or marker == "publish", f"after a kill at {marker!r} the warehouse changed"
        good.add(current)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            embedded = json.loads(con.execute("select manifest_json from meta.run_manifest").fetchone()[0])
            for mart, recorded in embedded["marts"].items():
                digest = con.execute(
                    f"select coalesce(md5(string_agg(h, '' order by h)), md5('')) from "
                    f"(select md5(cast(t as varchar)) as h from main.\"{mart}\" as t)").fetchone()[0]
                assert digest == recorded["content_hash"], f"{mart} does not match its manifest after a kill at {marker}"
    assert killed_at == kill_after
    # The next full run succeeds, publishing the same content as the start (the shared demo's settings).
    run_build(home, "--demo-las", *SMALL_DEMO_LAS, "--force")
    assert mart_digest(warehouse)[1] == first[1]


def test_sigkill_at_many_points_never_breaks_the_published_warehouse(small_demo, tmp_path):
    kill_at_each_point_then_build(small_demo, tmp_path / "home", KILL_AFTER)
