"""Fetch source files for a dataset from the chosen source mode.

demo   - the built-in generator writes DfE-format files into data/demo_source/<fingerprint>/,
         then they are read exactly like a mirror (so demo and real data share one landing path).
mirror - a local folder laid out like the DfE downloads: <YYYY-YYYY>/england_<stem>.csv or
         <LA>_<stem>.csv, gias/edubasealldata*.csv, gias/links_edubasealldata*.csv,
         support_activity/*.csv|*.xlsx.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from orchestration.demo.generator import DemoConfig, generate
from orchestration.sources.catalogue import (
    ACADEMIC_YEARS,
    DatasetSpec,
    academic_year_from_folder,
)
from orchestration.progress import say
from orchestration.sources.landing import SourceFile


def demo_root(demo_dir: Path, config: DemoConfig) -> Path:
    """Generate the demo once per config; later runs reuse it (same config -> same bytes)."""
    root = demo_dir / config.fingerprint()
    if (root / "demo_truth.json").exists():
        return root
    demo_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=demo_dir, prefix=".generating-"))
    try:
        generate(scratch, config)
        try:
            os.rename(scratch, root)
        except OSError:  # another process finished first: its copy is identical
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return root


def _performance_table_pattern(stem: str) -> re.Pattern[str]:
    # england_ks4final.csv, 850_ks4final.csv, england_ks4final_subset.csv
    return re.compile(rf"^(england|\d{{3}})_{re.escape(stem)}(_[a-z0-9]+)?\.csv$", re.IGNORECASE)


def mirror_files(root: Path, spec: DatasetSpec, years: tuple[str, ...] = ()) -> list[SourceFile]:
    """Every file of this dataset under a DfE-layout folder, in a stable order."""
    if not root.is_dir():
        raise FileNotFoundError(f"source folder {root} does not exist")
    found: list[SourceFile] = []
    if spec.per_year:
        wanted = set(years or ACADEMIC_YEARS)
        patterns = [_performance_table_pattern(stem) for stem in spec.file_stems]
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{4}", p.name)):
            academic_year = academic_year_from_folder(folder.name)
            if academic_year not in wanted:
                continue
            for path in sorted(folder.iterdir()):
                if any(p.match(path.name) for p in patterns):
                    found.append(SourceFile(f"{folder.name}/{path.name}", academic_year, path.read_bytes()))
    elif spec.name.startswith("gias"):
        # The latest extract wins: GIAS files are dated in their name (…YYYYMMDD.csv).
        stem = spec.file_stems[0]
        candidates = sorted((root / "gias").glob(f"{stem}[0-9]*.csv")) if (root / "gias").is_dir() else []
        if candidates:
            path = candidates[-1]
            found.append(SourceFile(f"gias/{path.name}", None, path.read_bytes()))
    else:
        folder_name = spec.folder or spec.name
        folder = root / folder_name
        if folder.is_dir():
            pattern = re.compile(spec.file_pattern, re.IGNORECASE)
            for path in sorted(folder.iterdir()):
                if pattern.match(path.name):
                    found.append(SourceFile(f"{folder_name}/{path.name}", None, path.read_bytes()))
                elif path.is_file() and not path.name.startswith("."):
                    say(f"raw/{spec.name}", f"{folder_name}/{path.name} set aside: not a file this dataset reads "
                                            f"(it reads names matching {spec.file_pattern})")
    return found
