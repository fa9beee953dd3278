"""GIAS (Get Information About Schools): the school register and its links (academy conversions)."""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col

ESTABLISHMENTS = DatasetSpec(
    name="gias_establishments",
    description="GIAS edubasealldata extract: every establishment, open or closed",
    file_stems=("edubasealldata",),
    encoding="cp1252",
    per_year=False,
    columns=(
        col("urn", "URN"),
        col("la_code", "LA (code)"),
        col("la_name", "LA (name)", required=False),
        col("estab", "EstablishmentNumber"),
        col("school_name", "EstablishmentName"),
        col("establishment_type", "TypeOfEstablishment (name)"),
        col("establishment_type_group", "EstablishmentTypeGroup (name)", required=False),
        col("status", "EstablishmentStatus (name)"),
        col("open_date", "OpenDate", required=False),
        col("close_date", "CloseDate", required=False),
        col("phase", "PhaseOfEducation (name)"),
        col("number_of_pupils", "NumberOfPupils", required=False),
        col("region", "GOR (name)", required=False),
    ),
)

LINKS = DatasetSpec(
    name="gias_links",
    description="GIAS links: predecessor/successor URNs (academy conversion, merger, split)",
    file_stems=("links_edubasealldata",),
    encoding="cp1252",
    per_year=False,
    columns=(
        col("urn", "URN"),
        col("link_urn", "LinkURN"),
        col("link_name", "LinkName", required=False),
        col("link_type", "LinkType"),
        col("link_established_date", "LinkEstablishedDate", required=False),
    ),
)

RECORD_LEVEL = pl.lit("school")
