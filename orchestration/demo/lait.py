"""LA-level indicators and statistical neighbours for the demo, in DfE's own layouts.

Everything here is SYNTHETIC, aggregated from the demo's own synthetic schools (the panel that
generator.school_years() returns), so the planted effect shows at LA level too. Written under the
demo root:

    <root>/lait/bds_long_demo.csv                  DfE's LA Interactive Tool (LAIT) long table:
                                                   `Short Desc,Data item,Years,LA and Regions,
                                                   Values,LA Number,Region` (UTF-8, LF)
    <root>/lait/lait_data_dictionary.csv           LAIT's data dictionary, one row per measure
                                                   written (R-style quoting, CRLF)
    <root>/statistical-neighbours/New_Statistical_Neighbour_Groupings_April_2021.csv
    <root>/statistical-neighbours/sn_model_2025_wide.csv
                                                   DfE's statistical-neighbour models (UTF-8 BOM)

LAIT conventions copied from the real file: one row per measure x area x year, the full rectangle
(an area with no value that year gets `-`); `Years` is the year the summer falls in (`2024` is
2023/24; for the January-census FSM shares `2024` is January 2024, so also 2023/24); `Data item`
is filled on the rows of a measure's first year only; areas are the LAs (alphabetical, successor
LAs after their predecessor), then England (970) and the regions (980-990, London also split
into Inner 987 and Outer 988), whose `Region` is the text `NA`; LAs carry the code they were
published under that year (Bournemouth, Poole and Dorset 835-837 before 2019/20,
Northamptonshire 928 before 2021/22, Cumbria 909 before 2023/24, as the demo's school files do).
Values are numbers rounded as LAIT rounds them: KS2 percentages whole, Attainment 8 and FSM
shares one decimal, Progress 8 and absence two, trailing zeros dropped (`46`, `5.8`).

Values: LA, region and England rows are pupil-weighted means of the demo's true (unsuppressed)
school values, over the same schools and weights as the LA rows of the demo's own files, so an LA's
KS2 and KS4 values equal its RECTYPE 3 / RECTYPE 4 rows there: KS2 measures over primary and
special schools weighted by the KS2 cohort (disadvantaged / other pupils for the gap measures), KS4
measures over secondary and special schools weighted by the KS4 cohort, absence over all schools
weighted by pupils on roll (primary / secondary only for PriTotAbs / SecTotAbs), FSM shares as
FSM pupils over pupils on roll in primary / secondary schools. LAIT has LA-level figures in years
without school-level performance tables, and so does this file: every year the demo simulates has
a value except where LAIT itself has `-` (KS2 and Progress 8 in 2019/20 and 2020/21, absence in
2019/20). The British Forces overseas schools (702, no region) count towards England only: LAIT
lists no such LA.

Statistical neighbours: one row per demo LA (2021: the LAs of April 2021 by code, then the legacy
codes under "Old SNs:"; 2025: today's LAs by name), each with up to ten neighbours drawn from the
demo's other LAs with a seeded generator (a different draw per model), closeness bands spelt as
each file spells them. A treated LA lists the demo's comparator LAs (comparator_sets seed) first,
so even a small demo has a statistical-neighbour comparator set. Slots left over in a small demo
are `-`, as in DfE's 2021 workbook.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import polars as pl

from orchestration.demo.generator import (
    FIRST_YEAR,
    LAST_YEAR,
    TREATED_LAS,
    DemoConfig,
    _published_la_code,
    _pupils_on_roll,
)
from orchestration.settings import DBT_PROJECT_DIR

LAIT_COLUMNS = ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number", "Region"]
ENGLAND = 970
REGION_CODES = {"North East": 980, "North West": 981, "Yorkshire and The Humber": 982, "East Midlands": 983,
                "West Midlands": 984, "East of England": 985, "London": 986, "South East": 989, "South West": 990}
INNER_LONDON, OUTER_LONDON = 987, 988
AREA_NAMES = {ENGLAND: "England", 980: "North East", 981: "North West", 982: "Yorkshire and the Humber",
              983: "East Midlands", 984: "West Midlands", 985: "East of England", 986: "London",
              INNER_LONDON: "London (Inner)", OUTER_LONDON: "London (Outer)", 989: "South East", 990: "South West"}
# LAIT's Region for London LAs is Inner or Outer London (Greenwich counts as Outer, Haringey and Newham as Inner).
INNER_LONDON_LAS = frozenset((201, 202, *range(204, 214), 309, 316))
# LAIT's names where the la_codes seed spells them differently, and the pre-reorganisation codes.
LAIT_NAMES = {810: "Kingston Upon Hull, City of", 822: "Bedford Borough", 840: "Durham", 884: "Herefordshire",
              835: "Dorset (Pre LG)", 836: "Poole (Pre LG)", 837: "Bournemouth (Pre LG)", 909: "Cumbria",
              928: "Northamptonshire"}
PREDECESSOR = {940: 928, 941: 928, 942: 909, 943: 909}  # LAIT lists these right after their predecessor
PREDECESSORS = frozenset((835, 836, 837, 909, 928))
NO_REGION_LAS = frozenset((702,))  # British Forces overseas: no region, not an LAIT area

# Academic-year starts in which LAIT itself has `-` (no assessments / partial collection).
NO_KS2 = frozenset((2019, 2020))
NOT_PUBLISHED = {"AVG_Prog8_Score": {2024}}  # no row at all, as in LAIT: no Progress 8 for 2024/25
NO_ABSENCE = frozenset((2019,))

# (Short Desc, Data item as LAIT labels it, decimals, academic-year starts with `-`)
MEASURES = [
    ("KS2RWM_Expected_STD", "Attainment at the end of key stage 2 Percentage in reading, writing and mathematics "
                            "- Expected Standard All Pupils", 0, NO_KS2),
    ("DAP_NEW_KS2_RWM", "KS2 RWM attainment for Disadvantaged pupils", 0, NO_KS2),
    ("NonDAP_NEW_KS2_RWM", "KS2 RWM attainment for Non Disadvantaged pupils", 0, NO_KS2),
    ("AVG_Attain8_Score", "Average Attainment 8 score per pupil", 1, frozenset()),
    ("DAP_KS4_ATT8", "KS4 GCSE Attainment 8 for disadvantaged pupils", 1, frozenset()),
    ("NonDAP_KS4_ATT8", "KS4 GCSE Attainment 8for non disadvantaged pupils", 1, frozenset()),  # sic
    ("AVG_Prog8_Score", "Average Progress 8 score per pupil", 2, NO_KS2),
    ("TotAbs", "Total absence from School- % half days missed", 2, NO_ABSENCE),
    ("PriTotAbs", "Total absence from Primary Schools- % half days missed", 2, NO_ABSENCE),
    ("SecTotAbs", "Total absence from Secondary Schools- % half days missed", 2, NO_ABSENCE),
    ("TotPerAbNew", "% Total persistent absentees: Based on  missing 10% or more of pupils own possible sessions",
     2, NO_ABSENCE),
    ("PriFSM", "Primary FSM", 1, frozenset()),
    ("SecFSM", "Secondary FSM", 1, frozenset()),
]

DICTIONARY_COLUMNS = ["Measure_code", "Topic", "Measure", "Chart_title", "Measure_short", "Polarity", "y_axis_name",
                      "state_funded_flag", "Table_status", "Description", "Last Update", "Next Update",
                      "Data Owner (DO) /Supplier and Contact Details", "Methodology", "Hyperlink(s)", "dps",
                      "Year_Type", "No_Quartile"]
_KS2 = ("Key Stage 2", "% achieving expected level", "State Funded",
        "ks2_regional_local_authority_and_pupil_characteristics", "45992", "46266",
        "https://explore-education-statistics.service.gov.uk/find-statistics/key-stage-2-attainment")
_KS4 = ("Key Stage 4", "Score per pupil", "State Funded", "yyyy_la_char_data_****", "46054", "46296",
        "https://www.gov.uk/government/collections/statistics-gcses-key-stage-4")
_ABS = ("All Pupil Absence & Exclusions", "% half days missed", "State Funded", "1_absence_3term_nat_reg_la.csv",
        "46082", "46447",
        "https://explore-education-statistics.service.gov.uk/find-statistics/pupil-absence-in-schools-in-england")
_FSM = ("Economic Factors", "% of pupils", None, "spc_pupils_fsm", "45809", "46174",
        "https://www.gov.uk/government/collections/statistics-school-and-pupil-numbers")
# The real dictionary's rows (Description and Methodology replaced by a line about the demo).
# (Measure_short, Measure_code, Measure, Chart_title, Polarity, dps, Year_Type, shared fields); None = NA.
DICTIONARY = {
    "KS2RWM_Expected_STD": ("346", "KS2 % reading, writing and mathematics - Expected standard - All Pupils",
                            "Pupils meeting the expected standard in reading, writing and mathematics (%)", "High",
                            None, "Academic Year", _KS2),
    "DAP_NEW_KS2_RWM": ("357", "KS2 RWM Expected Level - attainment for disadvantaged pupils",
                        "Disadvantaged pupils meeting the expected standard in reading, writing and mathematics (%)",
                        "High", None, "Academic Year", _KS2),
    "NonDAP_NEW_KS2_RWM": ("357", "KS2 RWM Expected Level - attainment for non disadvantaged pupils",
                           "Non-disadvantaged pupils meeting the expected standard in reading, writing and "
                           "mathematics (%)", "High", None, "Academic Year", _KS2),
    "AVG_Attain8_Score": ("350", "Average Attainment 8 score per pupil", "Average Attainment 8 score per pupil",
                          "High", None, "Academic Year", _KS4),
    "DAP_KS4_ATT8": ("361", "KS4 Attainment 8 - disadvantaged pupils",
                     "Average Attainment 8 score per disadvantaged pupil", "High", None, "Academic Year", _KS4),
    "NonDAP_KS4_ATT8": ("361", "KS4 Attainment 8 - non disadvantaged pupils",
                        "Average Attainment 8 score per non-disadvantaged pupil", "High", None, "Academic Year", _KS4),
    "AVG_Prog8_Score": ("350", "Average Progress 8 score per pupil", "Average Progress 8 score per pupil", "High",
                        2, "Academic Year", _KS4[:4] + ("45689", "46661", _KS4[6])),
    "TotAbs": ("24", "Total School Absence", "Total School Absence (%)", "Low", 2, "Academic Year", _ABS),
    "PriTotAbs": ("24", "Total Primary Absence", "Total absence from Primary Schools (%)", "Low", 2,
                  "Academic Year", _ABS),
    "SecTotAbs": ("24", "Total Secondary Absence", "Total absence from Secondary Schools (%)", "Low", 2,
                  "Academic Year", _ABS),
    "TotPerAbNew": ("371", "Total Persistent Absence (new definition)",
                    "Total school aged children  classed as persistent absentees (%)", "Low", 2, "Academic Year",
                    _ABS[:1] + ("% of persistent absence",) + _ABS[2:]),
    "PriFSM": ("78", "Primary Free School Meals", "Primary pupils eligible for free school meals (%)", None, None,
               "Annual - January", _FSM),
    "SecFSM": ("78", "Secondary Free School Meals", "Secondary pupils eligible for free school meals (%)", None,
               None, "Annual - January", _FSM),
}

# Statistical neighbours: the region index both models use, and the closeness bands (closest first).
SN_REGION_INDEX = {"East Midlands": 1, "East of England": 2, "London": 3, "North East": 4, "North West": 5,
                   "South East": 6, "South West": 7, "West Midlands": 8, "Yorkshire and The Humber": 9}
SN_2021_HEADER = ["LA num", "LA Name", "LA number", "GOInd", "GOReg"] + [
    h for k in range(1, 11) for h in (f"SN{k}", "SNP")] + [""]
SN_2025_HEADER = ["old_la_code", "la_name", "region_ind", "region_name"] + [
    h for k in range(1, 11) for h in (f"SN_{k}", f"SN_{k}P")]
SN_2021_BANDS = ("Extremely Close", "Very Close", "Close", "Somewhat close", "Not Close")
SN_2025_BANDS = ("Extremely close", "Very close", "Close ", "Somewhat close", "Not close")  # sic: "Close "
SN_BAND_WEIGHTS = (0.03, 0.55, 0.24, 0.11, 0.07)
SN_2021_NAMES = {839: "Bournemouth, Christchurch & Poole"}  # otherwise LAIT's names
SN_2025_NAMES = {342: "St Helens"}  # otherwise the la_codes seed's names
LEGACY_IN_2021 = frozenset((835, 836, 837, 928))  # listed under "Old SNs:" in the 2021 file
NOT_YET_IN_2021 = frozenset((942, 943))  # Cumberland, Westmorland and Furness: April 2023


def write_la_indicators(root: Path, panel: pl.DataFrame, config: DemoConfig) -> None:
    """Write the LAIT files and both statistical-neighbour files under root (see the module doc)."""
    rows = _with_published_la(panel)
    las = _la_areas(rows)
    values = _area_values(rows, las)
    _write_lait(root / "lait" / "bds_long_demo.csv", values, las)
    _write_dictionary(root / "lait" / "lait_data_dictionary.csv")
    _write_neighbours(root / "statistical-neighbours", las, config)


# ---------------------------------------------------------------------------------------------
# LAIT values

def _with_published_la(panel: pl.DataFrame) -> pl.DataFrame:
    years = panel["year"].to_numpy()
    current = panel["la_code"].to_numpy()
    old_choice = panel["old_la_code_choice"].to_numpy()
    published = current.copy()
    for year in np.unique(years):
        at = years == year
        published[at] = _published_la_code(current[at], old_choice[at], int(year))
    return panel.select(
        "year", "la_code", "la_name", "region_name", "phase", "cohort_year", "fsm_share",
        "rwm_pct", "rwm_dis_pct", "rwm_nondis_pct", "att8", "att8_dis", "att8_nondis", "p8",
        "absence_pct", "persistent_pct", nor=_pupils_on_roll(),
    ).with_columns(pub_la=pl.Series(published))


def _la_areas(rows: pl.DataFrame) -> pl.DataFrame:
    """Every code an LA was published under (one row each): LAIT name, LAIT region, region code, order."""
    las = (rows.filter(~pl.col("la_code").is_in(list(NO_REGION_LAS)))
           .group_by("pub_la").agg(pl.col("la_name").first(), pl.col("region_name").first()).sort("pub_la"))
    records = []
    for code, seed_name, region in las.iter_rows():
        name = LAIT_NAMES.get(code, seed_name)
        lait_region = (("Inner London" if code in INNER_LONDON_LAS else "Outer London") if region == "London"
                       else region)
        london_part = (INNER_LONDON if code in INNER_LONDON_LAS else OUTER_LONDON) if region == "London" else None
        head = PREDECESSOR.get(code)
        base = LAIT_NAMES[head] if head else name.removesuffix(" (Pre LG)")
        order = (base, 0 if code in PREDECESSORS else 1, name)  # Dorset (Pre LG) before Dorset
        records.append((order, {"code": code, "name": name, "region": lait_region, "seed_region": region,
                                "region_code": REGION_CODES[region], "london_part": london_part,
                                "seed_name": seed_name}))
    records.sort(key=lambda r: r[0])
    return pl.DataFrame([r for _, r in records], schema_overrides={"london_part": pl.Int64})


PRIMARY, SECONDARY, SPECIAL = "Primary", "Secondary", "Not applicable"  # the panel's phase values


def _school_sums() -> dict[str, pl.Expr]:
    """Per school row: value x weight and the weights, summed per LA, year and phase."""
    n, nor = pl.col("cohort_year"), pl.col("nor")
    n_dis = (n * pl.col("fsm_share")).round(0)  # as the KS2/KS4 writers count disadvantaged pupils
    n_nondis = n - n_dis
    return {
        "n": n, "n_dis": n_dis, "n_nondis": n_nondis, "nor": nor,
        "rwm": pl.col("rwm_pct") * n, "rwm_dis": pl.col("rwm_dis_pct") * n_dis,
        "rwm_nondis": pl.col("rwm_nondis_pct") * n_nondis,
        "att8": pl.col("att8") * n, "att8_dis": pl.col("att8_dis") * n_dis,
        "att8_nondis": pl.col("att8_nondis") * n_nondis, "p8": pl.col("p8") * n,
        "absence": pl.col("absence_pct") * nor, "persistent": pl.col("persistent_pct") * nor,
        "fsm": (nor * pl.col("fsm_share")).round(0) * 100,  # as the census writer counts FSM pupils
    }


# Per measure: (numerator, denominator, phases): the same schools and weights as the demo files' LA rows.
_KS2_PHASES, _KS4_PHASES = (PRIMARY, SPECIAL), (SECONDARY, SPECIAL)
_ALL = (PRIMARY, SECONDARY, SPECIAL)
MEASURE_SUMS = {
    "KS2RWM_Expected_STD": ("rwm", "n", _KS2_PHASES),
    "DAP_NEW_KS2_RWM": ("rwm_dis", "n_dis", _KS2_PHASES),
    "NonDAP_NEW_KS2_RWM": ("rwm_nondis", "n_nondis", _KS2_PHASES),
    "AVG_Attain8_Score": ("att8", "n", _KS4_PHASES),
    "DAP_KS4_ATT8": ("att8_dis", "n_dis", _KS4_PHASES),
    "NonDAP_KS4_ATT8": ("att8_nondis", "n_nondis", _KS4_PHASES),
    "AVG_Prog8_Score": ("p8", "n", _KS4_PHASES),
    "TotAbs": ("absence", "nor", _ALL),
    "PriTotAbs": ("absence", "nor", (PRIMARY,)),
    "SecTotAbs": ("absence", "nor", (SECONDARY,)),
    "TotPerAbNew": ("persistent", "nor", _ALL),
    "PriFSM": ("fsm", "nor", (PRIMARY,)),
    "SecFSM": ("fsm", "nor", (SECONDARY,)),
}


def _area_values(rows: pl.DataFrame, las: pl.DataFrame) -> pl.DataFrame:
    """One row per area code and academic-year start: each measure's unrounded value (null = none)."""
    by_phase = rows.group_by("pub_la", "year", "phase").agg(
        *[e.sum().alias(name) for name, e in _school_sums().items()])
    columns = {}
    for short, (num, den, phases) in MEASURE_SUMS.items():
        on = pl.col("phase").is_in(list(phases))
        columns[f"{short}_num"] = pl.col(num).filter(on).sum()
        columns[f"{short}_den"] = pl.col(den).filter(on).sum()
    by_la = by_phase.group_by("pub_la", "year").agg(**columns)
    totals = [pl.col(c).sum() for c in columns]
    england = by_la.group_by("year").agg(totals).with_columns(area=pl.lit(ENGLAND, pl.Int64))
    # The inner join drops the LAs that are no LAIT area (702): they count towards England only.
    placed = by_la.join(las.select(pl.col("code").alias("pub_la"), "region_code", "london_part"), on="pub_la")
    la_rows = placed.rename({"pub_la": "area"})
    regions = placed.group_by("region_code", "year").agg(totals).rename({"region_code": "area"})
    london = (placed.filter(pl.col("london_part").is_not_null()).group_by("london_part", "year").agg(totals)
              .rename({"london_part": "area"}))
    both = pl.concat([f.select(pl.col("area").cast(pl.Int64), pl.col("year").cast(pl.Int64), *columns)
                      for f in (la_rows, england, regions, london)])
    return both.select("area", "year", *[
        pl.when(pl.col(f"{s}_den") > 0).then(pl.col(f"{s}_num") / pl.col(f"{s}_den")).otherwise(None).alias(s)
        for s in MEASURE_SUMS])


def _write_lait(path: Path, values: pl.DataFrame, las: pl.DataFrame) -> None:
    """The full rectangle measure x year x area, in LAIT's row order, values as LAIT prints them."""
    region_codes = sorted(set(las["region_code"].to_list()) | set(las["london_part"].drop_nulls().to_list()))
    areas = pl.DataFrame(
        [(code, name, region) for code, name, region in las.select("code", "name", "region").iter_rows()]
        + [(ENGLAND, AREA_NAMES[ENGLAND], "NA")] + [(code, AREA_NAMES[code], "NA") for code in region_codes],
        schema={"area": pl.Int64, "LA and Regions": pl.String, "Region": pl.String}, orient="row",
    ).with_row_index("area_order")
    measures = pl.DataFrame(
        [(m, short, item, decimals, sorted(blank)) for m, (short, item, decimals, blank) in enumerate(MEASURES)],
        schema={"measure_order": pl.Int64, "short": pl.String, "item": pl.String, "decimals": pl.Int64,
                "blank_years": pl.List(pl.Int64)}, orient="row",
    )
    years = pl.DataFrame({"year": list(range(FIRST_YEAR, LAST_YEAR + 1))}, schema={"year": pl.Int64})
    # Rounded with polars, as the generator rounds the LA rows of its own files; shortest text, no `.0`.
    text = [pl.col(short).round(decimals).cast(pl.String).str.replace(r"\.0$", "").replace("-0", "0").alias(short)
            for short, _, decimals, _ in MEASURES]
    long = values.select("area", "year", *text).unpivot(index=["area", "year"], variable_name="short",
                                                         value_name="value")
    frame = (measures.join(years, how="cross").join(areas, how="cross")
             .join(long, on=["short", "area", "year"], how="left")
             .sort("measure_order", "year", "area_order"))
    for short, years_left_out in NOT_PUBLISHED.items():
        frame = frame.filter(~((pl.col("short") == short) & pl.col("year").is_in(list(years_left_out))))
    first_year = pl.col("year") == FIRST_YEAR
    out = frame.select(
        pl.col("short").alias("Short Desc"),
        pl.when(first_year).then(pl.col("item")).otherwise(None).alias("Data item"),  # null: written empty
        (pl.col("year") + 1).cast(pl.String).alias("Years"),
        "LA and Regions",
        pl.when(pl.col("blank_years").list.contains(pl.col("year")) | pl.col("value").is_null()).then(pl.lit("-"))
        .otherwise(pl.col("value")).alias("Values"),
        pl.col("area").alias("LA Number"),
        "Region",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(path, line_terminator="\n")


def _write_dictionary(path: Path) -> None:
    """LAIT's dictionary as R's write.csv leaves it: text quoted, NA and numbers bare, CRLF."""
    def field(value) -> str:
        if value is None:
            return "NA"
        if isinstance(value, int):
            return str(value)
        return '"' + str(value).replace('"', '""') + '"'

    lines = [",".join(field(c) for c in DICTIONARY_COLUMNS)]
    for short, *_ in MEASURES:
        code, measure, chart, polarity, dps, year_type, shared = DICTIONARY[short]
        topic, y_axis, state_funded, table, last, nxt, link = shared
        record = [code, topic, measure, chart, short, polarity, y_axis, state_funded, table,
                  f"SYNTHETIC demo data: {measure}, aggregated from the LocalED demo's synthetic schools.",
                  last, nxt, "DfE",
                  "Pupil-weighted mean over the demo's state-funded schools (the same schools and weights as "
                  "the LA rows of the demo's school-level files).", link, dps, year_type, None]
        lines.append(",".join(field(v) for v in record))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Statistical neighbours

def _preferred_comparators() -> list[list[int]]:
    """Comparator LAs from the comparator_sets seed, in tiers: the statistical-neighbour set, then the rest."""
    with open(DBT_PROJECT_DIR / "seeds" / "comparator_sets.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    tiers: list[list[int]] = [[], []]
    seen = set(TREATED_LAS)
    for tier, r in sorted(((r["comparator_set"] != "statistical_neighbours", r) for r in rows), key=lambda t: t[0]):
        code = int(r["la_code"])
        if code not in seen:
            seen.add(code)
            tiers[tier].append(code)
    return tiers


def _neighbours(code: int, pool: list[int], preferred: list[list[int]], rng: np.random.Generator) -> list[int]:
    """Up to ten neighbours, shuffled. A treated LA lists up to five of the demo's comparator LAs first
    (statistical-neighbour set before the others), so any demo has a statistical-neighbour comparator set,
    and the national demo's differs from the named one."""
    left = set(pool) - {code}
    first: list[int] = []
    if code in TREATED_LAS:
        for tier in preferred:
            members = [c for c in tier if c in left]
            first += [members[i] for i in rng.permutation(len(members))]
        first = first[:5]
    rest = sorted(left - set(first))
    return (first + [rest[i] for i in rng.permutation(len(rest))])[:10]


def _bands(count: int, labels: tuple[str, ...], rng: np.random.Generator) -> list[str]:
    picks = np.sort(np.searchsorted(np.cumsum(SN_BAND_WEIGHTS), rng.random(count) * sum(SN_BAND_WEIGHTS)))
    return [labels[min(i, len(labels) - 1)] for i in picks]  # closest first


def _sn_fields(neighbours: list[int], labels: list[str]) -> list:
    """SN1, SNP, ..., SN10, SNP. A small demo has fewer than ten other LAs: the slots left over are
    `-`, as DfE's own 2021 workbook fills the slots of the LAs its model does not cover."""
    fields: list = []
    for k in range(10):
        fields += [neighbours[k], labels[k]] if k < len(neighbours) else ["-", "-"]
    return fields


def _write_neighbours(folder: Path, las: pl.DataFrame, config: DemoConfig) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    preferred = _preferred_comparators()
    info = {r["code"]: r for r in las.iter_rows(named=True)}

    # April 2021: the LAs of April 2021 by code, then the legacy codes under "Old SNs:".
    current = sorted(c for c in info if c not in LEGACY_IN_2021 and c not in NOT_YET_IN_2021)
    legacy = sorted(c for c in info if c in LEGACY_IN_2021)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SN_2021_HEADER)

    rng = np.random.default_rng([config.seed, 2021])  # one draw per model, LAs in file order

    def row_2021(code: int) -> list:
        r = info[code]
        neighbours = _neighbours(code, current, preferred, rng)
        region = r["seed_region"]
        go_reg = ("London (Inner)" if r["london_part"] == INNER_LONDON else "London (Outer)") if region == "London" \
            else AREA_NAMES[REGION_CODES[region]]
        return ([code, SN_2021_NAMES.get(code, r["name"]), code, SN_REGION_INDEX[region], go_reg]
                + _sn_fields(neighbours, _bands(len(neighbours), SN_2021_BANDS, rng)) + [""])

    for code in current:
        writer.writerow(row_2021(code))
    if legacy:
        blank = [""] * len(SN_2021_HEADER)
        writer.writerows([blank, ["", "Old SNs:"] + blank[2:], blank])
        for code in legacy:
            writer.writerow(row_2021(code))
    (folder / "New_Statistical_Neighbour_Groupings_April_2021.csv").write_bytes(
        b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))

    # May 2025: today's LAs, alphabetical by name, a different draw.
    today = [c for c in info if c not in PREDECESSORS]
    names = {c: SN_2025_NAMES.get(c, info[c]["seed_name"]) for c in today}
    pool = sorted(today)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SN_2025_HEADER)
    rng = np.random.default_rng([config.seed, 2025])
    for code in sorted(today, key=lambda c: names[c]):
        region = info[code]["seed_region"]
        neighbours = _neighbours(code, pool, preferred, rng)
        writer.writerow([code, names[code], SN_REGION_INDEX[region], region]
                        + _sn_fields(neighbours, _bands(len(neighbours), SN_2025_BANDS, rng)))
    (folder / "sn_model_2025_wide.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
