"""Landing: snapshots are immutable and complete; unusable files fail naming file, row and column."""

import polars as pl
import pytest

from orchestration.sources import ks2
from orchestration.sources.landing import LandingError, SourceFile, land_file, store_snapshot

HEADER = "RECTYPE,LEA,ESTAB,URN,SCHNAME,TELIG,PTFSM6CLA1A,PTRWM_EXP,PTRWM_HIGH,PTRWM_EXP_FSM6CLA1A,PTRWM_EXP_NotFSM6CLA1A"


def ks2_file(body: str, *, bom: bool = True, eol: str = "\r\n", header: str = HEADER) -> SourceFile:
    text = eol.join([header, *body.strip().splitlines()]) + eol
    return SourceFile("2018-2019/england_ks2final.csv", "2018/19", (b"\xef\xbb\xbf" if bom else b"") + text.encode())


def land(source: SourceFile, tmp_path) -> pl.DataFrame:
    return land_file(source, ks2.SPEC, store_snapshot(tmp_path, "ks2", source))


def test_snapshot_is_written_once_and_never_overwritten(tmp_path):
    first = SourceFile("2018-2019/england_ks2final.csv", "2018/19", b"a,b\n1,2\n")
    snap = store_snapshot(tmp_path, "ks2", first)
    assert snap.created and snap.path.read_bytes() == first.content
    assert snap.path.parent == tmp_path / "ks2" / "2018-2019"
    again = store_snapshot(tmp_path, "ks2", first)
    assert not again.created and again.path == snap.path
    changed = store_snapshot(tmp_path, "ks2", SourceFile(first.name, "2018/19", b"a,b\n1,3\n"))
    assert changed.created and changed.path != snap.path
    assert snap.path.read_bytes() == first.content  # the old snapshot is kept as it was
    assert not list(tmp_path.rglob(".incoming-*"))


def test_bom_crlf_ragged_rows_and_mixed_case_headers_land(tmp_path):
    body = """1,850,2001,115851,"St Mary's, Alton",30,20%,68%,10%,SUPP,70%
2,850,7000,131559,Special,5,NA,SUPP,SUPP
3,850, , , ,3000,18%,64%,9%,49%,73%"""
    landed = land(ks2_file(body), tmp_path).with_columns(level=ks2.RECORD_LEVEL)
    assert landed.height == 3
    assert landed["urn"].to_list()[:2] == ["115851", "131559"]
    assert landed["school_name"][0] == "St Mary's, Alton"
    assert landed["rwm_expected_not_disadvantaged_pct"].to_list() == ["70%", None, "73%"]  # ragged row padded
    assert landed["level"].to_list() == ["school", "school", "la"]
    assert landed["_source_row"].to_list() == [2, 3, 4]
    assert set(landed["_source_file"]) == {"2018-2019/england_ks2final.csv"}


def test_lf_without_bom_lands_the_same(tmp_path):
    body = "1,850,2001,115851,A school,30,20%,68%,10%,SUPP,70%"
    with_bom = land(ks2_file(body), tmp_path)
    without = land(ks2_file(body, bom=False, eol="\n"), tmp_path)
    assert with_bom.drop("_snapshot_sha256").equals(without.drop("_snapshot_sha256"))


def test_missing_required_column_names_file_and_column(tmp_path):
    header = HEADER.replace("PTRWM_EXP,", "")
    with pytest.raises(LandingError) as err:
        land(ks2_file("1,850,2001,115851,A,30,20%,10%,SUPP,70%", header=header), tmp_path)
    assert err.value.column == "PTRWM_EXP"
    assert "2018-2019/england_ks2final.csv" in str(err.value) and "PTRWM_EXP" in str(err.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML"),
        ((HEADER + "\r\n").encode(), "no data rows"),
        (HEADER.encode() + b"\r\n1,850,2001,115851,Caf\xe9,30,20%,68%,10%,SUPP,70%\r\n", "not valid UTF-8"),
    ],
)
def test_unusable_files_fail_with_a_clear_reason(tmp_path, content, problem):
    source = SourceFile("2018-2019/england_ks2final.csv", "2018/19", content)
    with pytest.raises(LandingError) as err:
        land(source, tmp_path)
    assert problem in str(err.value)
    assert "england_ks2final.csv" in str(err.value)


def test_gias_cp1252_is_decoded(tmp_path):
    from orchestration.sources import gias

    header = ("URN,LA (code),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
              "EstablishmentStatus (name),PhaseOfEducation (name)")
    row = '100000,201,2000,"St Mary\x92s Caf\xe9 School","Community school","Open","Primary"'
    source = SourceFile("gias/edubasealldata20240901.csv", None, (header + "\r\n" + row + "\r\n").encode("latin-1"))
    landed = land_file(source, gias.ESTABLISHMENTS, store_snapshot(tmp_path, "gias", source))
    assert landed["school_name"][0] == "St Mary\u2019s Caf\u00e9 School"
