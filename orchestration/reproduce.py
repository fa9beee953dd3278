"""`localed reproduce MANIFEST`: prove a published warehouse came from its recorded raw inputs.

1. Every raw snapshot the manifest lists must exist and still hash to the recorded sha256; the
   first that does not stops it, named, before anything is rebuilt.
2. The snapshots are laid out as a mirror in a scratch folder and the warehouse is rebuilt there,
   labelled and configured as the recorded run (source mode, years, demo settings).
3. Every mart's content hash is compared with the manifest's; any difference fails.
The code version and lock-file hash are compared too: a difference is reported, since it can
explain a differing mart.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from orchestration.publish import code_version, lock_hash


def _verdict_lines(expected: dict, actual: dict) -> tuple[list[str], bool]:
    lines, same = [], True
    for mart in sorted(set(expected) | set(actual)):
        want, got = expected.get(mart), actual.get(mart)
        if want is None:
            lines.append(f"  {mart:<28} NEW (not in the manifest)")
            same = False
        elif got is None:
            lines.append(f"  {mart:<28} MISSING from the rebuild")
            same = False
        elif want["content_hash"] == got["content_hash"]:
            lines.append(f"  {mart:<28} identical ({got['rows']:,} rows, {got['content_hash']})")
        else:
            lines.append(f"  {mart:<28} DIFFERENT: manifest {want['content_hash']} ({want['rows']:,} rows), "
                         f"rebuild {got['content_hash']} ({got['rows']:,} rows)")
            same = False
    return lines, same


def reproduce_manifest(manifest_path: Path, home: Path | None = None, workdir: Path | None = None) -> int:
    from orchestration.cli import execute
    from orchestration.demo.generator import DemoConfig
    from orchestration.resources import LocalEDResource

    manifest = json.loads(manifest_path.read_text())
    home = (home or manifest_path.resolve().parent.parent.parent).resolve()
    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="localed-reproduce-"))
    mirror = scratch / "snapshots"
    problems = []
    print(f"Reproducing run {manifest['run_id']} ({manifest['source_mode']}, built {manifest['built_at']})")
    for item in manifest["raw_inputs"]:
        snapshot = home / item["snapshot"]
        content = snapshot.read_bytes() if snapshot.exists() else None
        digest = hashlib.sha256(content).hexdigest() if content is not None else None
        if digest != item["sha256"]:
            # A pinned input is gone or changed: a rebuild could only differ, so stop here and name it.
            what = "is missing" if content is None else (f"has changed (sha256 {digest[:12]}..., "
                                                         f"recorded {item['sha256'][:12]}...)")
            print(f"\nVERDICT: NOT reproduced: raw input {item['file']} ({item['dataset']}): snapshot "
                  f"{item['snapshot']} {what}. Nothing was rebuilt.")
            if not workdir:
                shutil.rmtree(scratch, ignore_errors=True)
            return 1
        target = mirror / item["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if manifest.get("code_version") != code_version():
        print(f"  note: code version differs (manifest {manifest.get('code_version')}, here {code_version()})")
    if manifest.get("lock_sha256") != lock_hash():
        print("  note: uv.lock differs from the one the manifest was built with")

    settings = manifest["settings"]
    demo = settings.get("demo_config") or {}
    default = DemoConfig()
    localed = LocalEDResource(
        source=manifest["source_mode"], snapshot_dir=str(mirror), home=str(scratch / "home"),
        years=list(settings["years"]), partial=bool(settings["partial"]),
        demo_la_codes=list(demo.get("la_codes") or []),
        demo_planted_effects=dict(demo.get("planted_effects") or default.planted_effects),
        demo_scale=int(demo.get("scale") or 1),
        demo_seed=int(demo["seed"]) if demo.get("seed") not in (None, default.seed) else 0,
        fast=bool(settings["fast"]),
    )
    published, build_problems = execute(localed)
    if not published:
        problems += [f"the rebuild failed: {p}" for p in build_problems]
        rebuilt = {}
    else:
        rebuilt = json.loads((scratch / "home" / "data" / "marts" / "run_manifest.json").read_text())["marts"]
    lines, same = _verdict_lines(manifest["marts"], rebuilt)
    print("\nMarts:")
    print("\n".join(lines))
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if not workdir:
        shutil.rmtree(scratch, ignore_errors=True)
    ok = same and not problems
    print("\nVERDICT: " + ("every mart is identical to the manifest." if ok
                           else "NOT reproduced: see the differences above."))
    return 0 if ok else 1
