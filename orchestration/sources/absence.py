"""Pupil absence performance tables (england_abs.csv)."""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col, measure

SPEC = DatasetSpec(
    name="absence",
    description="School-level absence: overall and persistent absence rates",
    file_stems=("abs",),
    ends_with_national_rows=True,
    columns=(
        col("la_code", "LA", "LEA"),
        col("estab", "ESTAB"),
        col("urn", "URN"),
        measure("overall_absence_pct", "PERCTOT"),
        # Persistent absence means missing >=10% of sessions since 2015/16.
        measure("persistent_absence_pct", "PPERSABS10"),
    ),
)

# No RECTYPE: national rows have LA = NAT and a phase code (PRI/SEC/SPE) in ESTAB.
RECORD_LEVEL = (
    pl.when(pl.col("la_code").str.strip_chars().str.to_uppercase() == "NAT").then(pl.lit("national"))
    .otherwise(pl.lit("school"))
)
