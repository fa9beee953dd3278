-- School information ("spine"): one row per school per academic year, with a phase group.
select
    academic_year,
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    trim(estab) as estab,
    school_name,
    minor_group,
    school_type,
    case
        when minor_group ilike '%special%' or school_type ilike '%special%' then 'special'
        when is_primary = '1' and is_secondary = '1' then 'all_through'
        when is_primary = '1' then 'primary'
        when is_secondary = '1' then 'secondary'
        else 'other'
    end as phase_group,
    _source_file,
    _source_row,
    _snapshot_sha256
from {{ source('raw', 'school_information') }}
{{ one_row_per_school_year() }}
