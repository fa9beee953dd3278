-- The combined-authority arrangement (treated group) against each comparator group, by academic
-- year, phase and measure: cohort-weighted mean with a 95% interval, school and pupil counts.
-- Cells from fewer than var('disclosure_min_schools') schools or var('disclosure_min_pupils')
-- pupils are not published as numbers: value_status = 'c'.
{%- set measures = [
    ('ks2_rwm_expected_pct', 'ks2_cohort'),
    ('ks2_rwm_disadvantage_gap_pp', 'ks2_cohort'),
    ('ks4_attainment8', 'ks4_cohort'),
    ('ks4_attainment8_disadvantage_gap', 'ks4_cohort'),
    ('ks4_progress8', 'ks4_cohort'),
    ('overall_absence_pct', 'pupils_on_roll'),
    ('persistent_absence_pct', 'pupils_on_roll'),
    ('fsm_ever_pct', 'pupils_on_roll'),
] %}
with school_measures as (
    {%- for measure, weight in measures %}
    select school_key, academic_year, la_code, phase_group,
           '{{ measure }}' as measure, {{ measure }} as value, {{ weight }} as weight
    from {{ ref('fct_school_year') }}
    where {{ measure }} is not null and {{ weight }} > 0
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

in_groups as (
    select groups.comparison_group, groups.group_role, school_measures.*
    from school_measures
    inner join {{ ref('int_comparison_groups') }} as groups on groups.la_code = school_measures.la_code
),

by_phase as (
    select * from in_groups
    union all
    select * replace ('all' as phase_group) from in_groups
),

group_means as (
    select
        academic_year, phase_group, comparison_group, group_role, measure,
        sum(weight * value) / sum(weight) as weighted_mean
    from by_phase
    group by all
),

cells as (
    select
        by_phase.academic_year,
        by_phase.phase_group,
        by_phase.comparison_group,
        by_phase.group_role,
        by_phase.measure,
        count(*) as n_schools,
        sum(by_phase.weight) as n_pupils,
        any_value(group_means.weighted_mean) as weighted_mean,
        -- standard error of a weighted (ratio) mean, with the small-sample correction n/(n-1)
        sqrt(
            sum(by_phase.weight ^ 2 * (by_phase.value - group_means.weighted_mean) ^ 2)
            * count(*) / nullif(count(*) - 1, 0)
        ) / sum(by_phase.weight) as standard_error
    from by_phase
    inner join group_means using (academic_year, phase_group, comparison_group, group_role, measure)
    group by all
),

disclosed as (
    select
        *,
        n_schools < {{ var('disclosure_min_schools') }} or n_pupils < {{ var('disclosure_min_pupils') }} as is_suppressed
    from cells
)

select
    academic_year,
    phase_group,
    comparison_group,
    group_role,
    measure,
    n_schools::integer as n_schools,
    n_pupils::bigint as n_pupils,
    case when not is_suppressed then round(weighted_mean, 4) end as value,
    case when not is_suppressed then round(weighted_mean - 1.96 * standard_error, 4) end as ci_low,
    case when not is_suppressed then round(weighted_mean + 1.96 * standard_error, 4) end as ci_high,
    case when is_suppressed then 'c' else 'reported' end as value_status,
    {{ data_provenance() }} as data_provenance
from disclosed
