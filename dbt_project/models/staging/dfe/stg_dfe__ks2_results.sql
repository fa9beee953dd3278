-- KS2 results, one row per school per academic year (school rows only; LA/national rows are
-- DfE's own aggregates and live in stg_dfe__published_aggregates).
with school_rows as (
    select * from {{ source('raw', 'ks2') }}
    where record_level = 'school'
    {{ one_row_per_school_year() }}
)

select
    academic_year,
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    trim(estab) as estab,
    school_name,
    trim(school_type) as school_type,
    coalesce(trim(school_type) not in ('IND', 'INDSPEC', 'NMSS'), true) as is_state_funded,
    {{ decode_measure('cohort') }},
    {{ decode_measure('disadvantaged_count') }},
    {{ decode_measure('disadvantaged_pct') }},
    {{ decode_measure('rwm_expected_pct') }},
    {{ decode_measure('rwm_high_pct') }},
    {{ decode_measure('reading_progress') }},
    {{ decode_measure('writing_progress') }},
    {{ decode_measure('maths_progress') }},
    {{ decode_measure('rwm_expected_disadvantaged_pct') }},
    {{ decode_measure('rwm_expected_not_disadvantaged_pct') }},
    _source_file,
    _source_row,
    _snapshot_sha256
from school_rows
