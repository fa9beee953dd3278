-- One row per school per academic year: attainment, attendance, disadvantage, support received,
-- the LA as published that year, and the school-improvement arrangement it was under.
-- Attainment from a cohort (or disadvantage subgroup) under var('disclosure_min_pupils') pupils is
-- withheld: NULL, with status 'c' where the measure has a status column.
with support as (
    select
        keys.school_key,
        activities.academic_year,
        count(*) as support_activities,
        sum(activities.effort_days) as support_days,
        sum(activities.cost_gbp) as support_cost_gbp
    from {{ ref('stg_support__activities') }} as activities
    left join {{ ref('int_school_urns_linked') }} as keys on keys.urn = activities.urn
    group by all
)

select
    panel.school_key,
    panel.academic_year,
    panel.urn,
    panel.la_code,
    arrangements.la_name,
    school.current_la_code,
    coalesce(school.phase_group, 'unknown') as phase_group,
    arrangements.arrangement_code,
    arrangements.is_treated_la,
    arrangements.is_post_pilot,
    panel.ks2_cohort,
    {{ disclosed('panel.ks2_rwm_expected_pct', 'panel.ks2_cohort') }} as ks2_rwm_expected_pct,
    case when {{ too_few_pupils('panel.ks2_cohort') }} and panel.ks2_rwm_expected_pct is not null then 'c'
         else panel.ks2_rwm_expected_pct_status end as ks2_rwm_expected_pct_status,
    {{ disclosed('panel.ks2_rwm_high_pct', 'panel.ks2_cohort') }} as ks2_rwm_high_pct,
    {{ disclosed('panel.ks2_reading_progress', 'panel.ks2_cohort') }} as ks2_reading_progress,
    {{ disclosed('panel.ks2_maths_progress', 'panel.ks2_cohort') }} as ks2_maths_progress,
    {{ disclosed('panel.ks2_rwm_disadvantage_gap_pp', 'least(panel.ks2_disadvantaged_count, panel.ks2_cohort - panel.ks2_disadvantaged_count)') }} as ks2_rwm_disadvantage_gap_pp,
    round(panel.ks2_disadvantaged_pct, 4) as ks2_disadvantaged_pct,
    panel.ks4_cohort,
    {{ disclosed('panel.ks4_attainment8', 'panel.ks4_cohort') }} as ks4_attainment8,
    case when {{ too_few_pupils('panel.ks4_cohort') }} and panel.ks4_attainment8 is not null then 'c'
         else panel.ks4_attainment8_status end as ks4_attainment8_status,
    {{ disclosed('panel.ks4_progress8', 'panel.ks4_cohort') }} as ks4_progress8,
    {{ disclosed('panel.ks4_basics_94_pct', 'panel.ks4_cohort') }} as ks4_basics_94_pct,
    {{ disclosed('panel.ks4_attainment8_disadvantage_gap', 'least(panel.ks4_disadvantaged_count, panel.ks4_cohort - panel.ks4_disadvantaged_count)') }} as ks4_attainment8_disadvantage_gap,
    round(panel.ks4_disadvantaged_pct, 4) as ks4_disadvantaged_pct,
    round(panel.overall_absence_pct, 4) as overall_absence_pct,
    panel.overall_absence_pct_status,
    round(panel.persistent_absence_pct, 4) as persistent_absence_pct,
    panel.pupils_on_roll,
    round(panel.fsm_ever_pct, 4) as fsm_ever_pct,
    round(panel.eal_pct, 4) as eal_pct,
    round(panel.sen_support_pct, 4) as sen_support_pct,
    round(panel.sen_ehcp_pct, 4) as sen_ehcp_pct,
    coalesce(support.support_activities, 0) as support_activities,
    coalesce(support.support_days, 0) as support_days,
    coalesce(support.support_cost_gbp, 0) as support_cost_gbp,
    {{ data_provenance() }} as data_provenance
from {{ ref('int_school_years_joined') }} as panel
left join {{ ref('dim_school') }} as school on school.school_key = panel.school_key
left join {{ ref('int_la_arrangements_by_year') }} as arrangements
    on arrangements.la_code = panel.la_code and arrangements.academic_year = panel.academic_year
left join support on support.school_key = panel.school_key and support.academic_year = panel.academic_year
