-- Each support activity with the school's stable key, its phase and LA (from the GIAS register),
-- and the school-improvement arrangement that LA was in during the activity's academic year.
select
    activities.activity_key,
    activities.sender,
    activities.urn,
    coalesce(keys.school_key, activities.urn) as school_key,
    coalesce(register.phase_group, 'unknown') as phase_group,
    register.la_code,
    coalesce(arrangements.arrangement_code, 'single_la') as arrangement_code,
    activities.academic_year,
    activities.provider_type,
    activities.activity_type,
    activities.level,
    activities.programme_strand,
    activities.start_date,
    activities.effort_days,
    activities.cost_gbp,
    activities.funded_by
from {{ ref('stg_support__activities') }} as activities
left join {{ ref('int_school_urns_linked') }} as keys on keys.urn = activities.urn
left join {{ ref('stg_gias__establishments') }} as register on register.urn = activities.urn
left join {{ ref('int_la_arrangements_by_year') }} as arrangements
    on arrangements.la_code = register.la_code and arrangements.academic_year = activities.academic_year
