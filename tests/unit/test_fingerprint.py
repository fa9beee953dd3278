"""What decides whether a build can be skipped: raw files, code and rules, settings."""

import shutil

import pytest

from orchestration import fingerprint
from orchestration.settings import REPO_ROOT

INPUTS = [{"dataset": "ks2", "file": "2018-2019/england_ks2final.csv", "sha256": "a" * 64},
          {"dataset": "gias_links", "file": "gias/links_edubasealldata20240901.csv", "sha256": "b" * 64}]
SETTINGS = {"source_mode": "demo", "years": [], "partial": False, "fast": False, "demo_config": {"seed": 2022},
            "pseudonym_key_digest": None}


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("code")
    for entry in fingerprint.CODE_PATHS:
        source = REPO_ROOT / entry
        if source.is_dir():
            shutil.copytree(source, root / entry, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (root / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / entry)
    return root


def test_the_same_files_code_and_settings_give_the_same_fingerprint(code_copy):
    assert fingerprint.code_fingerprint(code_copy) == fingerprint.code_fingerprint(REPO_ROOT)
    assert fingerprint.input_fingerprint(INPUTS, SETTINGS) == fingerprint.input_fingerprint(INPUTS[::-1], SETTINGS)


def test_one_changed_raw_file_changes_it():
    changed = [INPUTS[0] | {"sha256": "c" * 64}, INPUTS[1]]
    assert fingerprint.input_fingerprint(changed, SETTINGS) != fingerprint.input_fingerprint(INPUTS, SETTINGS)
    assert fingerprint.input_fingerprint(INPUTS[:1], SETTINGS) != fingerprint.input_fingerprint(INPUTS, SETTINGS)


@pytest.mark.parametrize("relative", ["dbt_project/seeds/comparator_sets.csv",
                                      "dbt_project/models/marts/evaluation/fct_arrangement_year.sql",
                                      "orchestration/evaluation.py", "expectations/raw_ks2.json"])
def test_one_changed_seed_row_model_or_rule_changes_it(code_copy, relative):
    before = fingerprint.code_fingerprint(code_copy)
    target = code_copy / relative
    original = target.read_bytes()
    lines = original.splitlines(keepends=True)
    target.write_bytes(b"".join(lines[:-1]))  # one row (line) fewer
    try:
        assert fingerprint.code_fingerprint(code_copy) != before
    finally:
        target.write_bytes(original)
    assert fingerprint.code_fingerprint(code_copy) == before


@pytest.mark.parametrize("setting", [{"fast": True}, {"years": ["2018/19"]}, {"source_mode": "mirror"},
                                     {"demo_config": {"seed": 7}}, {"pseudonym_key_digest": "0123"}])
def test_a_changed_setting_changes_it(setting):
    assert fingerprint.input_fingerprint(INPUTS, SETTINGS | setting) != fingerprint.input_fingerprint(INPUTS, SETTINGS)
