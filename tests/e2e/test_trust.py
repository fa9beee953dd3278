"""Trust: reproduction from the manifest, and readers during a publish (real processes)."""

import json
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import LOCALED, SMALL_DEMO_LAS, run_build
from tests.support.processes import localed_env, mart_digest

pytestmark = pytest.mark.slow



def reproduce(manifest, *extra):
    return subprocess.run([str(LOCALED), "reproduce", str(manifest), *extra], capture_output=True, text=True,
                          timeout=900, env=localed_env(manifest.parent.parent.parent))


def test_reproduce_reports_every_mart_identical(small_demo):
    manifest = small_demo["home"] / "data" / "marts" / "run_manifest.json"
    result = reproduce(manifest)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    marts = json.loads(manifest.read_text())["marts"]
    for mart in marts:
        assert any(line.strip().startswith(mart) and "identical" in line for line in result.stdout.splitlines()), mart
    assert "VERDICT: every mart is identical" in result.stdout


def test_reproduce_fails_when_one_raw_byte_changed(small_demo, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo["home"] / "data" / "raw", home / "data" / "raw")
    (home / "data" / "marts").mkdir(parents=True)
    manifest = home / "data" / "marts" / "run_manifest.json"
    shutil.copy(small_demo["home"] / "data" / "marts" / "run_manifest.json", manifest)
    census = next(i for i in json.loads(manifest.read_text())["raw_inputs"]
                  if i["file"] == "2018-2019/england_census.csv")
    snapshot = home / census["snapshot"]
    data = snapshot.read_bytes()
    line_end = data.index(b"\r\n", data.index(b"\r\n") + 2)  # the first school row
    row = data[:line_end]
    changed = row[:-1] + (b"1" if row[-1:] != b"1" else b"2")  # one digit of its FSM percentage
    snapshot.write_bytes(changed + data[line_end:])
    result = reproduce(manifest)
    assert result.returncode == 1
    assert "2018-2019/england_census.csv" in result.stdout and "has changed" in result.stdout
    assert "NOT reproduced" in result.stdout and "Nothing was rebuilt" in result.stdout
    assert "Marts:" not in result.stdout  # it stopped before rebuilding


READER = """
import json, os, sys, time, duckdb, hashlib
path, stop_file, deadline, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
answers, errors = [], []
# Read until told to stop (the build has published and the new version was there to be seen).
while not os.path.exists(stop_file) and time.time() < deadline:
    try:
        with duckdb.connect(path, read_only=True) as con:
            run_id = json.loads(con.execute("select manifest_json from meta.run_manifest").fetchone()[0])["run_id"]
            rows = con.execute("select * from fct_arrangement_year order by all").fetchall()
        answers.append([run_id, hashlib.md5(repr(rows).encode()).hexdigest()])
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.05)
json.dump({"answers": answers, "errors": errors}, open(out, "w"))
"""


def test_readers_never_fail_and_see_old_or_new_during_a_publish(small_demo, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(small_demo["home"] / "data", home / "data")  # a published warehouse to start from
    warehouse = home / "data" / "marts" / "localed.duckdb"
    old = mart_digest(warehouse)
    stop_file = tmp_path / "stop"
    deadline = time.time() + 300  # a safety net only
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop_file), str(deadline),
                                 str(tmp_path / f"r{i}.json")]) for i in range(3)]
    try:
        run_build(home, "--demo-las", *SMALL_DEMO_LAS, "--demo-effect", "ks2_rwm_expected_pct=5")  # a new version
        time.sleep(2)  # long enough for every reader to read the new version a few times
    finally:
        stop_file.touch()
        for reader in readers:
            reader.wait(timeout=60)
    new = mart_digest(warehouse)
    assert new != old
    seen = set()
    for i in range(3):
        report = json.loads((tmp_path / f"r{i}.json").read_text())
        assert report["errors"] == []
        assert report["answers"], "a reader got no answer at all"
        seen |= {tuple(answer) for answer in report["answers"]}
    assert seen <= {old, new}, f"a reader saw a version that is neither the old nor the new: {seen - {old, new}}"
    assert new in seen, "the readers never saw the new version (the build finished too early?)"
