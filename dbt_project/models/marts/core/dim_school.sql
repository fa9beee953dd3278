-- One row per school (school_key = its current URN), with every URN it has had.
with urns as (
    select
        school_key,
        string_agg(urn::varchar, ';' order by urn) as all_urns,
        count(*) as n_urns,
        bool_or(has_merge_or_split) as has_merge_or_split,
        bool_or(is_circular) as has_circular_links
    from {{ ref('int_school_urns_linked') }}
    group by school_key
),

current_record as (
    select * from {{ ref('stg_gias__establishments') }}
),

la as (
    select la_code, arg_max(la_name, valid_from) as la_name, arg_max(region_name, valid_from) as region_name
    from {{ ref('la_codes') }}
    group by la_code
)

select
    urns.school_key,
    urns.school_key as current_urn,
    current_record.school_name,
    current_record.la_code as current_la_code,
    la.la_name as current_la_name,
    la.region_name,
    current_record.phase_group,
    current_record.establishment_type,
    current_record.status,
    current_record.is_academy,
    current_record.open_date,
    current_record.close_date,
    urns.all_urns,
    urns.n_urns,
    urns.has_merge_or_split,
    urns.has_circular_links,
    {{ data_provenance() }} as data_provenance
from urns
inner join current_record on current_record.urn = urns.school_key
left join la on la.la_code = current_record.la_code
