"""The pilot's own support-activity log (CSV deliveries from LAs and the combined authority).

Personal data never enters the warehouse: adviser names are replaced by a keyed pseudonym at
landing, and free-text notes are dropped there (the raw file stays under data/raw only).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import polars as pl

from orchestration.settings import DEMO_PSEUDONYM_KEY
from orchestration.sources.catalogue import DatasetSpec, col

SPEC = DatasetSpec(
    name="support_activity",
    description="School-improvement activities: who, what, where, when, how much effort and cost",
    file_stems=("support_activity",),
    per_year=False,
    columns=(
        col("activity_id", "activity_id"),
        col("urn", "urn"),
        col("provider_name", "provider_name"),
        col("provider_type", "provider_type"),
        col("activity_type", "activity_type"),
        col("level", "level"),
        col("programme_strand", "programme_strand"),
        col("start_date", "start_date"),
        col("end_date", "end_date"),
        col("effort_days", "effort_days"),
        col("cost_gbp", "cost_gbp"),
        col("funded_by", "funded_by"),
        col("adviser_name", "adviser_name", required=False),
        col("notes", "notes", required=False),
    ),
)

RECORD_LEVEL = pl.lit("school")


def pseudonymisation_key(source_mode: str) -> bytes:
    key = os.environ.get("LOCALED_PSEUDONYM_KEY")
    if key:
        return key.encode()
    if source_mode == "demo":
        return DEMO_PSEUDONYM_KEY.encode()
    raise RuntimeError("LOCALED_PSEUDONYM_KEY is not set: real support-activity deliveries need a secret "
                       "key to pseudonymise adviser names (see README, 'Personal data').")


def pseudonymise(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace adviser names by a keyed HMAC pseudonym; drop free-text notes."""
    def token(name: str | None) -> str | None:
        if name is None or not name.strip():
            return None
        digest = hmac.new(key, name.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"adviser_{digest[:12]}"

    return frame.with_columns(
        pl.col("adviser_name").map_elements(token, return_dtype=pl.String).alias("adviser_pseudonym"),
    ).drop("adviser_name", "notes")
