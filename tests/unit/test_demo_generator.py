"""The demo source: deterministic bytes, real DfE formats, the catalogue's years, a planted effect."""

import hashlib
import json

import polars as pl
import pytest

from orchestration.demo.generator import DemoConfig, generate
from orchestration.sources.catalogue import YEARS_PUBLISHED, year_folder

SMALL = DemoConfig(la_codes=(391, 392, 929, 879, 359))


def tree_digest(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), SMALL)


def test_same_config_gives_identical_bytes(demo, tmp_path):
    assert tree_digest(generate(tmp_path / "again", SMALL)) == tree_digest(demo)


def test_a_different_seed_gives_different_data(demo, tmp_path):
    other = generate(tmp_path / "other", DemoConfig(seed=7, la_codes=SMALL.la_codes))
    assert tree_digest(other)["2018-2019/england_ks2final.csv"] != tree_digest(demo)["2018-2019/england_ks2final.csv"]


def test_a_small_demo_is_an_exact_subset_of_the_national_one(demo, tmp_path):
    national = generate(tmp_path / "nat", DemoConfig(la_codes=None))
    read = lambda root: pl.read_csv(root / "2018-2019" / "england_abs.csv", infer_schema=False)  # noqa: E731
    small, big = read(demo), read(national)
    small_schools = small.filter(pl.col("LA") != "NAT")
    joined = small_schools.join(big, on=["LA", "ESTAB", "URN"], how="left", suffix="_nat")
    assert joined["PERCTOT"].to_list() == joined["PERCTOT_nat"].to_list()
    las = big.filter(pl.col("LA") != "NAT")["LA"].n_unique()
    assert las >= 150  # every LA, with real codes
    assert 19_000 <= big.filter(pl.col("LA") != "NAT").height <= 23_000


def test_datasets_exist_only_in_the_years_dfe_published_them(demo):
    files = {"ks2": "england_ks2final.csv", "ks4": "england_ks4final.csv",
             "absence": "england_abs.csv", "census": "england_census.csv"}
    for dataset, name in files.items():
        present = {p.parent.name for p in demo.rglob(name)}
        assert present == {year_folder(y) for y in YEARS_PUBLISHED[dataset]}, dataset
    assert not (demo / "2019-2020").exists()  # COVID: nothing published


def test_files_use_the_real_dfe_conventions(demo):
    ks2 = (demo / "2018-2019" / "england_ks2final.csv").read_bytes()
    assert ks2.startswith(b"\xef\xbb\xbf") and b"\r\n" in ks2
    text = ks2.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert {"RECTYPE", "LEA", "URN", "TELIG", "PTRWM_EXP", "PTRWM_EXP_NotFSM6CLA1A"} <= set(header)
    assert "PTRWM_EXP_18" in header  # roll-forward trend columns exist (and are ignored)
    frame = pl.read_csv(ks2, infer_schema=False, truncate_ragged_lines=True)
    assert set(frame["RECTYPE"]) == {"1", "2", "3", "4", "5"}
    assert frame["PTRWM_EXP"].str.ends_with("%").any()
    assert {"SUPP", "LOWCOV"} <= set(frame["READPROG"]) | set(frame["PTRWM_EXP"])
    assert (frame.filter(pl.col("RECTYPE") == "3")["ESTAB"] == " ").all()  # KS2 summary rows use " "
    ks4 = pl.read_csv(demo / "2022-2023" / "england_ks4final.csv", infer_schema=False, truncate_ragged_lines=True)
    assert set(ks4["RECTYPE"]) == {"1", "2", "4", "5", "7"}
    assert "NP" in set(ks4["ATT8SCR"])  # independent schools
    assert "NE" in set(ks4["EBACCAPS"])  # no entries
    gias = (demo / "gias" / "edubasealldata20240901.csv").read_bytes()
    assert b"\x92" in gias  # cp1252 apostrophe, as in real GIAS extracts
    with pytest.raises(UnicodeDecodeError):
        gias.decode("utf-8")
    census = pl.read_csv(demo / "2018-2019" / "england_census.csv", infer_schema=False)
    assert census.filter(pl.col("URN") == "NAT")["ESTAB"].to_list() == ["PRI", "SEC", "SPE"]


def test_academy_conversions_have_predecessor_and_successor_links(demo):
    links = pl.read_csv(demo / "gias" / "links_edubasealldata20240901.csv", infer_schema=False, encoding="cp1252")
    assert set(links["LinkType"]) == {"Predecessor", "Successor"}
    successors = links.filter(pl.col("LinkType") == "Successor")
    predecessors = links.filter(pl.col("LinkType") == "Predecessor")
    pairs = set(zip(successors["URN"], successors["LinkURN"]))
    assert pairs == set(zip(predecessors["LinkURN"], predecessors["URN"]))
    # A school that converted inside the panel appears under its old URN before and its new one after.
    ks2_17 = pl.read_csv(demo / "2016-2017" / "england_ks2final.csv", infer_schema=False, truncate_ragged_lines=True)
    ks2_23 = pl.read_csv(demo / "2023-2024" / "england_ks2final.csv", infer_schema=False, truncate_ragged_lines=True)
    switched = [(old, new) for old, new in pairs if old in set(ks2_17["URN"]) and new in set(ks2_23["URN"])]
    assert switched


def test_truth_file_records_the_planted_effects(demo):
    truth = json.loads((demo / "demo_truth.json").read_text())
    assert truth["synthetic"] is True
    assert truth["planted_effects"] == {"ks2_rwm_expected_pct": 2.0, "ks4_attainment8": 1.0,
                                        "overall_absence_pct": -0.5}
    assert truth["treated_la_codes"] == [391, 392, 929]
