"""The run's settings as a Dagster resource: where data comes from and where it goes."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.demo.generator import DemoConfig
from orchestration.settings import SOURCES, Paths, localed_home


class LocalEDResource(dg.ConfigurableResource):
    """Source mode and locations. Empty fields fall back to the environment at run time
    (LOCALED_SOURCE, LOCALED_MIRROR_DIR, LOCALED_HOME), so the nightly schedule needs no code."""

    source: str = ""
    mirror_dir: str = ""
    years: list[str] = []
    home: str = ""
    demo_la_codes: list[int] = []  # empty = the national demo
    demo_planted_effects: dict[str, float] = {}  # empty = the documented defaults
    demo_scale: int = 1  # benchmarks: the demo's data multiplied (DemoConfig.scale)
    demo_seed: int = 0  # 0 = the documented demo's seed (DemoConfig.seed); any other: another synthetic population
    # Tests only: fewer bootstrap and placebo repetitions. Recorded in the manifest; never published as findings.
    fast: bool = False
    keep_versions: int = 3
    # The source holds only part of England (e.g. a few LAs): skip the national row-count expectations.
    partial: bool = False
    # `localed reproduce`: read every dataset from this folder of recorded raw snapshots (laid out
    # like a mirror), while labelling and configuring the run as the recorded source mode.
    snapshot_dir: str = ""

    def source_mode(self) -> str:
        mode = self.source or os.environ.get("LOCALED_SOURCE", "demo")
        if mode not in SOURCES:
            raise ValueError(f"unknown source {mode!r}: use one of {', '.join(SOURCES)}")
        return mode

    def expects_national_files(self) -> bool:
        # A few-LA demo is smaller than England and a scaled demo (benchmarks) larger: neither
        # matches the national row counts.
        demo_not_national = self.source_mode() == "demo" and (self.demo_la_codes or self.demo_scale != 1)
        return not (self.partial or demo_not_national)

    def paths(self) -> Paths:
        return Paths(Path(self.home).resolve() if self.home else localed_home())

    def mirror_root(self) -> Path:
        folder = self.mirror_dir or os.environ.get("LOCALED_MIRROR_DIR", "")
        if not folder:
            raise ValueError("--source mirror needs --mirror-dir (or LOCALED_MIRROR_DIR)")
        return Path(folder).resolve()

    def demo_config(self) -> DemoConfig:
        kwargs: dict = {}
        if self.demo_la_codes:
            kwargs["la_codes"] = tuple(sorted(self.demo_la_codes))
        if self.demo_planted_effects:
            kwargs["planted_effects"] = dict(self.demo_planted_effects)
        if self.demo_scale != 1:
            kwargs["scale"] = self.demo_scale
        if self.demo_seed:
            kwargs["seed"] = self.demo_seed
        return DemoConfig(**kwargs)

    def build_dir(self, run_id: str) -> Path:
        return self.paths().builds / run_id

    def build_db(self, run_id: str) -> Path:
        return self.build_dir(run_id) / "localed.duckdb"
