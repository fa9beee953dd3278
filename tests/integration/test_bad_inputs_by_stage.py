"""Every bad input of the corpus is stopped by the stage of the build that must stop it.

Each variant mutates one file of a small demo and runs, in-process, the stage assigned to it in
STAGE_OF: landing (the file is unusable), the raw Great Expectations check (it lands, but its
values are wrong) or the support-activity landing (a delivery breaks the data contract). The
problem text, as `localed build` would print it, must name the file and say every expected word.
A variant the stage lets through fails. That a stop publishes nothing is shown by a few whole
builds in tests/e2e/test_bad_inputs.py.
"""

import shutil

import pytest

from orchestration.demo.generator import DemoConfig
from orchestration.sources.fetch import demo_root
from tests.conftest import SMALL_DEMO_LAS
from tests.support.bad_inputs import CORPUS, KEY, STAGE_OF, VARIANTS, mirror_resource, problems_at


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    """The small demo's source files (the same LAs as tests.conftest.small_demo), generated once."""
    config = DemoConfig(la_codes=tuple(sorted(int(code) for code in SMALL_DEMO_LAS)))
    return demo_root(tmp_path_factory.mktemp("bad_inputs_demo"), config)


def test_every_variant_has_a_stage():
    ids = [name for name, *_ in CORPUS]
    assert len(ids) == len(set(ids)), "a variant id is used twice"
    assert not set(ids) - set(STAGE_OF), f"no stage for {sorted(set(ids) - set(STAGE_OF))}"
    assert not set(STAGE_OF) - set(ids), f"a stage for variants not in the corpus: {sorted(set(STAGE_OF) - set(ids))}"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_bad_input_is_stopped_at_its_stage(demo_source, tmp_path, monkeypatch, name):
    relative, mutate, words = VARIANTS[name]
    monkeypatch.setenv(*next(iter(KEY.items())))  # a delivery that got through would need the key
    mirror = tmp_path / "mirror"
    shutil.copytree(demo_source, mirror)
    target = mirror / relative
    target.write_bytes(mutate(target.read_bytes()))

    problems = problems_at(STAGE_OF[name], mirror_resource(mirror, tmp_path / "home"), relative)

    message = "\n".join(problems)
    assert relative in message, f"the error does not name {relative}:\n{message[:3000]}"
    for word in words:
        assert word in message, f"the error does not say {word!r}:\n{message[:3000]}"
