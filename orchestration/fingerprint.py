"""Has anything changed since the published build?

A build is decided by three things: the raw files it reads (their sha256), the code and rules
that turn them into marts (Python, dbt models, macros, seeds, expectations, the lock file), and
the run's settings (source mode, years, demo settings, fast mode, the pseudonymisation key).
The published run manifest records one fingerprint of all three (`input_fingerprint`). Before
building, `localed build` fetches and hashes every source file again and compares: when nothing
changed it says so and stops in seconds, so a night with no new data costs nothing and still
proves the sources were checked. `--force` rebuilds anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from orchestration.settings import REPO_ROOT

# Everything under these paths can change what a build publishes.
CODE_PATHS = ("orchestration", "dbt_project/models", "dbt_project/macros", "dbt_project/seeds", "dbt_project/tests",
              "dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "expectations", "uv.lock", "pyproject.toml")
IGNORED_PARTS = ("__pycache__",)


def code_fingerprint(root: Path = REPO_ROOT) -> str:
    """sha256 over every code and rule file (path and content), in a fixed order."""
    digest = hashlib.sha256()
    for entry in CODE_PATHS:
        path = root / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if any(part in IGNORED_PARTS for part in file.parts) or file.suffix == ".pyc":
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def run_settings(localed) -> dict:
    """The settings that change what a build publishes (recorded in the manifest as they are)."""
    mode = localed.source_mode()
    key = os.environ.get("LOCALED_PSEUDONYM_KEY", "")
    return {
        "source_mode": mode,
        "years": sorted(localed.years),
        "partial": localed.partial,
        "fast": localed.fast,
        "demo_config": localed.demo_config().as_record() if mode == "demo" else None,
        # A different key gives different pseudonyms; only a one-way digest of it is kept.
        "pseudonym_key_digest": hashlib.sha256(b"localed-pseudonym-key:" + key.encode()).hexdigest()[:16]
        if key else None,
    }


def input_fingerprint(raw_inputs: list[dict], settings: dict) -> str:
    """One sha256 of the raw files read (dataset, name, content hash), the code, and the settings."""
    files = sorted((i["dataset"], i["file"], i["sha256"]) for i in raw_inputs)
    record = {"inputs": files, "code": code_fingerprint(), "settings": settings}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def unchanged_since_published(localed) -> str | None:
    """When the sources, code and settings are those of the published build, say so; else None.

    Fetches and hashes every source file as the build would (downloads included, for `dfe`)."""
    from orchestration.raw_assets import DATASETS, fetch

    manifest_path = localed.paths().marts / "run_manifest.json"
    if not (manifest_path.exists() and localed.paths().published_warehouse.exists()):
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    recorded = manifest.get("input_fingerprint")
    if not recorded:
        return None
    raw_inputs = []
    for spec, _ in DATASETS:
        for source in fetch(localed, spec):
            raw_inputs.append({"dataset": spec.name, "file": source.name,
                               "sha256": hashlib.sha256(source.content).hexdigest()})
    if input_fingerprint(raw_inputs, run_settings(localed)) != recorded:
        return None
    return (f"Nothing changed since the published build {manifest['run_id']} ({manifest['built_at']}): "
            f"{len(raw_inputs)} source files checked, each identical to its recorded snapshot; same code, "
            "seeds, models and settings.")
