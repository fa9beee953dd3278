"""Loaded by every Python process of a guarded build (PYTHONPATH points here), or started in the
test process itself (start/stop) for an in-process build.

Writes a `loaded` line for each process it guards (the positive control: a test can see the
guard was active in the build's own processes, dbt and the estimation included), and records
each attempt to reach a non-loopback address (connect or DNS lookup) in the file named by
LOCALED_NETLOG, so a test can prove the build talked to nothing outside this machine.
"""

import os
import sys

_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")
_log = None
_hooked = False


def _record(kind: str, target: object) -> None:
    if _log:
        with open(_log, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {kind} {target!r} {' '.join(sys.argv[:3])}\n")


def _hook(event: str, args: tuple) -> None:
    if _log is None:
        return
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not str(address[0]).startswith(_LOCAL):
            _record("connect", address)
    elif event == "socket.getaddrinfo":
        host = args[0]
        if host is not None and not str(host).startswith(_LOCAL):
            _record("getaddrinfo", host)


def start(log_path: str) -> None:
    """Record from now on (audit hooks cannot be removed, so stop() only silences it)."""
    global _log, _hooked
    _log = str(log_path)
    if not _hooked:
        sys.addaudithook(_hook)
        _hooked = True
    _record("loaded", "guard")


def stop() -> None:
    global _log
    _log = None


if os.environ.get("LOCALED_NETLOG"):
    start(os.environ["LOCALED_NETLOG"])
