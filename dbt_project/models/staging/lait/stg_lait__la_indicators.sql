-- LAIT's academic-year indicators, typed: one row per measure, area (LA, region, England) and
-- academic year. Financial- and calendar-year measures (academic_year NULL) are not used here.
select
    measure_code,
    cast(area_code as integer) as area_code,
    record_level as area_level,
    area_name,
    nullif(nullif(region_name, 'NA'), '') as region_name,
    academic_year,
    year_note,
    -- LAIT stores some values with binary noise (4.6900000000000004): round to the dictionary's
    -- published decimal places (six where it gives none).
    round({{ measure_value('value') }}, coalesce(try_cast(decimal_places as integer), 6)) as value,
    {{ measure_status('value') }} as value_status,
    nullif(nullif(polarity, '-'), 'NA') as polarity,
    year_type,
    _source_file,
    _source_row,
    _snapshot_sha256
from {{ source('raw', 'la_indicators') }}
where academic_year is not null
