"""School information ("spine") performance-tables file: type, phase flags and ages of each school.

Used for a school's phase where no GIAS register extract is available.
"""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col

SPEC = DatasetSpec(
    name="school_information",
    description="School information (spine): school type, phase flags and age range per school",
    file_stems=("school_information",),
    columns=(
        col("urn", "URN"),
        col("la_code", "LA", "LEA"),
        col("estab", "ESTAB"),
        col("school_name", "SCHNAME"),
        col("minor_group", "MINORGROUP", required=False),
        col("school_type", "NFTYPE", "SCHOOLTYPE", required=False),
        col("is_primary", "ISPRIMARY", required=False),
        col("is_secondary", "ISSECONDARY", required=False),
        col("is_post16", "ISPOST16", required=False),
        col("age_low", "AGEL", "AGELOW", required=False),
        col("age_high", "AGEH", "AGEHIGH", required=False),
        col("open_date", "OPENDATE", required=False),
        col("close_date", "CLOSEDATE", required=False),
    ),
)

RECORD_LEVEL = pl.lit("school")
