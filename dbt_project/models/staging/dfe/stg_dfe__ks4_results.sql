-- KS4 results, one row per school per academic year (school rows only). The final file wins;
-- the provisional headline file fills in schools (or years) the final file does not cover.
with final_rows as (
    select
        academic_year, urn, la_code, estab, school_name, school_type, cohort, disadvantaged_count,
        disadvantaged_pct, attainment8, progress8, basics_94_pct, ebacc_aps, attainment8_disadvantaged,
        attainment8_not_disadvantaged, 'final' as release, _source_file, _source_row, _snapshot_sha256
    from {{ source('raw', 'ks4') }}
    where record_level = 'school'
),

provisional_rows as (
    select
        academic_year, urn, la_code, estab, school_name, school_type, cohort,
        null::varchar as disadvantaged_count, null::varchar as disadvantaged_pct,
        attainment8, progress8, basics_94_pct, ebacc_aps,
        null::varchar as attainment8_disadvantaged, null::varchar as attainment8_not_disadvantaged,
        'provisional' as release, _source_file, _source_row, _snapshot_sha256
    from {{ source('raw', 'ks4_provisional') }}
    where record_level = 'school'
),

all_rows as (
    select * from final_rows
    union all
    select * from provisional_rows
),

school_rows as (
    select * from all_rows
    {{ one_row_per_school_year(prefer="release = 'final'") }}
)

select
    academic_year,
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    trim(estab) as estab,
    school_name,
    trim(school_type) as school_type,
    coalesce(trim(school_type) not in ('IND', 'INDSPEC', 'NMSS'), true) as is_state_funded,
    release,
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
