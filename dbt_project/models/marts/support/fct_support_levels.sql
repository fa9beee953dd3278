-- What happens at which level (regional, local, cluster, school), by phase and activity type,
-- for the combined-authority arrangement and single-LA arrangements, by academic year.
select
    arrangement_code,
    academic_year,
    level,
    phase_group,
    activity_type,
    count(*) as activities,
    round(sum(effort_days), 2) as effort_days,
    count(distinct school_key) as schools_reached,
    round(count(*) / sum(count(*)) over (partition by arrangement_code, academic_year), 4) as share_of_activities,
    {{ data_provenance(with_support_record=true) }} as data_provenance
from {{ ref('int_support_activities_in_context') }}
group by arrangement_code, academic_year, level, phase_group, activity_type
