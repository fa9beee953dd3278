-- What support costs and who pays: cost per school and per pupil by funder, for the
-- combined-authority arrangement and single-LA arrangements, by academic year, each beside the
-- single-LA figure for the same funder and year. funded_by = 'all' is every funder together.
-- "In area" = every school in the LAs that sent a support record; "supported" = schools that
-- received at least one activity paid for by that funder.
with activities as (
    select *, funded_by as funder from {{ ref('int_support_activities_in_context') }}
    union all
    select *, 'all' from {{ ref('int_support_activities_in_context') }}
),

area as (
    select
        arrangement_code,
        academic_year,
        count(distinct la_code) as las,
        count(*) as schools_in_area,
        cast(sum(pupils_on_roll) as bigint) as pupils_in_area
    from {{ ref('int_support_area_school_years') }}
    group by all
),

supported_pupils as (
    select supported.arrangement_code, supported.academic_year, supported.funder,
           cast(sum(area.pupils_on_roll) as bigint) as pupils_in_supported_schools
    from (select distinct arrangement_code, academic_year, funder, school_key from activities) as supported
    left join {{ ref('int_support_area_school_years') }} as area using (school_key, academic_year)
    group by all
),

costs as (
    select
        activities.arrangement_code,
        activities.academic_year,
        activities.funder as funded_by,
        count(*) as activities,
        sum(activities.cost_gbp) as cost_gbp,
        count(distinct activities.school_key) as schools_supported
    from activities
    group by all
),

per_unit as (
    select
        costs.*,
        supported_pupils.pupils_in_supported_schools,
        area.las,
        area.schools_in_area,
        area.pupils_in_area,
        costs.cost_gbp / costs.schools_supported as cost_per_supported_school,
        costs.cost_gbp / nullif(supported_pupils.pupils_in_supported_schools, 0) as cost_per_supported_pupil,
        costs.cost_gbp / nullif(area.schools_in_area, 0) as cost_per_school_in_area,
        costs.cost_gbp / nullif(area.pupils_in_area, 0) as cost_per_pupil_in_area
    from costs
    left join area using (arrangement_code, academic_year)
    left join supported_pupils
        on supported_pupils.arrangement_code = costs.arrangement_code
       and supported_pupils.academic_year = costs.academic_year
       and supported_pupils.funder = costs.funded_by
)

select
    per_unit.arrangement_code,
    per_unit.academic_year,
    per_unit.funded_by,
    per_unit.las,
    per_unit.activities,
    cast(per_unit.cost_gbp as decimal(14, 2)) as cost_gbp,
    per_unit.schools_supported,
    per_unit.pupils_in_supported_schools,
    per_unit.schools_in_area,
    per_unit.pupils_in_area,
    round(per_unit.cost_per_supported_school, 2) as cost_per_supported_school,
    round(per_unit.cost_per_supported_pupil, 2) as cost_per_supported_pupil,
    round(per_unit.cost_per_school_in_area, 2) as cost_per_school_in_area,
    round(per_unit.cost_per_pupil_in_area, 2) as cost_per_pupil_in_area,
    round(single_la.cost_per_school_in_area, 2) as single_la_cost_per_school_in_area,
    round(single_la.cost_per_pupil_in_area, 2) as single_la_cost_per_pupil_in_area,
    round(per_unit.cost_per_pupil_in_area / nullif(single_la.cost_per_pupil_in_area, 0), 4)
        as cost_per_pupil_ratio_to_single_la,
    {{ data_provenance(with_support_record=true) }} as data_provenance
from per_unit
left join per_unit as single_la
    on single_la.arrangement_code = 'single_la'
   and single_la.academic_year = per_unit.academic_year
   and single_la.funded_by = per_unit.funded_by
