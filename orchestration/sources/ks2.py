"""KS2 final performance tables (england_ks2final.csv / <LA>_ks2final.csv)."""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col, measure

SPEC = DatasetSpec(
    name="ks2",
    description="Key stage 2 final results, one row per school (plus LA and national rows)",
    file_stems=("ks2final",),
    ends_with_national_rows=True,
    trend_column_prefix="PTRWM_EXP",
    columns=(
        col("rectype", "RECTYPE"),
        col("la_code", "LEA", "LA"),
        col("estab", "ESTAB"),
        col("urn", "URN"),
        col("school_name", "SCHNAME"),
        col("school_type", "NFTYPE", required=False),
        measure("cohort", "TELIG"),
        measure("disadvantaged_count", "TFSM6CLA1A", required=False),
        measure("disadvantaged_pct", "PTFSM6CLA1A"),
        measure("rwm_expected_pct", "PTRWM_EXP"),
        measure("rwm_high_pct", "PTRWM_HIGH"),
        # KS2 progress is not published from 2023/24.
        measure("reading_progress", "READPROG", required=False),
        measure("writing_progress", "WRITPROG", required=False),
        measure("maths_progress", "MATPROG", required=False),
        measure("rwm_expected_disadvantaged_pct", "PTRWM_EXP_FSM6CLA1A"),
        measure("rwm_expected_not_disadvantaged_pct", "PTRWM_EXP_NOTFSM6CLA1A"),
    ),
)

# KS2 RECTYPE: 1 mainstream, 2 special, 3 LA, 4 national (all), 5 national (state-funded).
RECORD_LEVEL = (
    pl.when(pl.col("rectype").str.strip_chars().is_in(["1", "2"])).then(pl.lit("school"))
    .when(pl.col("rectype").str.strip_chars() == "3").then(pl.lit("la"))
    .when(pl.col("rectype").str.strip_chars().is_in(["4", "5"])).then(pl.lit("national"))
)
