"""Deterministic synthetic data in the real DfE file formats (the built-in demo source).

Same config -> identical bytes. Everything here is SYNTHETIC: school names, numbers and the
support-activity log are invented; only the LA codes and names are real (from the la_codes seed).

What it writes, laid out like a DfE download folder (the `mirror` source reads the same layout):

    <root>/<YYYY-YYYY>/england_ks2final.csv   KS2 final   (UTF-8 BOM, CRLF, `68%`, RECTYPE 1/2/3/4/5)
    <root>/<YYYY-YYYY>/england_ks4final.csv   KS4 final   (UTF-8 BOM, LF, `68.30%`, RECTYPE 1/2/4/5/7)
    <root>/<YYYY-YYYY>/england_abs.csv        absence     (UTF-8 BOM, LF, NAT rows with PRI/SEC/SPE)
    <root>/<YYYY-YYYY>/england_census.csv     census      (UTF-8 BOM, CRLF, NAT rows)
    <root>/gias/edubasealldata<date>.csv      GIAS register (cp1252)
    <root>/gias/links_edubasealldata<date>.csv academy conversions as Predecessor/Successor links
    <root>/support_activity/*.csv, *.xlsx     the pilot's own activity log: a delivery per sender, one messy
    <root>/demo_truth.json                    the planted effects, so estimates can be checked

The planted effect: schools in the treated combined-authority LAs (391, 392, 929) get a shift
in every academic year that starts after the pilot began (2022/23 onwards).

Benchmarks can multiply the data (DemoConfig.scale): see DemoConfig for how.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl

from orchestration.exports import save_workbook_reproducibly
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources.catalogue import YEARS_PUBLISHED, year_folder

TREATED_LAS = (391, 392, 929)
NAMED_COMPARATORS = (879, 359, 816, 826, 332, 936, 880, 352)
GIAS_EXTRACT_DATE = "20240901"
FIRST_YEAR, LAST_YEAR = 2016, 2024  # academic years 2016/17 .. 2024/25 (start years)

# National levels per academic-year start, close to DfE's published figures (domain.md §3).
KS2_RWM_LEVEL = {2016: 61.0, 2017: 64.0, 2018: 65.0, 2022: 59.5, 2023: 61.0, 2024: 62.5}
ATT8_LEVEL = {2016: 46.3, 2017: 46.5, 2018: 46.7, 2021: 48.8, 2022: 46.3, 2023: 45.9, 2024: 46.0}
ABSENCE_LEVEL = {2016: 4.7, 2017: 4.8, 2018: 4.7, 2021: 7.6, 2022: 7.4, 2023: 7.1, 2024: 6.8}
FSM_EVER_SHIFT = {2016: 0.0, 2017: -0.6, 2018: -0.5, 2020: 2.5, 2021: 4.0, 2022: 5.0, 2023: 5.8, 2024: 6.3}
REGION_DISADVANTAGE = {"North East": 0.06, "North West": 0.04, "London": 0.05, "South East": -0.06,
                       "South West": -0.04, "East of England": -0.04}


# Replica schools (DemoConfig.scale > 1) take URNs from here up: clear of the national demo's
# original (100000+) and academy (136000+) URNs and of the independent schools' 400xxx.
REPLICA_URN_BASE = 500000
MAX_URN = 999998  # 999999 is the demo's "URN not in GIAS" in the messy support delivery


@dataclass(frozen=True)
class DemoConfig:
    """Knobs of the demo. Defaults are the documented national demo.

    scale (benchmarks only): N times the schools, so N times the rows in every school-level file.
    LA codes are real 3-digit codes that must exist in the la_codes seed, so there is no room for
    N times the LAs: instead each LA gets N replicas of its schools. Replica 0 is the unscaled
    demo itself (same draws, URNs and bytes). Replica r >= 1 of an LA has the same number of
    primary, secondary and special schools and shares the LA-level traits (disadvantage level,
    quality component, region), but every school-level trait (disadvantage, quality, cohort,
    conversion and opening year, name) and every yearly outcome is an independent draw (its own
    generators seeded with r), and its URNs are new: original URN REPLICA_URN_BASE + (r - 1) x 2B
    + i, academy URN that + B (B = national school count, i = the school's national index), so a
    scale of at most 13 fits in six digits. Support-activity logs cover the replicas too (a
    sender's rows for its replica-0 schools are those of the unscaled demo). Years are not multiplied: the DfE
    catalogue fixes which academic years exist. A scaled demo is N times as large, not national,
    so a build of it skips the national row-count expectations (like --partial).
    """

    seed: int = 2022
    la_codes: tuple[int, ...] | None = None  # None = every live LA
    scale: int = 1  # benchmarks: N replicas of every LA's schools (see above)
    planted_effects: dict[str, float] = field(
        default_factory=lambda: {
            "ks2_rwm_expected_pct": 2.0,  # percentage points
            "ks4_attainment8": 1.0,  # Attainment 8 points
            "overall_absence_pct": -0.5,  # percentage points
        }
    )

    def implied_effects(self) -> dict[str, float]:
        """The true effect on every measure the estimates report, given the planted shifts.

        Persistent absence is generated as 2.6 x overall absence (minus noise), so it moves by 2.6
        times the absence shift; disadvantage gaps are untouched (both groups shift alike).
        """
        absence = self.planted_effects.get("overall_absence_pct", 0.0)
        return {
            "ks2_rwm_expected_pct": self.planted_effects.get("ks2_rwm_expected_pct", 0.0),
            "ks2_rwm_disadvantage_gap_pp": 0.0,
            "ks4_attainment8": self.planted_effects.get("ks4_attainment8", 0.0),
            "ks4_attainment8_disadvantage_gap": 0.0,
            "overall_absence_pct": absence,
            "persistent_absence_pct": 2.6 * absence,
        }

    def __post_init__(self) -> None:
        if not isinstance(self.scale, int) or self.scale < 1:
            raise ValueError(f"demo scale must be a whole number >= 1, not {self.scale!r}")

    def as_record(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    def fingerprint(self) -> str:
        """Names the cached demo folder: changes with the config and with the demo package's code."""
        code = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()
        return hashlib.sha256(json.dumps([asdict(self), code], sort_keys=True).encode()).hexdigest()[:16]


def _live_las() -> list[dict]:
    with open(DBT_PROJECT_DIR / "seeds" / "la_codes.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["valid_to"]]
    return sorted(rows, key=lambda r: int(r["la_code"]))


# Before a reorganisation, files carry the old 3-digit code (domain.md §2).
def _published_la_code(current: np.ndarray, old_choice: np.ndarray, year: int) -> np.ndarray:
    out = current.copy()
    if year < 2019:  # BCP 839 <- Bournemouth 837 / Poole 836 / Dorset 835; Dorset 838 <- 835
        out = np.where(current == 839, old_choice, out)
        out = np.where(current == 838, 835, out)
    if year < 2021:  # Northamptonshire 928 -> 940, 941 (April 2021)
        out = np.where(np.isin(current, (940, 941)), 928, out)
    if year < 2023:  # Cumbria 909 -> 942, 943 (April 2023)
        out = np.where(np.isin(current, (942, 943)), 909, out)
    return out


def build_register(config: DemoConfig) -> pl.DataFrame:
    """One row per school as first opened (its original URN), with latent traits."""
    las = _live_las()
    frames = []
    next_index = 0
    for la in las:
        code = int(la["la_code"])
        # Per-LA generator: a few-LA demo is an exact subset of the national one.
        rng = np.random.default_rng([config.seed, code])
        if code in (201, 420):  # City of London, Isles of Scilly: a handful of schools
            n_pri, n_sec, n_spe = 2, 1, 0
        else:
            size = float(np.exp(rng.normal(0.0, 0.45)))
            n_pri = max(8, int(round(95 * size)))
            n_sec = max(2, int(round(n_pri * rng.uniform(0.17, 0.23))))
            n_spe = max(1, int(round(n_pri * 0.06)))
        n = n_pri + n_sec + n_spe
        index = np.arange(next_index, next_index + n)
        next_index += n
        if config.la_codes is not None and code not in config.la_codes:
            continue
        phase = np.array(["Primary"] * n_pri + ["Secondary"] * n_sec + ["Not applicable"] * n_spe)
        region_shift = REGION_DISADVANTAGE.get(la["region_name"], 0.0)
        la_disadvantage = 0.24 + region_shift + rng.normal(0, 0.04)
        la_quality: float | None = None  # drawn by replica 0, shared by the others
        for replica in range(config.scale):
            if replica:  # independent school-level draws for each further replica
                rng = np.random.default_rng([config.seed, code, replica])
            disadvantage = np.clip(rng.beta(2.2, 6.5, n) + la_disadvantage - 0.25, 0.02, 0.85)
            school_quality = rng.normal(0, 1, n)
            if la_quality is None:
                la_quality = rng.normal(0, 0.25)
            quality = school_quality + la_quality  # school + LA component
            cohort = np.where(
                phase == "Primary", np.clip(rng.normal(38, 16, n), 6, 120),
                np.where(phase == "Secondary", np.clip(rng.normal(185, 60, n), 40, 360),
                         np.clip(rng.normal(12, 4, n), 3, 30)),
            ).round()
            # Academy conversion: a start year per school (<= 2015 means already an academy).
            convert_year = rng.integers(2008, 2036, n)
            convert_year = np.where(phase == "Secondary", convert_year - 4, convert_year)
            # A few brand-new (free) schools opening within the panel; the rest are long open.
            open_year = np.where(rng.random(n) < 0.02, rng.integers(2017, 2024, n), 1990)
            old_code_choice = rng.choice([835, 836, 837], n)
            frames.append(pl.DataFrame({
                "school_index": index,
                "la_code": np.full(n, code),
                "la_name": [la["la_name"]] * n,
                "region_name": [la["region_name"]] * n,
                "phase": phase,
                "disadvantage": disadvantage,
                "quality": quality,
                "cohort": cohort,
                "convert_year": convert_year,
                "open_year": open_year,
                "old_la_code_choice": old_code_choice,
                "name_seed": rng.integers(0, 1_000_000, n),
            }).with_columns(replica=pl.lit(replica)))
    schools = pl.concat(frames)
    if config.scale > 1 and REPLICA_URN_BASE + 2 * (config.scale - 1) * next_index > MAX_URN + 1:
        raise ValueError(f"demo scale {config.scale} needs more than six-digit URNs "
                         f"({next_index:,} schools per replica)")
    replica, base = pl.col("replica"), pl.col("school_index")
    replica_urn = REPLICA_URN_BASE + (replica - 1) * 2 * next_index + base
    return schools.with_columns(
        national_school_count=pl.lit(next_index),
        original_urn=pl.when(replica == 0).then(100000 + base).otherwise(replica_urn),
        converted_urn=pl.when(replica == 0).then(136000 + base).otherwise(replica_urn + next_index),
    ).with_columns(
        # Unique across replicas (estab numbers below, yearly draws in school_years).
        school_index=base + replica * next_index,
        is_special=pl.col("phase") == "Not applicable",
    ).with_columns(
        estab=pl.when(pl.col("phase") == "Primary").then(2000 + pl.col("school_index") % 1900)
        .when(pl.col("phase") == "Secondary").then(4000 + pl.col("school_index") % 900)
        .otherwise(7000 + pl.col("school_index") % 900),
    )


PLACES = ["Ashfield", "Brookside", "Castle", "Dene", "Elmwood", "Fenwick", "Greenbank", "Highfield",
          "Ivy Lane", "Jubilee", "Kingsway", "Larkspur", "Meadow", "Northgate", "Oakridge", "Parkside",
          "Queensway", "Riverside", "Southfield", "Thornhill", "Upton", "Valley", "Westfield", "Yew Tree"]
PREFIXES = ["", "", "", "St Mary\u2019s ", "St Th\u00e9r\u00e8se ", "Holy Trinity ", "St Aidan\u2019s "]


def _school_names(schools: pl.DataFrame) -> list[str]:
    names = []
    for seed, phase in zip(schools["name_seed"].to_list(), schools["phase"].to_list()):
        place = PLACES[seed % len(PLACES)]
        prefix = PREFIXES[(seed // 31) % len(PREFIXES)]
        kind = {"Primary": "Primary School", "Secondary": "Academy" if seed % 3 == 0 else "High School"}
        names.append(f"{prefix}{place} {kind.get(phase, 'Special School')} ({seed % 97})")
    return names


def school_years(schools: pl.DataFrame, config: DemoConfig) -> pl.DataFrame:
    """One row per school per academic-year start, with true (unsuppressed) outcomes."""
    out = []
    mean_d = 0.25  # a constant, not the sample mean, so a few-LA demo is a slice of the national one
    n_national = schools["national_school_count"][0]
    replica = schools["replica"].to_numpy()
    index = schools["school_index"].to_numpy() - replica * n_national  # the school's national index
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        noise = np.empty((6, schools.height))
        for r in np.unique(replica):  # replica 0 is the unscaled demo: its own seed, unchanged
            rng = np.random.default_rng([config.seed, year, 7] + ([int(r)] if r else []))
            # Draw for every school in the national order, then pick ours: subsets stay identical.
            noise[:, replica == r] = rng.normal(0, 1, (6, n_national))[:, index[replica == r]]
        df = schools.with_columns(year=pl.lit(year))
        treated = df["la_code"].is_in(list(TREATED_LAS)).to_numpy() & (year >= 2022)
        d = np.clip(df["disadvantage"].to_numpy() + FSM_EVER_SHIFT.get(year, 3.0) / 100, 0.01, 0.9)
        q = df["quality"].to_numpy()
        cohort = np.maximum(3, np.round(df["cohort"].to_numpy() * (1 + 0.08 * noise[0])))
        rwm = (KS2_RWM_LEVEL.get(year, 60.0) + 7 * q - 30 * (d - mean_d) + 6 * noise[1]
               + treated * config.planted_effects.get("ks2_rwm_expected_pct", 0.0))
        att8 = (ATT8_LEVEL.get(year, 46.0) + 4.5 * q - 18 * (d - mean_d) + 2.5 * noise[2]
                + treated * config.planted_effects.get("ks4_attainment8", 0.0))
        absence = (ABSENCE_LEVEL.get(year, 5.0) - 0.35 * q + 4.0 * (d - mean_d) + 0.6 * noise[3]
                   + treated * config.planted_effects.get("overall_absence_pct", 0.0))
        special = df["is_special"].to_numpy()
        absence = np.where(special, absence + 4.5, absence)
        rwm_gap = np.clip(20 + 5 * noise[4], 5, 40)  # non-disadvantaged minus disadvantaged
        att8_gap = np.clip(13 + 3 * noise[5], 2, 30)
        out.append(df.with_columns(
            cohort_year=cohort,
            fsm_share=d,
            rwm_pct=np.clip(rwm, 0, 100),
            rwm_dis_pct=np.clip(rwm - rwm_gap * (1 - d), 0, 100),
            rwm_nondis_pct=np.clip(rwm + rwm_gap * d, 0, 100),
            rwm_high_pct=np.clip(rwm * 0.15 + 2 * noise[4], 0, 100),
            read_prog=0.5 * q + 1.2 * noise[5],
            writ_prog=0.4 * q + 1.3 * noise[2],
            mat_prog=0.5 * q + 1.2 * noise[3],
            att8=np.clip(att8, 5, 90),
            att8_dis=np.clip(att8 - att8_gap * (1 - d), 0, 90),
            att8_nondis=np.clip(att8 + att8_gap * d, 0, 90),
            p8=np.clip(0.35 * q + 0.25 * noise[1], -3, 3),
            basics94=np.clip(65 + 2.4 * (att8 - ATT8_LEVEL.get(year, 46.0)), 0, 100),
            absence_pct=np.clip(absence, 1.0, 40),
            persistent_pct=np.clip(2.6 * absence - 1.5 + 1.5 * noise[0], 0, 100),
            eal_pct=np.clip(12 + 10 * noise[4] ** 2 * (df["region_name"] == "London").to_numpy() + 3 * noise[5], 0, 95),
            sen_ehcp_pct=np.where(special, 98.0, np.clip(2.0 + 0.8 * noise[1], 0, 20)),
            sen_support_pct=np.where(special, 1.5, np.clip(12.5 + 3 * noise[2], 0, 40)),
        ))
    panel = pl.concat(out)
    # URN in force: original until the conversion year, converted academy URN from then on.
    return panel.with_columns(
        is_academy=pl.col("year") >= pl.col("convert_year"),
        urn=pl.when(pl.col("year") >= pl.col("convert_year"))
        .then(pl.col("converted_urn")).otherwise(pl.col("original_urn")),
        is_new=pl.col("year") == pl.col("open_year"),
    ).filter(pl.col("year") >= pl.col("open_year"))


# ---------------------------------------------------------------------------------------------
# Formatting helpers: DfE's text conventions.

def _pct(values: pl.Expr, decimals: int) -> pl.Expr:
    return pl.format("{}%", values.round(decimals).cast(pl.Float64).map_elements(
        lambda v: f"{v:.{decimals}f}", return_dtype=pl.String)) if decimals else pl.format(
        "{}%", values.round(0).cast(pl.Int64))


def _num(values: pl.Expr, decimals: int) -> pl.Expr:
    rounded = values.round(decimals)
    rounded = pl.when(rounded == 0).then(0.0).otherwise(rounded)  # DfE prints 0.0, never -0.0
    return rounded.cast(pl.String) if decimals else values.round(0).cast(pl.Int64).cast(pl.String)


def _quoted(values: pl.Expr) -> pl.Expr:
    return pl.format('"{}"', values.str.replace_all('"', '""'))


def _write_csv(path: Path, frame: pl.DataFrame, *, bom: bool, crlf: bool, ragged: pl.Series | None = None,
               encoding: str = "utf-8") -> None:
    """Write an all-text frame as CSV, letting chosen rows drop trailing empty fields (ragged)."""
    line = pl.concat_str([pl.col(c).fill_null("") for c in frame.columns], separator=",")
    lines = frame.select(line.alias("line"))["line"]
    if ragged is not None:
        trimmed = lines.str.replace(r",+$", "")
        lines = pl.select(pl.when(ragged).then(trimmed).otherwise(lines)).to_series()
    eol = "\r\n" if crlf else "\n"
    text = ",".join(frame.columns) + eol + eol.join(lines.to_list()) + eol
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _academic_year_label(year: int) -> str:
    return f"{year}/{str(year + 1)[2:]}"


def _suppress(value: pl.Expr, count: pl.Expr, threshold: int, code: str = "SUPP") -> pl.Expr:
    return pl.when(count <= threshold).then(pl.lit(code)).otherwise(value)


# ---------------------------------------------------------------------------------------------
# One writer per dataset.

def _school_identity(rows: pl.DataFrame, year: int) -> pl.DataFrame:
    la = _published_la_code(rows["la_code"].to_numpy(), rows["old_la_code_choice"].to_numpy(), year)
    return rows.with_columns(pub_la=pl.Series(la))


def write_ks2(root: Path, panel: pl.DataFrame, year: int) -> None:
    rows = _school_identity(panel.filter((pl.col("year") == year) & (pl.col("phase") == "Primary")
                                         | (pl.col("year") == year) & pl.col("is_special")), year)
    n = pl.col("cohort_year")
    n_dis = (n * pl.col("fsm_share")).round(0)
    counts = rows.with_columns(n_dis=n_dis, n_nondis=n - n_dis, fsm_pct=n_dis / n * 100)
    has_progress = year < 2023  # KS2 progress absent from 2023/24
    status_new = pl.col("is_new")
    school = counts.with_columns(
        RECTYPE=pl.when(pl.col("is_special")).then(pl.lit("2")).otherwise(pl.lit("1")),
        ALPHAIND=pl.col("name_seed").cast(pl.String),
        LEA=pl.col("pub_la").cast(pl.String),
        ESTAB=pl.col("estab").cast(pl.String),
        URN=pl.col("urn").cast(pl.String),
        SCHNAME=_quoted(pl.Series(_school_names(counts))),
        NFTYPE=pl.when(pl.col("is_special")).then(pl.lit("CYS"))
        .when(pl.col("is_academy")).then(pl.lit("AC")).otherwise(pl.lit("CY")),
        TELIG=_num(n, 0),
        TFSM6CLA1A=_num(pl.col("n_dis"), 0),
        PTFSM6CLA1A=_pct(pl.col("n_dis") / n * 100, 0),
        TNotFSM6CLA1A=_num(pl.col("n_nondis"), 0),
        PTRWM_EXP=_suppress(_pct((pl.col("rwm_pct") * n / 100).round(0) / n * 100, 0), n, 10),
        PTRWM_HIGH=_suppress(_pct(pl.col("rwm_high_pct"), 0), n, 10),
        READPROG=_suppress(_num(pl.col("read_prog"), 1), n, 10),
        WRITPROG=_suppress(_num(pl.col("writ_prog"), 1), n, 10),
        MATPROG=_suppress(_num(pl.col("mat_prog"), 1), n, 10),
        PTRWM_EXP_FSM6CLA1A=_suppress(_pct(pl.col("rwm_dis_pct"), 0), pl.col("n_dis"), 5),
        PTRWM_EXP_NotFSM6CLA1A=_suppress(_pct(pl.col("rwm_nondis_pct"), 0), pl.col("n_nondis"), 5),
    )
    # LOWCOV on progress for ~1% of schools; NEW for schools in their first year.
    lowcov = (pl.col("name_seed") % 97) == year % 97
    school = school.with_columns(
        [pl.when(lowcov).then(pl.lit("LOWCOV")).otherwise(pl.col(c)).alias(c)
         for c in ("READPROG", "WRITPROG", "MATPROG")]
    ).with_columns(
        [pl.when(status_new).then(pl.lit("NEW")).otherwise(pl.col(c)).alias(c)
         for c in ("PTRWM_EXP", "PTRWM_HIGH", "READPROG", "WRITPROG", "MATPROG",
                   "PTRWM_EXP_FSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A")]
    )
    yy = str(year + 1)[2:]
    trend = [f"PTRWM_EXP_{int(yy) - k}" for k in (2, 1)]  # roll-forward trend columns: ignored
    school = school.with_columns([pl.lit(None, pl.String).alias(t) for t in trend])
    columns = ["RECTYPE", "ALPHAIND", "LEA", "ESTAB", "URN", "SCHNAME", "NFTYPE", "TELIG",
               "TFSM6CLA1A", "PTFSM6CLA1A", "TNotFSM6CLA1A", "PTRWM_EXP", "PTRWM_HIGH"]
    if has_progress:
        columns += ["READPROG", "WRITPROG", "MATPROG"]
    columns += ["PTRWM_EXP_FSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A", *trend]

    summaries = _ks_summaries(
        counts, year, cohort="cohort_year", la_rectype="3", national=("4", "5"),
        measures={"PTRWM_EXP": ("rwm_pct", "pct0"), "PTRWM_HIGH": ("rwm_high_pct", "pct0"),
                  "READPROG": ("read_prog", "num1"), "WRITPROG": ("writ_prog", "num1"),
                  "MATPROG": ("mat_prog", "num1"), "PTFSM6CLA1A": ("fsm_pct", "pct0"),
                  "PTRWM_EXP_FSM6CLA1A": ("rwm_dis_pct", "pct0", "n_dis"),
                  "PTRWM_EXP_NotFSM6CLA1A": ("rwm_nondis_pct", "pct0", "n_nondis")},
        count_columns={"TELIG": "cohort_year", "TFSM6CLA1A": "n_dis", "TNotFSM6CLA1A": "n_nondis"},
        blank=" ",  # KS2 summary rows use a single space for empty fields
    )
    frame = pl.concat([school.select(columns), summaries.select(
        [pl.col(c) if c in summaries.columns else pl.lit(" ").alias(c) for c in columns])])
    ragged = pl.Series([False] * school.height + [False] * summaries.height)
    _write_csv(root / year_folder(_academic_year_label(year)) / "england_ks2final.csv", frame,
               bom=True, crlf=True, ragged=ragged)


def _ks_summaries(rows: pl.DataFrame, year: int, *, cohort: str, la_rectype: str, national: tuple[str, str],
                  measures: dict, count_columns: dict, blank: str, pct_decimals: int = 0) -> pl.DataFrame:
    """LA and national rows: cohort-weighted means of the true (unsuppressed) school values."""
    def fmt(expr: pl.Expr, style: str) -> pl.Expr:
        if style.startswith("pct"):
            return _pct(expr, int(style[3:]) if style != "pct" else pct_decimals)
        return _num(expr, int(style[3:]))

    def weight(spec: tuple) -> str:
        return spec[2] if len(spec) > 2 else cohort

    aggs = [((pl.col(spec[0]) * pl.col(weight(spec))).sum() / pl.col(weight(spec)).sum()).alias(name)
            for name, spec in measures.items()]
    aggs += [pl.col(src).sum().alias(name) for name, src in count_columns.items()]
    la = rows.group_by("pub_la").agg(aggs).sort("pub_la").with_columns(
        RECTYPE=pl.lit(la_rectype), LEA=pl.col("pub_la").cast(pl.String))
    nat = rows.select(aggs)
    nat = pl.concat([nat.with_columns(RECTYPE=pl.lit(r), LEA=pl.lit(blank)) for r in national])
    both = pl.concat([la.drop("pub_la"), nat], how="diagonal")
    return both.with_columns(
        [fmt(pl.col(name), spec[1]).alias(name) for name, spec in measures.items()]
        + [_num(pl.col(name), 0).alias(name) for name in count_columns]
    )


def write_ks4(root: Path, panel: pl.DataFrame, year: int) -> None:
    rows = _school_identity(panel.filter((pl.col("year") == year) & ((pl.col("phase") == "Secondary")
                                                                     | pl.col("is_special"))), year)
    n = pl.col("cohort_year")
    counts = rows.with_columns(n_dis=(n * pl.col("fsm_share")).round(0)).with_columns(
        n_nondis=n - pl.col("n_dis"), fsm_pct=pl.col("n_dis") / n * 100)
    pct_dec = 2 if year in (2016, 2017, 2023, 2024) else 0  # `68.30%` in 2016-18 and from 2023/24; `73%` in 2018/19
    basics = _pct(pl.col("basics94"), pct_dec)
    school = counts.with_columns(
        RECTYPE=pl.when(pl.col("is_special")).then(pl.lit("2")).otherwise(pl.lit("1")),
        LEA=pl.col("pub_la").cast(pl.String),
        ESTAB=pl.col("estab").cast(pl.String),
        URN=pl.col("urn").cast(pl.String),
        SCHNAME=_quoted(pl.Series(_school_names(counts))),
        NFTYPE=pl.when(pl.col("is_special")).then(pl.lit("CYS"))
        .when(pl.col("is_academy")).then(pl.lit("ACC")).otherwise(pl.lit("CY")),
        TPUP=_num(n, 0),
        TFSM6CLA1A=_num(pl.col("n_dis"), 0),
        PTFSM6CLA1A=_pct(pl.col("n_dis") / n * 100, pct_dec),
        ATT8SCR=_suppress(_num(pl.col("att8"), 1), n, 5),
        P8MEA=_suppress(_num(pl.col("p8"), 2), n, 5),
        PTL2BASICS_94=_suppress(basics, n, 5),
        EBACCAPS=_suppress(_num(pl.col("att8") / 10 - 0.6, 2), n, 5),
        ATT8SCR_FSM6CLA1A=_suppress(_num(pl.col("att8_dis"), 1), pl.col("n_dis"), 5),
        ATT8SCR_NFSM6CLA1A=_suppress(_num(pl.col("att8_nondis"), 1), pl.col("n_nondis"), 5),
    ).with_columns(
        [pl.when(pl.col("is_new")).then(pl.lit("NEW")).otherwise(pl.col(c)).alias(c)
         for c in ("ATT8SCR", "P8MEA", "PTL2BASICS_94", "EBACCAPS", "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A")]
        # Special schools that entered no pupils for the EBacc publish NE (no entries).
        + [pl.when(pl.col("is_special") & (pl.col("name_seed") % 3 == 0)).then(pl.lit("NE"))
           .otherwise(pl.col("EBACCAPS")).alias("EBACCAPS_NE")]
    ).with_columns(EBACCAPS=pl.col("EBACCAPS_NE"))
    columns = ["RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "NFTYPE", "TPUP", "TFSM6CLA1A", "PTFSM6CLA1A",
               "ATT8SCR", "P8MEA", "PTL2BASICS_94", "EBACCAPS", "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A"]
    yy = int(str(year + 1)[2:])
    trend = [f"ATT8SCR_{yy - 1}"]
    school = school.with_columns(pl.lit(None, pl.String).alias(trend[0]))
    columns += trend
    # Independent schools appear in KS4 files with `NP` for most measures (not state-funded).
    independents = _independent_rows(counts, year, columns)
    summaries = _ks_summaries(
        counts, year, cohort="cohort_year", la_rectype="4", national=("5", "7"),
        measures={"ATT8SCR": ("att8", "num1"), "P8MEA": ("p8", "num2"), "PTL2BASICS_94": ("basics94", "pct"),
                  "PTFSM6CLA1A": ("fsm_pct", "pct"),
                  "ATT8SCR_FSM6CLA1A": ("att8_dis", "num1", "n_dis"),
                  "ATT8SCR_NFSM6CLA1A": ("att8_nondis", "num1", "n_nondis")},
        count_columns={"TPUP": "cohort_year", "TFSM6CLA1A": "n_dis"}, blank="", pct_decimals=pct_dec,
    )
    frame = pl.concat([
        school.select(columns), independents,
        summaries.select([pl.col(c) if c in summaries.columns else pl.lit(None, pl.String).alias(c)
                          for c in columns]),
    ])
    if year >= 2024:  # no Progress 8 for 2024/25: these pupils sat no KS2 tests in 2020
        frame = frame.with_columns(P8MEA=pl.lit("NA"))
    # New schools publish a short row: trailing empty fields are simply omitted.
    ragged = pl.concat([school["is_new"], pl.Series([True] * independents.height),
                        pl.Series([False] * summaries.height)])
    _write_csv(root / year_folder(_academic_year_label(year)) / "england_ks4final.csv", frame,
               bom=True, crlf=False, ragged=ragged)


def _independent_rows(counts: pl.DataFrame, year: int, columns: list[str]) -> pl.DataFrame:
    las = counts.select("pub_la").unique().sort("pub_la").head(40)
    return las.with_columns(
        RECTYPE=pl.lit("1"), LEA=pl.col("pub_la").cast(pl.String),
        ESTAB=pl.lit("6001"), URN=(400000 + pl.col("pub_la")).cast(pl.String),
        SCHNAME=pl.format('"Independent College {}"', pl.col("pub_la")), NFTYPE=pl.lit("IND"),
        TPUP=pl.lit("45"), TFSM6CLA1A=pl.lit("NA"), PTFSM6CLA1A=pl.lit("NA"),
        ATT8SCR=pl.lit("NP"), P8MEA=pl.lit("NP"), PTL2BASICS_94=pl.lit("NP"), EBACCAPS=pl.lit("NP"),
        ATT8SCR_FSM6CLA1A=pl.lit("NP"), ATT8SCR_NFSM6CLA1A=pl.lit("NP"),
    ).select([pl.col(c) if c in ("RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "NFTYPE", "TPUP", "TFSM6CLA1A",
                                 "PTFSM6CLA1A", "ATT8SCR", "P8MEA", "PTL2BASICS_94", "EBACCAPS",
                                 "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A")
              else pl.lit(None, pl.String).alias(c) for c in columns])


def _pupils_on_roll() -> pl.Expr:
    return pl.when(pl.col("phase") == "Primary").then(pl.col("cohort_year") * 7) \
        .when(pl.col("phase") == "Secondary").then(pl.col("cohort_year") * 5.6) \
        .otherwise(pl.col("cohort_year") * 9).round(0)


def _phase_code() -> pl.Expr:
    return pl.when(pl.col("phase") == "Primary").then(pl.lit("PRI")) \
        .when(pl.col("phase") == "Secondary").then(pl.lit("SEC")).otherwise(pl.lit("SPE"))


def write_absence(root: Path, panel: pl.DataFrame, year: int) -> None:
    rows = _school_identity(panel.filter(pl.col("year") == year), year).with_columns(nor=_pupils_on_roll())
    # Very small schools have their absence suppressed.
    school = rows.with_columns(
        LA=pl.col("pub_la").cast(pl.String), ESTAB=pl.col("estab").cast(pl.String), URN=pl.col("urn").cast(pl.String),
        PERCTOT=_suppress(_num(pl.col("absence_pct"), 1), pl.col("nor"), 20),
        PPERSABS10=_suppress(_num(pl.col("persistent_pct"), 1), pl.col("nor"), 20),
    )
    nat = rows.with_columns(code=_phase_code()).group_by("code").agg(
        PERCTOT=_num((pl.col("absence_pct") * pl.col("nor")).sum() / pl.col("nor").sum(), 1),
        PPERSABS10=_num((pl.col("persistent_pct") * pl.col("nor")).sum() / pl.col("nor").sum(), 1),
    ).sort("code").with_columns(LA=pl.lit("NAT"), ESTAB=pl.col("code"), URN=pl.lit(None, pl.String))
    columns = ["LA", "ESTAB", "URN", "PERCTOT", "PPERSABS10"]
    frame = pl.concat([school.select(columns), nat.select(columns)])
    _write_csv(root / year_folder(_academic_year_label(year)) / "england_abs.csv", frame, bom=True, crlf=False)


def write_census(root: Path, panel: pl.DataFrame, year: int) -> None:
    rows = _school_identity(panel.filter(pl.col("year") == year), year).with_columns(nor=_pupils_on_roll())
    rows = rows.with_columns(fsm_ever=(pl.col("nor") * pl.col("fsm_share")).round(0),
                             eal=(pl.col("nor") * pl.col("eal_pct") / 100).round(0),
                             ehcp=(pl.col("nor") * pl.col("sen_ehcp_pct") / 100).round(0),
                             sen_support=(pl.col("nor") * pl.col("sen_support_pct") / 100).round(0))
    school = rows.with_columns(
        URN=pl.col("urn").cast(pl.String), LA=pl.col("pub_la").cast(pl.String), ESTAB=pl.col("estab").cast(pl.String),
        SCHOOLTYPE=pl.when(pl.col("phase") == "Primary").then(pl.lit("State-funded primary"))
        .when(pl.col("phase") == "Secondary").then(pl.lit("State-funded secondary"))
        .otherwise(pl.lit("State-funded special school")),
        NOR=_num(pl.col("nor"), 0), TSENELSE=_num(pl.col("ehcp"), 0),
        PSENELSE=_num(pl.col("ehcp") / pl.col("nor") * 100, 1), TSENELK=_num(pl.col("sen_support"), 0),
        PSENELK=_num(pl.col("sen_support") / pl.col("nor") * 100, 1), NUMEAL=_num(pl.col("eal"), 0),
        PNUMEAL=_num(pl.col("eal") / pl.col("nor") * 100, 1), NUMFSMEVER=_num(pl.col("fsm_ever"), 0),
        PNUMFSMEVER=_num(pl.col("fsm_ever") / pl.col("nor") * 100, 1),
    )
    nat = rows.with_columns(code=_phase_code()).group_by("code").agg(
        NOR=pl.col("nor").sum(), TSENELSE=pl.col("ehcp").sum(), TSENELK=pl.col("sen_support").sum(),
        NUMEAL=pl.col("eal").sum(),
        NUMFSMEVER=pl.col("fsm_ever").sum(),
    ).sort("code").with_columns(
        URN=pl.lit("NAT"), LA=pl.lit(None, pl.String), ESTAB=pl.col("code"),
        SCHOOLTYPE=pl.col("code").replace({"PRI": "State-funded primary", "SEC": "State-funded secondary",
                                           "SPE": "State-funded special school"}),
        PSENELSE=pl.col("TSENELSE") / pl.col("NOR") * 100, PSENELK=pl.col("TSENELK") / pl.col("NOR") * 100,
        PNUMEAL=pl.col("NUMEAL") / pl.col("NOR") * 100,
        PNUMFSMEVER=pl.col("NUMFSMEVER") / pl.col("NOR") * 100,
    ).with_columns([_num(pl.col(c), 0).alias(c) for c in ("NOR", "TSENELSE", "TSENELK", "NUMEAL", "NUMFSMEVER")]
                   + [_num(pl.col(c), 1).alias(c) for c in ("PSENELSE", "PSENELK", "PNUMEAL", "PNUMFSMEVER")])
    columns = ["URN", "LA", "ESTAB", "SCHOOLTYPE", "NOR", "TSENELSE", "PSENELSE", "TSENELK", "PSENELK",
               "NUMEAL", "PNUMEAL", "NUMFSMEVER", "PNUMFSMEVER"]
    frame = pl.concat([school.select(columns), nat.select(columns)])
    _write_csv(root / year_folder(_academic_year_label(year)) / "england_census.csv", frame, bom=True, crlf=True)


def write_gias(root: Path, schools: pl.DataFrame) -> None:
    """The GIAS register as of the extract date (cp1252) and its links file."""
    schools = schools.with_columns(
        name=pl.Series(_school_names(schools)),
        converted=pl.col("convert_year") <= LAST_YEAR + 1,  # converted by Sept 2024
    )
    # Before conversion: the maintained school (closed on conversion if it converted).
    maintained = schools.with_columns(
        URN=pl.col("original_urn"),
        type_code=pl.when(pl.col("is_special")).then(pl.lit("7")).otherwise(pl.lit("1")),
        type_name=pl.when(pl.col("is_special")).then(pl.lit("Community special school")).otherwise(pl.lit("Community school")),
        group_name=pl.lit("Local authority maintained schools"),
        status=pl.when(pl.col("converted")).then(pl.lit("Closed")).otherwise(pl.lit("Open")),
        open_date=pl.format("01-09-{}", pl.col("open_year")),
        close_date=pl.when(pl.col("converted")).then(pl.format("31-08-{}", pl.col("convert_year"))).otherwise(pl.lit("")),
        reason_closed=pl.when(pl.col("converted")).then(pl.lit("Academy Converter")).otherwise(pl.lit("Not applicable")),
    )
    academies = schools.filter(pl.col("converted")).with_columns(
        URN=pl.col("converted_urn"),
        type_code=pl.when(pl.col("is_special")).then(pl.lit("33")).otherwise(pl.lit("28")),
        type_name=pl.when(pl.col("is_special")).then(pl.lit("Academy special converter")).otherwise(pl.lit("Academy converter")),
        group_name=pl.lit("Academies"), status=pl.lit("Open"),
        open_date=pl.format("01-09-{}", pl.col("convert_year")), close_date=pl.lit(""),
        reason_closed=pl.lit("Not applicable"),
    )
    both = pl.concat([maintained, academies]).sort("URN")
    frame = both.select(
        pl.col("URN").cast(pl.String).alias("URN"),
        pl.col("la_code").cast(pl.String).alias("LA (code)"),
        _quoted(pl.col("la_name")).alias("LA (name)"),
        pl.col("estab").cast(pl.String).alias("EstablishmentNumber"),
        _quoted(pl.col("name")).alias("EstablishmentName"),
        pl.col("type_code").alias("TypeOfEstablishment (code)"),
        _quoted(pl.col("type_name")).alias("TypeOfEstablishment (name)"),
        _quoted(pl.col("group_name")).alias("EstablishmentTypeGroup (name)"),
        _quoted(pl.col("status")).alias("EstablishmentStatus (name)"),
        _quoted(pl.col("reason_closed")).alias("ReasonEstablishmentClosed (name)"),
        pl.col("open_date").alias("OpenDate"),
        pl.col("close_date").alias("CloseDate"),
        _quoted(pl.col("phase")).alias("PhaseOfEducation (name)"),
        pl.when(pl.col("phase") == "Secondary").then(pl.lit("11")).otherwise(pl.lit("4")).alias("StatutoryLowAge"),
        pl.when(pl.col("phase") == "Primary").then(pl.lit("11")).otherwise(pl.lit("16")).alias("StatutoryHighAge"),
        _num(pl.col("cohort") * 7, 0).alias("NumberOfPupils"),
        _num(pl.col("disadvantage") * 100, 1).alias("PercentageFSM"),
        _quoted(pl.col("region_name")).alias("GOR (name)"),
    )
    _write_csv(root / "gias" / f"edubasealldata{GIAS_EXTRACT_DATE}.csv", frame, bom=False, crlf=True,
               encoding="cp1252")
    conv = schools.filter(pl.col("converted"))
    conv_names = pl.col("name")
    date = pl.format("01-09-{}", pl.col("convert_year"))
    successor = conv.select(URN=pl.col("original_urn").cast(pl.String), LinkURN=pl.col("converted_urn").cast(pl.String),
                            LinkName=_quoted(conv_names), LinkType=pl.lit('"Successor"'), LinkEstablishedDate=pl.format('"{}"', date))
    predecessor = conv.select(URN=pl.col("converted_urn").cast(pl.String), LinkURN=pl.col("original_urn").cast(pl.String),
                              LinkName=_quoted(conv_names), LinkType=pl.lit('"Predecessor"'), LinkEstablishedDate=pl.format('"{}"', date))
    links = pl.concat([successor, predecessor]).sort("URN", "LinkURN")
    _write_csv(root / "gias" / f"links_edubasealldata{GIAS_EXTRACT_DATE}.csv", links, bom=False, crlf=True,
               encoding="cp1252")


PROVIDERS = [  # (name, type, GIAS group UID for a trust)
    ("North of Tyne Combined Authority", "combined_authority", ""),
    ("Local authority school improvement team", "local_authority", ""),
    ("Northern Lights Teaching School Hub", "teaching_school_hub", ""),
    ("Tyne Research School", "research_school", ""),
    ("Riverside Learning Trust", "multi_academy_trust", "16001"),
    ("RISE national programme", "national_programme", ""),
]
ACTIVITY_TYPES = ["support", "challenge", "sharing_practice", "cpd", "brokered_intervention", "peer_review"]
LEVELS = ["regional", "local", "cluster", "school"]
STRANDS = ["education_recovery", "teachers_and_leaders", "transition", "challenging_contexts", "career_pathways", "other"]
FUNDERS = ["la", "ca", "school", "trust", "dfe_grant"]
ADVISERS = ["Alex Morgan", "Sam Patel", "Jo Robson", "Chris Nguyen", "Pat O'Neill", "Kim Walker"]
SUPPORT_DELIVERY_DATE = "2024-07-19"  # every sender's full delivery
MESSY_SENDER, MESSY_DELIVERY_DATE = 929, "2023-01-16"  # an earlier, hand-typed Excel delivery


def support_activities(panel: pl.DataFrame, config: DemoConfig, sender: int) -> list[dict]:
    """One sender's activity log (all text, as a sender's export would hold it)."""
    local = (panel.filter((pl.col("year") == 2021) & (pl.col("la_code") == sender))
             .select("urn", "disadvantage", "name_seed").sort("urn"))
    is_ca = sender in TREATED_LAS
    rng = np.random.default_rng([config.seed, 99, sender])  # per sender: subsets stay identical
    rows = []
    for urn, dis, seed in local.iter_rows():
        # Support is targeted at need: more activities for more disadvantaged schools.
        count = rng.poisson(1.0 + 4.0 * dis + (1.0 if is_ca else 0.0))
        for k in range(count):
            provider, ptype, group_uid = PROVIDERS[rng.integers(0 if is_ca else 1, len(PROVIDERS))]
            start = np.datetime64("2021-09-01") + int(rng.integers(0, 1000))
            days = float(rng.choice([0.5, 1, 1, 2, 3, 5]))
            rows.append({
                "activity_id": f"{sender}-{urn}-{k + 1:02d}",
                "urn": str(urn),
                "provider_name": provider if ptype != "local_authority" else f"LA {sender} school improvement team",
                "provider_type": ptype,
                "provider_gias_group_uid": group_uid,
                "activity_type": ACTIVITY_TYPES[rng.integers(0, len(ACTIVITY_TYPES))],
                "level": LEVELS[rng.integers(0, len(LEVELS))],
                "programme_strand": STRANDS[rng.integers(0, len(STRANDS))] if is_ca else "other",
                "start_date": str(start),
                "end_date": str(start + int(rng.integers(0, 60))),
                "effort_days": f"{days:g}",
                "cost_gbp": f"{days * float(rng.choice([450, 550, 650])):.2f}",
                "funded_by": FUNDERS[rng.integers(0, len(FUNDERS))],
                "adviser_name": ADVISERS[(seed + k) % len(ADVISERS)],
                "notes": f"Visit notes for school {urn}: discussed priorities with the head.",
            })
    return rows


# The deliberately messy rows of the early Excel delivery: (column, value as typed, what is wrong).
# Each activity is sent again, correctly, in the sender's later full delivery, which resolves it.
MESS = [
    ("urn", "12345", "a 5-digit URN"),
    ("start_date", "31/13/2022", "no 13th month"),
    ("end_date", "2021-08-01", "ends before it starts"),
    ("effort_days", "two", "a word, not a number"),
    ("funded_by", "council", "not an allowed funder"),
    ("provider_type", "consultancy", "not an allowed provider type"),
    ("cost_gbp", "=D5*550", "a formula, not a value"),
    ("urn", "999999", "a URN that is not in GIAS"),
    ("level", "", "a required value left blank"),
]


def write_messy_delivery(path: Path, rows: list[dict]) -> None:
    """The first, hand-typed delivery as Excel: real date cells, some labels typed as shown on
    screen, a £ sign, an exact repeat, and the MESS rows. Every activity in it is re-sent later."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "activities"
    sheet.append(list(rows[0]))
    early = [r for r in rows if r["start_date"] < "2022-12-01"][:40]
    for i, row in enumerate(early):
        typed = dict(row)
        typed["start_date"] = datetime.date.fromisoformat(row["start_date"])  # a real Excel date cell
        typed["end_date"] = datetime.date.fromisoformat(row["end_date"])
        typed["effort_days"] = float(row["effort_days"])
        if i % 5 == 1:  # labels typed as people read them: accepted, normalised
            typed["provider_type"] = row["provider_type"].replace("_", " ").title()
        if i % 7 == 2:
            typed["cost_gbp"] = f"£{float(row['cost_gbp']):,.2f}"
        if i % 9 == 3:
            typed["start_date"] = datetime.date.fromisoformat(row["start_date"]).strftime("%d/%m/%Y")
        if i < len(MESS):
            column, value, _ = MESS[i]
            typed[column] = value
        sheet.append(list(typed.values()))
        if i == len(MESS):  # an exact repeat of a good row: counted once, reported as a note
            sheet.append(list(typed.values()))
    save_workbook_reproducibly(book, path)


def write_support_activity(root: Path, panel: pl.DataFrame, config: DemoConfig) -> None:
    """The pilot's activity log: a full CSV delivery per sender (each treated LA and each named
    comparator), plus one earlier, messy Excel delivery from Northumberland."""
    folder = root / "support_activity"
    folder.mkdir(parents=True, exist_ok=True)
    for sender in (*TREATED_LAS, *NAMED_COMPARATORS):
        rows = support_activities(panel, config, sender)
        if not rows:
            continue
        with open(folder / f"support_activity_{sender}_{SUPPORT_DELIVERY_DATE}.csv", "w", newline="",
                  encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        if sender == MESSY_SENDER:
            write_messy_delivery(folder / f"support_activity_{sender}_{MESSY_DELIVERY_DATE}.xlsx", rows)


def generate(root: Path, config: DemoConfig = DemoConfig()) -> Path:
    """Write the whole demo under root (replacing what is there) and return root."""
    root.mkdir(parents=True, exist_ok=True)
    schools = build_register(config)
    panel = school_years(schools, config)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        label = _academic_year_label(year)
        if label in YEARS_PUBLISHED["ks2"]:
            write_ks2(root, panel, year)
        if label in YEARS_PUBLISHED["ks4"]:
            write_ks4(root, panel, year)
        if label in YEARS_PUBLISHED["absence"]:
            write_absence(root, panel, year)
        if label in YEARS_PUBLISHED["census"]:
            write_census(root, panel, year)
    write_gias(root, schools)
    write_support_activity(root, panel, config)
    from orchestration.demo.lait import write_la_indicators  # here: lait imports this module
    write_la_indicators(root, panel, config)
    recorded = asdict(config)
    if config.scale == 1:  # the unscaled demo's truth file keeps its bytes from before `scale` existed
        del recorded["scale"]
    truth = {"synthetic": True, "config": recorded, "treated_la_codes": list(TREATED_LAS),
             "planted_effects": config.planted_effects, "implied_effects": config.implied_effects(),
             "effect_starts": "2022/23"}
    (root / "demo_truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return root
