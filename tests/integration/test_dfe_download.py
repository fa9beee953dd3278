"""The `dfe` source against a local server on 127.0.0.1 serving the real DfE files under the
official URL paths: success, transient failures, timeouts, truncated bodies, and how snapshots
behave when content changes or stays the same. No test touches the internet."""

import io
import zipfile
from datetime import date
from urllib.parse import urlsplit

import pytest

from orchestration.sources import census, gias, ks2, la_indicators
from orchestration.sources.catalogue import GIAS_URL, LAIT_FILES, LAIT_URL, PERFORMANCE_TABLES_URL
from orchestration.sources.download import DownloadError, DownloadSettings, dfe_files
from orchestration.sources.landing import store_snapshot
from tests.support.dfe_server import DfEServer

pytestmark = pytest.mark.real_data

FAST = dict(connect_timeout_s=2, read_timeout_s=1, attempts=3, backoff_s=0.01)


def official_path(template: str, **fields) -> str:
    parts = urlsplit(template.format(**fields))
    return parts.path + ("?" + parts.query if parts.query else "")


def ks2_path(year_span: str) -> str:
    return official_path(PERFORMANCE_TABLES_URL, filter="KS2", year_span=year_span)


@pytest.fixture
def server():
    with DfEServer() as running:
        yield running


@pytest.fixture
def real_ks2(shared_dfe) -> bytes:
    return (shared_dfe / "2018-2019" / "850_ks2final.csv").read_bytes()


def settings(server: DfEServer) -> DownloadSettings:
    return DownloadSettings(base_url=server.base_url, **FAST)


def test_success_returns_the_exact_bytes_under_the_official_path(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("ok", real_ks2))
    files = dfe_files(ks2.SPEC, ("2018/19",), settings(server))
    assert [(f.name, f.academic_year) for f in files] == [("2018-2019/england_ks2final.csv", "2018/19")]
    assert files[0].content == real_ks2
    assert server.requests == [ks2_path("2018-2019")]


def test_a_zip_answer_is_unpacked(server, real_ks2):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2018-2019/ks2_meta.csv", "Field,Description\n")
        zf.writestr("2018-2019/england_ks2final.csv", real_ks2)
    server.route(ks2_path("2018-2019"), ("ok", archive.getvalue()))
    assert dfe_files(ks2.SPEC, ("2018/19",), settings(server))[0].content == real_ks2


def test_http_500_then_success_is_retried(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("status", 500), ("status", 503), ("ok", real_ks2))
    assert dfe_files(ks2.SPEC, ("2018/19",), settings(server))[0].content == real_ks2
    assert len(server.requests) == 3


def test_a_timeout_is_retried_then_succeeds(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("slow", 2.0, real_ks2), ("ok", real_ks2))
    assert dfe_files(ks2.SPEC, ("2018/19",), settings(server))[0].content == real_ks2
    assert len(server.requests) == 2


def test_timeouts_on_every_attempt_give_a_clear_error(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("slow", 2.0, real_ks2))
    with pytest.raises(DownloadError) as err:
        dfe_files(ks2.SPEC, ("2018/19",), settings(server))
    message = str(err.value)
    assert "gave up after 3 attempts" in message and "timed out" in message
    assert "filters=KS2" in message and "year=2018-2019" in message


def test_a_truncated_body_is_retried_and_never_returned(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("truncate", real_ks2), ("ok", real_ks2))
    assert dfe_files(ks2.SPEC, ("2018/19",), settings(server))[0].content == real_ks2


def test_always_truncated_fails_after_the_last_retry(server, real_ks2):
    server.route(ks2_path("2018-2019"), ("truncate", real_ks2))
    with pytest.raises(DownloadError, match="gave up after 3 attempts"):
        dfe_files(ks2.SPEC, ("2018/19",), settings(server))
    assert len(server.requests) == 3


def test_not_found_is_not_retried(server):
    with pytest.raises(DownloadError, match="HTTP 404"):
        dfe_files(ks2.SPEC, ("2018/19",), settings(server))
    assert len(server.requests) == 1


def test_changed_content_makes_a_new_snapshot_and_keeps_the_old(server, shared_dfe, tmp_path):
    path = official_path(PERFORMANCE_TABLES_URL, filter="CENSUS", year_span="2018-2019")
    first_bytes = (shared_dfe / "2018-2019" / "815_census.csv").read_bytes()
    server.route(path, ("ok", first_bytes))
    first = store_snapshot(tmp_path, "census", dfe_files(census.SPEC, ("2018/19",), settings(server))[0])
    revised = first_bytes.replace(b"\r\n", b"\n")  # a re-published file with other line endings
    server.route(path, ("ok", revised))
    second = store_snapshot(tmp_path, "census", dfe_files(census.SPEC, ("2018/19",), settings(server))[0])
    assert first.created and second.created and first.path != second.path
    assert first.path.read_bytes() == first_bytes and second.path.read_bytes() == revised
    assert len(list((tmp_path / "census" / "2018-2019").iterdir())) == 2


def test_identical_content_makes_no_new_snapshot(server, shared_dfe, tmp_path):
    path = official_path(PERFORMANCE_TABLES_URL, filter="CENSUS", year_span="2018-2019")
    server.route(path, ("ok", (shared_dfe / "2018-2019" / "815_census.csv").read_bytes()))
    first = store_snapshot(tmp_path, "census", dfe_files(census.SPEC, ("2018/19",), settings(server))[0])
    again = store_snapshot(tmp_path, "census", dfe_files(census.SPEC, ("2018/19",), settings(server))[0])
    assert first.created and not again.created and again.path == first.path
    assert len(list((tmp_path / "census" / "2018-2019").iterdir())) == 1


def test_gias_takes_the_latest_dated_extract(server, shared_dfe):
    links = (shared_dfe / "gias" / "links_edubasealldata20250422.csv").read_bytes()
    server.route(official_path(GIAS_URL, file="links_edubasealldata20250422.csv"), ("ok", links))
    files = dfe_files(gias.LINKS, (), settings(server), today=date(2025, 4, 23))  # yesterday's is the latest
    assert files[0].name == "gias/links_edubasealldata20250422.csv" and files[0].content == links


LAIT_LOCAL = {"bds_long_0.parquet": "lait", "lait_data_dictionary.csv": "lait",
              "sn_april_2021.xlsx": "statistical-neighbours", "sn_may_2025.xlsx": "statistical-neighbours"}


def serve_lait(server: DfEServer, shared_dfe, *first: tuple) -> None:
    """LAIT's files (and the neighbour models it publishes) under their official paths; `first`
    behaviours come before the real bytes on every route."""
    for name, folder in LAIT_LOCAL.items():
        server.route(official_path(LAIT_URL, file=name), *first, ("ok", (shared_dfe / folder / name).read_bytes()))


def test_lait_and_the_neighbour_models_come_from_their_official_paths_and_land(server, shared_dfe, tmp_path):
    serve_lait(server, shared_dfe, ("status", 503))  # one transient failure each, then the file
    for spec in (la_indicators.SPEC, la_indicators.NEIGHBOUR_SPEC):
        files = dfe_files(spec, (), settings(server))
        assert [f.name.rsplit("/", 1)[-1] for f in files] == list(LAIT_FILES[spec.name])
        snapshots = [store_snapshot(tmp_path, spec.name, f) for f in files]
        assert spec.land_files(files, snapshots).height > 1000
    assert sum("/dfe-analytical-services/local-authority-interactive-tool/" in r for r in server.requests) == 8


def test_a_missing_lait_file_fails_with_its_url(server, shared_dfe):
    with pytest.raises(DownloadError, match="bds_long_0.parquet: HTTP 404"):
        dfe_files(la_indicators.SPEC, (), settings(server))


@pytest.mark.slow
def test_a_whole_build_from_the_dfe_source_publishes(server, small_demo, shared_dfe, tmp_path):
    """`localed build --source dfe` end to end, the local server standing in for DfE and GIAS
    (serving the demo's DfE-format files under the official paths)."""
    from orchestration.sources.catalogue import DOWNLOAD_FILTER, YEARS_PUBLISHED, year_folder
    from tests.conftest import run_build

    demo = next((small_demo["home"] / "data" / "demo_source").iterdir())
    stems = {"ks2": "ks2final", "ks4": "ks4final", "absence": "abs", "census": "census"}
    for dataset, filter_name in DOWNLOAD_FILTER.items():
        for academic_year in YEARS_PUBLISHED[dataset]:
            folder = year_folder(academic_year)
            body = (demo / folder / f"england_{stems[dataset]}.csv").read_bytes()
            server.route(official_path(PERFORMANCE_TABLES_URL, filter=filter_name, year_span=folder), ("ok", body))
    today = f"{date.today():%Y%m%d}"
    for stem in ("edubasealldata", "links_edubasealldata"):
        body = (demo / "gias" / f"{stem}20240901.csv").read_bytes()
        server.route(official_path(GIAS_URL, file=f"{stem}{today}.csv"), ("status", 503), ("ok", body))
    serve_lait(server, shared_dfe)  # LAIT is real data: the demo writes only its CSV layout
    home = tmp_path / "home"
    result = run_build(home, "--source", "dfe", "--partial", extra_env={"LOCALED_DFE_BASE_URL": server.base_url})
    assert "Published" in result.stdout
    manifest = (home / "data" / "marts" / "run_manifest.json").read_text()
    assert '"source_mode": "dfe"' in manifest
    assert any(r.startswith("/download-data?download=true&regions=0&filters=KS2") for r in server.requests)
