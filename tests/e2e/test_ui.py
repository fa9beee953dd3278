"""`make serve` starts the Dagster UI on 127.0.0.1; a headless browser finds the assets and the schedule."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rendered(url: str, profile) -> str:
    """The page's DOM after its JavaScript ran, from headless Chromium (no network beyond loopback)."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         # a tall window: the asset catalog renders only the rows that fit on screen
         "--window-size=1280,5000", f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    return result.stdout


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    port = free_port()
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = os.environ | {"DAGSTER_HOME": str(home), "PORT": str(port)}
    server = subprocess.Popen(["make", "-s", "serve", f"PORT={port}"], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                pytest.fail("the Dagster UI did not come up within 180 s")
            time.sleep(2)
        yield base, tmp_path_factory.mktemp("chromium")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_the_ui_lists_the_assets(ui):
    base, profile = ui
    page = rendered(f"{base}/assets", profile)
    for name in ("fct_school_year", "fct_arrangement_year", "fct_support_reach", "published_warehouse",
                 "evaluation_estimates"):
        assert name in page, f"{name} not on the asset catalog page"


def test_the_ui_shows_the_nightly_schedule(ui):
    base, profile = ui
    page = rendered(f"{base}/automation", profile)
    assert "nightly_full_build" in page
