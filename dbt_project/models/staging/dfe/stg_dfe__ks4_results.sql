-- KS4 results, one row per school per academic year (school rows only).
with school_rows as (
    select * from {{ source('raw', 'ks4') }}
    where record_level = 'school'
    qualify row_number() over (
        partition by academic_year, urn
        order by (_source_file like '%england_%') desc, _source_file, _source_row
    ) = 1
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
    {{ decode_measure('attainment8') }},
    {{ decode_measure('progress8') }},
    {{ decode_measure('basics_94_pct') }},
    {{ decode_measure('ebacc_aps') }},
    {{ decode_measure('attainment8_disadvantaged') }},
    {{ decode_measure('attainment8_not_disadvantaged') }},
    _source_file,
    _source_row,
    _snapshot_sha256
from school_rows
