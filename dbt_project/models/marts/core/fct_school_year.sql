-- One row per school per academic year: attainment, attendance, disadvantage, support received,
-- the LA as published that year, and the school-improvement arrangement it was under.
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
    coalesce(school.phase_group, 'unknown') as phase_group,
    arrangements.arrangement_code,
    arrangements.is_treated_la,
    arrangements.is_post_pilot,
    panel.ks2_cohort,
    round(panel.ks2_rwm_expected_pct, 4) as ks2_rwm_expected_pct,
    panel.ks2_rwm_expected_pct_status,
    round(panel.ks2_rwm_high_pct, 4) as ks2_rwm_high_pct,
    round(panel.ks2_reading_progress, 4) as ks2_reading_progress,
    round(panel.ks2_maths_progress, 4) as ks2_maths_progress,
    round(panel.ks2_rwm_disadvantage_gap_pp, 4) as ks2_rwm_disadvantage_gap_pp,
    round(panel.ks2_disadvantaged_pct, 4) as ks2_disadvantaged_pct,
    panel.ks4_cohort,
    round(panel.ks4_attainment8, 4) as ks4_attainment8,
    panel.ks4_attainment8_status,
    round(panel.ks4_progress8, 4) as ks4_progress8,
    round(panel.ks4_basics_94_pct, 4) as ks4_basics_94_pct,
    round(panel.ks4_attainment8_disadvantage_gap, 4) as ks4_attainment8_disadvantage_gap,
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
