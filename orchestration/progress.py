"""Progress lines a person watching `localed build` can follow: elapsed time, stage, what happened."""

from __future__ import annotations

import sys
import time

_START = time.monotonic()


def reset_clock() -> None:
    global _START
    _START = time.monotonic()


def say(stage: str, message: str) -> None:
    print(f"[{time.monotonic() - _START:6.1f}s] {stage:<26} {message}", file=sys.stderr, flush=True)
