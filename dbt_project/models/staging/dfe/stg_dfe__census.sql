-- School census, one row per school per academic year (national NAT rows excluded).
with school_rows as (
    select * from {{ source('raw', 'census') }}
    where record_level = 'school'
    {{ one_row_per_school_year() }}
)

select
    academic_year,
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    trim(estab) as estab,
    school_type,
    {{ decode_measure('pupils_on_roll') }},
    {{ decode_measure('fsm_ever_count') }},
    {{ decode_measure('fsm_ever_pct') }},
    {{ decode_measure('eal_pct') }},
    {{ decode_measure('sen_support_pct') }},
    {{ decode_measure('sen_ehcp_pct') }},
    _source_file,
    _source_row,
    _snapshot_sha256
from school_rows
