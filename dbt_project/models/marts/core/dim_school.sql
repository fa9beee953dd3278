-- One row per school (school_key = its current URN), with every URN it has had. Attributes come
-- from the GIAS register when it has the school, else from the latest performance-table row.
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

panel_schools as (
    select
        school_key,
        arg_max(la_code, academic_year) as la_code,
        arg_max(published_school_name, academic_year) filter (where published_school_name is not null) as school_name,
        arg_max(published_phase_group, academic_year) filter (where published_phase_group is not null) as phase_group
    from {{ ref('int_school_years_joined') }}
    group by school_key
),

school_keys as (
    -- every school in the register, and every school the performance tables mention
    select urn as school_key from {{ ref('stg_gias__establishments') }}
    where urn in (select school_key from urns)
    union
    select school_key from panel_schools
),

register as (
    select * from {{ ref('stg_gias__establishments') }}
),

la as (
    select la_code, arg_max(la_name, valid_from) as la_name, arg_max(region_name, valid_from) as region_name
    from {{ ref('la_codes') }}
    group by la_code
)

select
    school_keys.school_key,
    school_keys.school_key as current_urn,
    coalesce(register.school_name, panel_schools.school_name) as school_name,
    coalesce(register.la_code, panel_schools.la_code) as current_la_code,
    la.la_name as current_la_name,
    la.region_name,
    coalesce(register.phase_group, panel_schools.phase_group, 'unknown') as phase_group,
    register.establishment_type,
    register.status,
    register.is_academy,
    register.open_date,
    register.close_date,
    coalesce(urns.all_urns, school_keys.school_key::varchar) as all_urns,
    coalesce(urns.n_urns, 1) as n_urns,
    coalesce(urns.has_merge_or_split, false) as has_merge_or_split,
    coalesce(urns.has_circular_links, false) as has_circular_links,
    register.urn is not null as is_in_register,
    {{ data_provenance() }} as data_provenance
from school_keys
left join urns on urns.school_key = school_keys.school_key
left join register on register.urn = school_keys.school_key
left join panel_schools on panel_schools.school_key = school_keys.school_key
left join la on la.la_code = coalesce(register.la_code, panel_schools.la_code)
