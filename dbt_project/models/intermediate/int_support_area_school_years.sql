-- The schools that support could have reached: every school-year in an LA that sent a support
-- record, in the academic years the record covers, with what support it received that year.
-- The denominators for reach and cost.
with reporting_las as (
    select distinct la_code from {{ ref('int_support_activities_in_context') }} where la_code is not null
),

record_years as (
    select distinct academic_year from {{ ref('int_support_activities_in_context') }}
),

received as (
    select school_key, academic_year, count(*) as activities
    from {{ ref('int_support_activities_in_context') }}
    group by all
)

select
    school_years.school_key,
    school_years.academic_year,
    school_years.la_code,
    school_years.arrangement_code,
    school_years.phase_group,
    school_years.pupils_on_roll,
    school_years.fsm_ever_pct,
    coalesce(received.activities, 0) as activities,
    coalesce(received.activities, 0) > 0 as is_supported
from {{ ref('fct_school_year') }} as school_years
left join received
    on received.school_key = school_years.school_key and received.academic_year = school_years.academic_year
where school_years.la_code in (select la_code from reporting_las)
  and school_years.academic_year in (select academic_year from record_years)
