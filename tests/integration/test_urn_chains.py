"""School histories across academy conversion: follow one-to-one successor links; flag, never
follow, merges and splits; ignore successors proposed to open, both-open pairs and cycles."""

import csv
from collections import Counter

import duckdb
import pytest

from tests.conftest import run_build

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def school_keys(warehouse) -> dict[int, tuple[int, bool, bool]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select urn, school_key, has_merge_or_split, is_circular "
                           "from intermediate.int_school_urns_linked").fetchall()
    return {urn: (key, merge, circular) for urn, key, merge, circular in rows}


def test_real_gias_links_simple_conversions_are_one_history(shared_dfe, mirror_build):
    with open(shared_dfe / "gias" / "links_edubasealldata20250422.csv", newline="", encoding="cp1252") as f:
        successor_pairs = [(int(r["URN"]), int(r["LinkURN"])) for r in csv.DictReader(f) if r["LinkType"] == "Successor"]
    out_degree = Counter(a for a, _ in successor_pairs)
    in_degree = Counter(b for _, b in successor_pairs)
    keys = school_keys(mirror_build["warehouse"])

    simple = [(a, b) for a, b in successor_pairs if out_degree[a] == 1 and in_degree[b] == 1]
    assert len(simple) > 10_000
    same = sum(keys[a][0] == keys[b][0] for a, b in simple if not keys[a][2])
    assert same == sum(1 for a, _ in simple if not keys[a][2])

    merges = [(a, b) for a, b in successor_pairs if in_degree[b] > 1]
    splits = [(a, b) for a, b in successor_pairs if out_degree[a] > 1]
    assert merges and splits
    for a, b in merges + splits:
        assert keys[a][1], f"URN {a} ({a}->{b}) takes part in a merge or split but is not flagged"
        assert keys[a][0] != keys[b][0] or keys[b][0] != b, f"merge/split {a}->{b} was stitched into one history"


def test_a_converted_school_in_the_real_files_keeps_one_history(mirror_build):
    with duckdb.connect(str(mirror_build["warehouse"]), read_only=True) as con:
        spans = con.execute("""select school_key, count(distinct urn), count(*) from fct_school_year
                               group by school_key having count(distinct urn) > 1""").fetchall()
    assert spans, "expected a school whose KS/census rows span an academy conversion"


GIAS_HEADER = ("URN,LA (code),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
               "EstablishmentStatus (name),PhaseOfEducation (name)")
SCHOOLS = {  # urn: status
    100001: "Closed", 140001: "Open",                   # a conversion: followed
    100002: "Closed", 140002: "Closed",                 # a cycle: 100002 -> 140002 -> 100002
    100003: "Open", 140003: "Proposed to open",         # successor proposed to open: ignored
    100004: "Open", 140004: "Open",                     # both open: ignored
    100005: "Closed", 100006: "Closed", 140005: "Open",  # a merge: flagged, not followed
}
LINKS = [(100001, 140001), (100002, 140002), (140002, 100002), (100003, 140003), (100004, 140004),
         (100005, 140005), (100006, 140005)]


def test_rules_for_cycles_proposed_and_open_pairs_and_merges(tmp_path):
    mirror = tmp_path / "mirror" / "gias"
    mirror.mkdir(parents=True)
    rows = [f'{urn},391,{2000 + i},"School {urn}","Community school","{status}","Primary"'
            for i, (urn, status) in enumerate(SCHOOLS.items())]
    (mirror / "edubasealldata20240101.csv").write_bytes(("\r\n".join([GIAS_HEADER, *rows]) + "\r\n").encode("cp1252"))
    links = ['"URN","LinkURN","LinkName","LinkType","LinkEstablishedDate"']
    for a, b in LINKS:
        links += [f'{a},{b},"School {b}","Successor","01-09-2020"', f'{b},{a},"School {a}","Predecessor","01-09-2020"']
    (mirror / "links_edubasealldata20240101.csv").write_bytes(("\r\n".join(links) + "\r\n").encode("cp1252"))
    home = tmp_path / "home"
    run_build(home, "--source", "mirror", "--mirror-dir", str(tmp_path / "mirror"), "--partial")
    keys = school_keys(home / "data" / "marts" / "localed.duckdb")
    assert keys[100001][0] == keys[140001][0] == 140001                 # conversion followed
    assert keys[100002][2] and keys[140002][2]                          # cycle flagged...
    assert keys[100002][0] == 100002 and keys[140002][0] == 140002      # ...and cut
    assert keys[100003][0] == 100003                                    # proposed to open: not followed
    assert keys[100004][0] == 100004                                    # both open: not followed
    assert keys[100005][0] == 100005 and keys[100006][0] == 100006      # merge: not followed
    assert keys[100005][1] and keys[100006][1] and keys[140005][1]      # ...but flagged
