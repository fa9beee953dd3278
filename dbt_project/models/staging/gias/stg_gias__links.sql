-- GIAS links: one row per (urn, link_urn, link_type).
select distinct
    cast(urn as integer) as urn,
    cast(link_urn as integer) as link_urn,
    trim(link_type) as link_type,
    try_strptime(nullif(trim(link_established_date), ''), '%d-%m-%Y')::date as link_established_date
from {{ source('raw', 'gias_links') }}
where try_cast(urn as integer) is not null and try_cast(link_urn as integer) is not null
