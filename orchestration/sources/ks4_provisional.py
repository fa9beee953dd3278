"""KS4 provisional headline file (england_ks4provisional.csv): published each October, before the final file.

A 25-column headline layout: the KS4 final columns without the disadvantaged breakdown. Staging
uses it for a school only when that year's final file has no row for the school.
"""

from orchestration.sources import ks4
from orchestration.sources.catalogue import DatasetSpec
from orchestration.sources.ks4 import RECORD_LEVEL  # same RECTYPE meanings as KS4 final

NOT_IN_HEADLINE_FILE = {"disadvantaged_count", "disadvantaged_pct", "attainment8_disadvantaged",
                        "attainment8_not_disadvantaged"}

SPEC = DatasetSpec(
    name="ks4_provisional",
    description="Key stage 4 provisional headline results, one row per school (plus LA and national rows)",
    file_stems=("ks4provisional",),
    ends_with_national_rows=True,
    columns=tuple(c for c in ks4.SPEC.columns if c.name not in NOT_IN_HEADLINE_FILE),
)

__all__ = ["SPEC", "RECORD_LEVEL"]
