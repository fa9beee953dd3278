"""dbt models, seeds and tests as Dagster assets and blocking checks (dagster-dbt)."""

import importlib.metadata
import json
import os
import sys
import time
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration.progress import say
from orchestration.resources import LocalEDResource
from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class OfflineDbtCliResource(DbtCliResource):
    """DbtCliResource that never goes online.

    dagster-dbt learns dbt's version by running `dbt --version`, and that command asks PyPI for
    the latest release. dbt-core is pinned in uv.lock, so its package metadata gives the same
    answer without a subprocess or a network connection.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    """dbt from this environment (it may not be on PATH when `localed` is called by full path)."""
    return OfflineDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(Path(sys.executable).with_name("dbt")))


def ensure_manifest() -> None:
    """dagster-dbt reads target/manifest.json when definitions load: parse when it is missing or stale."""
    manifest = DBT_PROJECT.manifest_path
    sources = [p for folder in ("models", "macros", "seeds", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*")]
    sources += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return
    from dbt.cli.main import dbtRunner  # imported lazily: ~3.5 s

    result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
                                 "--profiles-dir", str(DBT_PROJECT_DIR)])
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")


ensure_manifest()


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT)
def localed_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, localed: LocalEDResource):
    """Staging, intermediate and mart models, plus seeds; every dbt test is a blocking check."""
    started = time.monotonic()
    # The run's own warehouse file (see profiles.yml); dbt runs as a subprocess and inherits this.
    os.environ["LOCALED_BUILD_DB"] = str(localed.build_db(context.run_id))
    dbt_vars = json.dumps({"source_mode": localed.source_mode()})
    say("dbt", "building seeds, staging, intermediate and marts, running tests")
    invocation = dbt.cli(["build", "--vars", dbt_vars], context=context, raise_on_error=True)
    yield from invocation.stream()
    say("dbt", f"build finished in {time.monotonic() - started:.1f}s")
