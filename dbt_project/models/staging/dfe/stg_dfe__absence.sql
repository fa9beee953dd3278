-- Absence, one row per school per academic year (national NAT rows excluded).
with school_rows as (
    select * from {{ source('raw', 'absence') }}
    where record_level = 'school'
    {{ one_row_per_school_year() }}
)

select
    academic_year,
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    trim(estab) as estab,
    {{ decode_measure('overall_absence_pct') }},
    {{ decode_measure('persistent_absence_pct') }},
    _source_file,
    _source_row,
    _snapshot_sha256
from school_rows
