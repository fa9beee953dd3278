"""KS4 final performance tables (england_ks4final.csv / <LA>_ks4final.csv)."""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col, measure

SPEC = DatasetSpec(
    name="ks4",
    description="Key stage 4 final results, one row per school (plus LA and national rows)",
    file_stems=("ks4final",),
    ends_with_national_rows=True,
    trend_column_prefix="ATT8SCR",
    columns=(
        col("rectype", "RECTYPE"),
        col("la_code", "LEA", "LA"),
        col("estab", "ESTAB"),
        col("urn", "URN"),
        col("school_name", "SCHNAME"),
        col("school_type", "NFTYPE", required=False),
        measure("cohort", "TPUP"),
        measure("disadvantaged_count", "TFSM6CLA1A", required=False),
        measure("disadvantaged_pct", "PTFSM6CLA1A"),
        measure("attainment8", "ATT8SCR"),
        # Progress 8 is not published for 2024/25; EBacc APS arrived in 2017/18.
        measure("progress8", "P8MEA", required=False),
        measure("basics_94_pct", "PTL2BASICS_94", required=False),
        measure("ebacc_aps", "EBACCAPS", required=False),
        measure("attainment8_disadvantaged", "ATT8SCR_FSM6CLA1A"),
        measure("attainment8_not_disadvantaged", "ATT8SCR_NFSM6CLA1A"),
    ),
)

# KS4 RECTYPE: 1 mainstream, 2 special, 4 LA, 5 national (all), 7 national (state-funded).
RECORD_LEVEL = (
    pl.when(pl.col("rectype").str.strip_chars().is_in(["1", "2"])).then(pl.lit("school"))
    .when(pl.col("rectype").str.strip_chars() == "4").then(pl.lit("la"))
    .when(pl.col("rectype").str.strip_chars().is_in(["5", "7"])).then(pl.lit("national"))
)
