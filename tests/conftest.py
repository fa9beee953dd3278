"""Shared fixtures: where the real DfE files are, and how to run a build.

Three tiers (README "Tests"): unit tests call functions; the tests that read marts share one
small build per session (`small_demo`, `mirror_build`), and builds of their own, run through the
CLI's code in this process (`run_build`); a handful of tests start real `localed` processes for
what needs them: SIGKILL, concurrent readers, `reproduce`, the CLI entry point, the Dagster UI.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from filelock import FileLock

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
              extra_env: dict | None = None, fast: bool = True, in_process: bool = True
              ) -> subprocess.CompletedProcess | SimpleNamespace:
    """`localed build ARGS` with LOCALED_HOME=home: through the CLI's own code in this process (the
    default: definitions are imported once per session), or as a separate process (in_process=False)
    for what needs one. fast adds --fast (fewer bootstrap and placebo repetitions)."""
    args = (*args, "--fast") if fast else args
    if in_process:
        result = _cli_in_process(["build", *args], home, extra_env or {}, netlog)
    else:
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


def _cli_in_process(argv: list[str], home: Path, extra_env: dict, netlog: Path | None) -> SimpleNamespace:
    """Run orchestration.cli.main(argv) here, with the environment a fresh process would have."""
    from orchestration.cli import main

    wanted = {"LOCALED_HOME": str(home), **extra_env}
    saved = {k: v for k, v in os.environ.items() if k.startswith("LOCALED_") or k in wanted}
    for key in saved:
        os.environ.pop(key)
    os.environ.update(wanted)
    out, err = io.StringIO(), io.StringIO()
    guard = network_guarded(netlog) if netlog else contextlib.nullcontext()
    try:
        with guard, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse and friends
                code = stop.code if isinstance(stop.code, int) else 1
                if not isinstance(stop.code, int) and stop.code is not None:
                    print(stop.code, file=sys.stderr)
    finally:
        for key in wanted:
            os.environ.pop(key, None)
        os.environ.update(saved)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def _netguard():
    spec = importlib.util.spec_from_file_location("localed_netguard", NETGUARD / "sitecustomize.py")
    module = sys.modules.get("localed_netguard")
    if module is None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["localed_netguard"] = module
    return module


@contextlib.contextmanager
def network_guarded(netlog: Path):
    """Record non-loopback connection attempts of this process and of every process it starts."""
    netlog.parent.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "LOCALED_NETLOG")}
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), saved["PYTHONPATH"]]))
    os.environ["LOCALED_NETLOG"] = str(netlog)
    _netguard().start(str(netlog))
    try:
        yield
    finally:
        _netguard().stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def built_once(name: str, tmp_path_factory, worker_id: str, build) -> dict:
    """A build shared by every test of the session. Under pytest-xdist the workers share one: the
    first builds it (holding a lock) and records what it printed; the others wait and reuse it."""
    if worker_id == "master":
        home = tmp_path_factory.mktemp(name)
        return {"home": home, "result": build(home)}
    shared = tmp_path_factory.getbasetemp().parent  # this session's folder, common to its workers
    home, record = shared / name, shared / f"{name}.json"
    with FileLock(str(shared / f"{name}.lock")):
        if not record.exists():
            result = build(home)
            record.write_text(json.dumps({"returncode": result.returncode, "stdout": result.stdout,
                                          "stderr": result.stderr}))
    return {"home": home, "result": SimpleNamespace(**json.loads(record.read_text()))}


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory, worker_id) -> dict:
    """One small demo build (fast mode), shared by the tests that read marts; network attempts are recorded."""
    def build(home):
        return run_build(home, "--demo-las", *SMALL_DEMO_LAS, netlog=home / "network.log")

    shared = built_once("demo_home", tmp_path_factory, worker_id, build)
    return shared | {"netlog": shared["home"] / "network.log",
                     "warehouse": shared["home"] / "data" / "marts" / "localed.duckdb"}


@pytest.fixture(scope="session")
def mirror_build(shared_dfe, tmp_path_factory, worker_id) -> dict:
    """One build from the real DfE files in ../shared/data/dfe, shared by the real-data tests."""
    def build(home):
        return run_build(home, "--source", "mirror", "--mirror-dir", str(shared_dfe))

    shared = built_once("mirror_home", tmp_path_factory, worker_id, build)
    return shared | {"warehouse": shared["home"] / "data" / "marts" / "localed.duckdb"}


def published_marts(warehouse: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]


# Started first, so that the two workers share the long tests instead of one finishing them alone.
SLOWEST_FIRST = ("tests/e2e/test_sigkill.py", "tests/e2e/test_trust.py", "tests/e2e/test_ui.py", "tests/e2e/test_evaluation.py",
                 "tests/e2e/test_demo_build.py", "tests/e2e/test_support_activity.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)
    items.sort(key=rank)  # stable: order within a file is kept
