-- Where support capacity comes from: activities, days, cost and schools reached by provider type
-- (LA, combined authority, trusts, teaching school hubs, research schools, national programmes),
-- for the combined-authority arrangement and single-LA arrangements, by academic year.
with by_provider as (
    select
        arrangement_code,
        academic_year,
        provider_type,
        count(distinct la_code) as las,
        count(*) as activities,
        sum(effort_days) as effort_days,
        sum(cost_gbp) as cost_gbp,
        count(distinct school_key) as schools_reached
    from {{ ref('int_support_activities_in_context') }}
    group by all
)

select
    arrangement_code,
    academic_year,
    provider_type,
    las,
    activities,
    round(effort_days, 2) as effort_days,
    cast(cost_gbp as decimal(14, 2)) as cost_gbp,
    schools_reached,
    round(activities / sum(activities) over arrangement_year, 4) as share_of_activities,
    round(effort_days / sum(effort_days) over arrangement_year, 4) as share_of_effort_days,
    {{ data_provenance(with_support_record=true) }} as data_provenance
from by_provider
window arrangement_year as (partition by arrangement_code, academic_year)
