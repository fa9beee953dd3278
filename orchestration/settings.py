"""Paths and run settings, resolved in one place.

Everything resolves from the repository root (the folder holding pyproject.toml) or from
LOCALED_HOME when set, so the same code works in a clone, in CI and in a test's temp dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
WAREHOUSE_NAME = "localed.duckdb"

# The demo key is public on purpose: demo data holds no real people. Real deliveries must set
# LOCALED_PSEUDONYM_KEY (never committed) or landing refuses to run.
DEMO_PSEUDONYM_KEY = "localed-demo-key-not-secret"

SOURCES = ("demo", "mirror", "dfe")


def localed_home() -> Path:
    """Where data/raw and data/marts live: LOCALED_HOME, else the repository root."""
    return Path(os.environ.get("LOCALED_HOME", REPO_ROOT)).resolve()


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def raw(self) -> Path:
        return self.home / "data" / "raw"

    @property
    def marts(self) -> Path:
        return self.home / "data" / "marts"

    @property
    def builds(self) -> Path:
        """One folder per run; the run's warehouse is built here, then published."""
        return self.home / "data" / "build"

    @property
    def reports(self) -> Path:
        """Reports for people who send us data (e.g. the support-activity delivery report)."""
        return self.home / "data" / "reports"

    @property
    def demo_source(self) -> Path:
        """Where the demo generator writes its DfE-format files before they are 'pulled'."""
        return self.home / "data" / "demo_source"

    @property
    def published_warehouse(self) -> Path:
        return self.marts / WAREHOUSE_NAME
