"""The one place that says which datasets exist, in which years, where they come from,
and what their columns are called in each year's files.

Facts from ../shared/docs/domain.md §3: 2019/20 has nothing (COVID); 2020/21 census only;
2021/22 has no school-level KS2; KS2 progress is absent from 2023/24; KS4 Progress 8 from 2024/25
(those pupils sat no KS2 tests in 2020).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ACADEMIC_YEARS = (
    "2016/17",
    "2017/18",
    "2018/19",
    "2019/20",
    "2020/21",
    "2021/22",
    "2022/23",
    "2023/24",
    "2024/25",
)

# Which performance-tables datasets DfE published, by academic year.
YEARS_PUBLISHED = {
    "ks2": ("2016/17", "2017/18", "2018/19", "2022/23", "2023/24", "2024/25"),
    "ks4": ("2016/17", "2017/18", "2018/19", "2021/22", "2022/23", "2023/24", "2024/25"),
    "absence": ("2016/17", "2017/18", "2018/19", "2021/22", "2022/23", "2023/24", "2024/25"),
    "census": ("2016/17", "2017/18", "2018/19", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25"),
}

# Official endpoints (the `dfe` source). {filter} is the download service's dataset filter.
PERFORMANCE_TABLES_URL = (
    "https://www.compare-school-performance.service.gov.uk/download-data"
    "?download=true&regions=0&filters={filter}&fileformat=csv&year={year_span}&meta=false"
)
GIAS_URL = "https://ea-edubase-api-prod.azurewebsites.net/edubase/downloads/public/{file}"
# DfE's LA Interactive Tool publishes its data (and the statistical-neighbour models it uses) in
# its own repository; {file} is a file name in 01_data/02_prod/.
LAIT_URL = ("https://raw.githubusercontent.com/dfe-analytical-services/local-authority-interactive-tool/"
            "main/01_data/02_prod/{file}")
LAIT_FILES = {"la_indicators": ("bds_long_0.parquet", "lait_data_dictionary.csv"),
              "statistical_neighbours": ("sn_april_2021.xlsx", "sn_may_2025.xlsx")}
DOWNLOAD_FILTER = {"ks2": "KS2", "ks4": "KS4", "absence": "PUPILABSENCE", "census": "CENSUS"}


def year_folder(academic_year: str) -> str:
    """'2018/19' -> '2018-2019', the folder name DfE downloads use."""
    start = int(academic_year[:4])
    return f"{start}-{start + 1}"


def academic_year_from_folder(folder: str) -> str:
    """'2018-2019' -> '2018/19'."""
    start = int(folder[:4])
    return f"{start}/{str(start + 1)[2:]}"


@dataclass(frozen=True)
class Column:
    """A landed column: its canonical name and every header it has been published under."""

    name: str
    aliases: tuple[str, ...]
    required: bool = True
    kind: str = "text"  # text | measure (number or special code) | date


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    file_stems: tuple[str, ...]  # england_<stem>.csv / <LA>_<stem>.csv in a download folder
    columns: tuple[Column, ...]
    encoding: str = "utf-8"  # performance tables: UTF-8 (usually with BOM); GIAS: cp1252
    per_year: bool = True
    # Performance-tables files end with their national summary rows; one that does not was cut short.
    ends_with_national_rows: bool = False
    # Year-suffixed trend columns (e.g. PTRWM_EXP_18) end at the year before the file's own year.
    trend_column_prefix: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    # Datasets that are not per-year performance tables: the folder under a mirror that holds
    # them (default: the dataset's name) and which file names in it are read; any other file
    # there is set aside and named in the build's log.
    folder: str | None = None
    file_pattern: str = r"^[^.~].*\.(csv|xlsx)$"
    # A dataset whose files are read together (one file describes another) lands them all at once:
    # land_files(files, snapshots) -> the landed table. None: each file is landed on its own.
    land_files: Callable | None = None

    @property
    def measure_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "measure"]


def col(name: str, *aliases: str, required: bool = True, kind: str = "text") -> Column:
    return Column(name, tuple(a.upper() for a in (aliases or (name,))), required, kind)


def measure(name: str, *aliases: str, required: bool = True) -> Column:
    return col(name, *aliases, required=required, kind="measure")
