"""Downloading from the official DfE endpoints (the `dfe` source), in a way users can trust.

- every request has a connect and a read timeout;
- transient failures (connection errors, timeouts, HTTP 429/5xx, a body shorter than its
  Content-Length) are retried with exponential backoff (tenacity); after the last attempt the
  error says what happened on each try;
- anything else (HTTP 404, 403, ...) fails at once with the URL and status.
Nothing is written here: the caller stores the bytes as an immutable snapshot (temp + rename).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from orchestration.sources.catalogue import (
    DOWNLOAD_FILTER,
    GIAS_URL,
    LAIT_FILES,
    LAIT_URL,
    PERFORMANCE_TABLES_URL,
    YEARS_PUBLISHED,
    DatasetSpec,
    year_folder,
)
from orchestration.sources.landing import SourceFile

TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(Exception):
    """A download failed for good (after retries where a retry made sense)."""


class TransientDownloadError(Exception):
    """Worth another try."""


@dataclass(frozen=True)
class DownloadSettings:
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0
    attempts: int = 4
    backoff_s: float = 2.0  # waits 2, 4, 8 ... seconds between attempts (capped at 60)
    # Tests point this at a server on 127.0.0.1; the paths stay the official ones.
    base_url: str | None = None

    @classmethod
    def from_environment(cls) -> DownloadSettings:
        return cls(base_url=os.environ.get("LOCALED_DFE_BASE_URL") or None)


def official_url(template: str, settings: DownloadSettings, **fields: str) -> str:
    url = template.format(**fields)
    if not settings.base_url:
        return url
    base, parts = urlsplit(settings.base_url), urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def download(url: str, settings: DownloadSettings, session: requests.Session | None = None) -> bytes:
    session = session or requests.Session()
    failures: list[str] = []

    def attempt() -> bytes:
        try:
            with session.get(url, timeout=(settings.connect_timeout_s, settings.read_timeout_s), stream=True) as response:
                if response.status_code in TRANSIENT_STATUSES:
                    raise TransientDownloadError(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise DownloadError(f"{url}: HTTP {response.status_code} {response.reason}")
                body = response.content
                expected = response.headers.get("Content-Length")
                if expected is not None and not response.headers.get("Content-Encoding") and len(body) != int(expected):
                    raise TransientDownloadError(f"truncated body: {len(body)} of {expected} bytes")
                return body
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
            kind = "timed out" if isinstance(err, requests.Timeout) else "connection failed or body cut short"
            raise TransientDownloadError(f"{kind}: {type(err).__name__}") from err

    def remember(state) -> None:
        failures.append(f"attempt {state.attempt_number}: {state.outcome.exception()}")

    retrying = Retrying(
        stop=stop_after_attempt(settings.attempts),
        wait=wait_exponential(multiplier=settings.backoff_s, max=60),
        retry=retry_if_exception_type(TransientDownloadError),
        after=remember,
    )
    try:
        return retrying(attempt)
    except RetryError as err:
        last = err.last_attempt.exception()
        raise DownloadError(f"{url}: gave up after {settings.attempts} attempts ({'; '.join(failures) or last})") from last


def _csv_from_response(body: bytes, stem: str) -> bytes:
    """The service answers with a CSV, or a zip holding england_<stem>.csv among other files."""
    if not body.startswith(b"PK\x03\x04"):
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        pattern = re.compile(rf"(^|/)england_{re.escape(stem)}\.csv$", re.IGNORECASE)
        members = [m for m in archive.namelist() if pattern.search(m)]
        if not members:
            raise DownloadError(f"the zip holds no england_{stem}.csv (it has {', '.join(archive.namelist()[:8])})")
        return archive.read(members[0])


def dfe_files(spec: DatasetSpec, years: tuple[str, ...], settings: DownloadSettings,
              today: date | None = None) -> list[SourceFile]:
    """Download one dataset from the official endpoints."""
    session = requests.Session()
    if spec.name in DOWNLOAD_FILTER:
        found = []
        for academic_year in YEARS_PUBLISHED[spec.name]:
            if years and academic_year not in years:
                continue
            folder = year_folder(academic_year)
            url = official_url(PERFORMANCE_TABLES_URL, settings, filter=DOWNLOAD_FILTER[spec.name], year_span=folder)
            body = _csv_from_response(download(url, settings, session), spec.file_stems[0])
            found.append(SourceFile(f"{folder}/england_{spec.file_stems[0]}.csv", academic_year, body))
        return found
    if spec.name in ("gias_establishments", "gias_links"):
        # GIAS publishes a dated extract each day: take today's, or the latest of the last few days.
        stem = spec.file_stems[0]
        day = today or date.today()
        problems = []
        for back in range(4):
            name = f"{stem}{(day - timedelta(days=back)):%Y%m%d}.csv"
            url = official_url(GIAS_URL, settings, file=name)
            try:
                return [SourceFile(f"gias/{name}", None, download(url, settings, session))]
            except DownloadError as err:
                problems.append(str(err))
        raise DownloadError("no GIAS extract found: " + " | ".join(problems))
    if spec.name in LAIT_FILES:
        return [SourceFile(f"{spec.folder}/{name}", None, download(official_url(LAIT_URL, settings, file=name), settings,
                                                                   session))
                for name in LAIT_FILES[spec.name]]
    return []  # ks4 provisional and school information are not offered as separate downloads
