"""The network guard the build tests rely on: it must record what it claims to (a positive control),
so that an empty record from a build means no attempt, not a guard that never loaded."""

import os
import subprocess
import sys

from tests.conftest import NETGUARD

PROBE = (
    "import sys\n"
    "sys.audit('socket.connect', None, ('192.0.2.1', 443))\n"  # raised as a real connect() would; nothing is sent
    "sys.audit('socket.getaddrinfo', 'example.org', 443, 0, 0, 0)\n"
    "sys.audit('socket.connect', None, ('127.0.0.1', 8080))\n"  # loopback: allowed, not recorded
)


def test_the_guard_loads_in_a_guarded_process_and_records_non_loopback_attempts(tmp_path):
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PYTHONPATH": str(NETGUARD), "LOCALED_NETLOG": str(log)}
    subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, timeout=60)
    kinds = [line.split()[1] for line in log.read_text().splitlines()]
    assert kinds == ["loaded", "connect", "getaddrinfo"]
    assert "192.0.2.1" in log.read_text() and "example.org" in log.read_text()


def test_without_the_guard_nothing_is_recorded(tmp_path):
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOCALED_NETLOG")}
    subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, timeout=60)
    assert not log.exists()
