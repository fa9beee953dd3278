"""Loaded by every Python process of a guarded build (PYTHONPATH points here).

Records each attempt to reach a non-loopback address (connect or DNS lookup) in the file named
by LOCALED_NETLOG, so a test can prove the build talked to nothing outside this machine.
"""

import os
import sys

_LOG = os.environ.get("LOCALED_NETLOG")
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")


def _record(kind: str, target: object) -> None:
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {kind} {target!r} {' '.join(sys.argv[:2])}\n")


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not str(address[0]).startswith(_LOCAL):
            _record("connect", address)
    elif event == "socket.getaddrinfo":
        host = args[0]
        if host is not None and not str(host).startswith(_LOCAL):
            _record("getaddrinfo", host)


if _LOG:
    sys.addaudithook(_hook)
