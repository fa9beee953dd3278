"""School census performance tables (england_census.csv): pupils, FSM, EAL, SEN."""

import polars as pl

from orchestration.sources.catalogue import DatasetSpec, col, measure

SPEC = DatasetSpec(
    name="census",
    description="January school census: pupils on roll and the shares with FSM, EAL and SEN",
    file_stems=("census",),
    ends_with_national_rows=True,
    columns=(
        col("urn", "URN"),
        col("la_code", "LA", "LEA"),
        col("estab", "ESTAB"),
        col("school_type", "SCHOOLTYPE", required=False),  # from 2018/19
        measure("pupils_on_roll", "NOR"),
        measure("fsm_ever_count", "NUMFSMEVER", required=False),
        measure("fsm_ever_pct", "PNUMFSMEVER"),
        measure("eal_pct", "PNUMEAL"),
        # K = SEN support; SE = statement or EHC plan (DfE census field guide).
        measure("sen_support_pct", "PSENELK", required=False),
        measure("sen_ehcp_pct", "PSENELSE", required=False),
    ),
)

# No RECTYPE. National rows: URN (or LA) = NAT; LA-download summary rows: URN = LA.
# Both carry a phase code (PRI/SEC/SPE) in ESTAB.
_URN = pl.col("urn").str.strip_chars().str.to_uppercase()
RECORD_LEVEL = (
    pl.when((_URN == "NAT") | (pl.col("la_code").str.strip_chars().str.to_uppercase() == "NAT"))
    .then(pl.lit("national"))
    .when(_URN == "LA").then(pl.lit("la"))
    .otherwise(pl.lit("school"))
)
