"""Shared fixtures: where the real DfE files are, and how to run a build as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DFE = REPO_ROOT.parent / "shared" / "data" / "dfe"
NETGUARD = Path(__file__).resolve().parent / "support" / "netguard"
LOCALED = Path(sys.executable).with_name("localed")

# A small demo: the three North of Tyne LAs and two named single-LA comparators.
SMALL_DEMO_LAS = ["391", "392", "929", "879", "359", "816"]


@pytest.fixture(scope="session")
def shared_dfe() -> Path:
    if not (SHARED_DFE / "MANIFEST.csv").exists():
        pytest.skip(f"the real DfE files are not present at {SHARED_DFE} (../shared is absent)")
    return SHARED_DFE


def run_build(home: Path, *args: str, netlog: Path | None = None, check: bool = True,
              extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `localed build` in a separate process with LOCALED_HOME=home, as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALED_")}
    env.update({"LOCALED_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "false"})
    if netlog is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")]))
        env["LOCALED_NETLOG"] = str(netlog)
    env.update(extra_env or {})
    result = subprocess.run([str(LOCALED), "build", *args], env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"build failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> dict:
    """One small demo build, shared by the end-to-end tests; network attempts are recorded."""
    home = tmp_path_factory.mktemp("demo_home")
    netlog = home / "network.log"
    result = run_build(home, "--demo-las", *SMALL_DEMO_LAS, netlog=netlog)
    return {"home": home, "result": result, "netlog": netlog,
            "warehouse": home / "data" / "marts" / "localed.duckdb"}


@pytest.fixture(scope="session")
def mirror_build(shared_dfe, tmp_path_factory) -> dict:
    """One build from the real DfE files in ../shared/data/dfe, shared by the real-data tests."""
    home = tmp_path_factory.mktemp("mirror_home")
    result = run_build(home, "--source", "mirror", "--mirror-dir", str(shared_dfe))
    return {"home": home, "result": result, "warehouse": home / "data" / "marts" / "localed.duckdb"}


def published_marts(warehouse: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
