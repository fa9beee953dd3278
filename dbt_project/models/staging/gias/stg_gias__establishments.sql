-- The GIAS register: one row per URN (every establishment, open or closed).
select
    cast(urn as integer) as urn,
    cast(la_code as integer) as la_code,
    la_name,
    trim(estab) as estab,
    school_name,
    establishment_type,
    establishment_type_group,
    status,
    try_strptime(nullif(trim(open_date), ''), '%d-%m-%Y')::date as open_date,
    try_strptime(nullif(trim(close_date), ''), '%d-%m-%Y')::date as close_date,
    phase,
    case
        when establishment_type ilike '%special%' then 'special'
        when phase in ('Primary', 'Middle deemed primary', 'Nursery') then 'primary'
        when phase in ('Secondary', 'Middle deemed secondary', '16 plus') then 'secondary'
        when phase = 'All-through' then 'all_through'
        else 'other'
    end as phase_group,
    establishment_type_group in ('Academies', 'Free Schools') as is_academy,
    try_cast(number_of_pupils as integer) as number_of_pupils,
    region,
    _source_file,
    _source_row,
    _snapshot_sha256
from {{ source('raw', 'gias_establishments') }}
