"""A bad input stops the whole build before publishing: one variant of the corpus per stage that
stops it (landing, the raw Great Expectations check, the support-activity landing), each a whole
`localed build` (tests.conftest.run_build). The run exits 1, says nothing was published, names
the file and the problem exactly as the in-process stage test found it, and leaves the published
warehouse byte-identical. Every variant of the corpus is checked at its stage, in-process, by
tests/integration/test_bad_inputs_by_stage.py."""

import hashlib
import shutil

import pytest

from tests.conftest import run_build
from tests.support.bad_inputs import (
    KEY,
    LANDING,
    RAW_CHECK,
    STAGE_OF,
    SUPPORT_DELIVERY,
    VARIANTS,
    mirror_resource,
    problems_at,
)

pytestmark = pytest.mark.slow

# One variant per stage that can stop a build.
WHOLE_BUILD = {LANDING: "truncated", RAW_CHECK: "percentage-over-100", SUPPORT_DELIVERY: "support-dates-reversed"}


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """A mirror of the shared demo's files, and a copy of its home with the warehouse it published
    (a failed build must leave that file byte for byte, whatever built it)."""
    root = tmp_path_factory.mktemp("bad_inputs")
    mirror = root / "mirror"
    shutil.copytree(next((small_demo["home"] / "data" / "demo_source").iterdir()), mirror)
    home = root / "home"
    shutil.copytree(small_demo["home"] / "data", home / "data")
    warehouse = home / "data" / "marts" / "localed.duckdb"
    return {"mirror": mirror, "home": home, "warehouse": warehouse}


def test_one_whole_build_per_stage():
    assert {STAGE_OF[name] for name in WHOLE_BUILD.values()} == set(WHOLE_BUILD) == set(STAGE_OF.values())


@pytest.mark.parametrize("name", WHOLE_BUILD.values())
def test_bad_input_stops_the_build_and_keeps_the_warehouse(published, tmp_path, monkeypatch, name):
    relative, mutate, words = VARIANTS[name]
    target = published["mirror"] / relative
    original = target.read_bytes()
    before = hashlib.sha256(published["warehouse"].read_bytes()).hexdigest()
    target.write_bytes(mutate(original))
    try:
        result = run_build(published["home"], "--source", "mirror", "--mirror-dir", str(published["mirror"]), "--partial",
                           check=False, extra_env=KEY)
        # The same stage, in-process, on the same files (its own LOCALED_HOME)
        monkeypatch.setenv(*next(iter(KEY.items())))
        stage_home = tmp_path / "home"
        in_process = problems_at(STAGE_OF[name], mirror_resource(published["mirror"], stage_home), relative)
    finally:
        target.write_bytes(original)
    message = result.stderr
    assert result.returncode == 1, message[-2000:]
    assert "nothing was published" in message
    assert relative in message, f"the error does not name {relative}:\n{message[-2000:]}"
    for word in words:
        assert word in message, f"the error does not say {word!r}:\n{message[-3000:]}"
    # What the stage test asserts on is what a user sees (only the home folder in a report's path differs).
    for problem in in_process:
        shown = f"  - {problem.replace(str(stage_home.resolve()), str(published['home'].resolve()))}"
        assert shown in message, f"the build did not print\n{shown}\n-- it printed:\n{message[-3000:]}"
    assert hashlib.sha256(published["warehouse"].read_bytes()).hexdigest() == before
