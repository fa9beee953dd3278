"""KS4 provisional headline file (england_ks4provisional.csv): published each October, before the final file.

A 25-column headline layout (no disadvantaged breakdown). Staging uses it for a school only
when that year's final file has no row for the school.
"""

from orchestration.sources.catalogue import DatasetSpec, col, measure
from orchestration.sources.ks4 import RECORD_LEVEL  # same RECTYPE meanings as KS4 final

SPEC = DatasetSpec(
    name="ks4_provisional",
    description="Key stage 4 provisional headline results, one row per school (plus LA and national rows)",
    file_stems=("ks4provisional",),
    ends_with_national_rows=True,
    columns=(
        col("rectype", "RECTYPE"),
        col("la_code", "LEA", "LA"),
        col("estab", "ESTAB"),
        col("urn", "URN"),
        col("school_name", "SCHNAME"),
        col("school_type", "NFTYPE", required=False),
        measure("cohort", "TPUP"),
        measure("attainment8", "ATT8SCR"),
        measure("progress8", "P8MEA", required=False),
        measure("basics_94_pct", "PTL2BASICS_94", required=False),
        measure("ebacc_aps", "EBACCAPS", required=False),
    ),
)

__all__ = ["SPEC", "RECORD_LEVEL"]
