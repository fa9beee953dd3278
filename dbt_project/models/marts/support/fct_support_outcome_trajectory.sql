-- What follows support: the outcomes of supported schools in the years before and after their
-- first recorded support, beside schools in the same arrangement that were not yet supported in
-- the same academic year (a school's own value never counts in its comparison). Descriptive, not
-- causal: support is targeted at need, so supported schools differ before support too (read the
-- negative years first). The record starts in the first academic year it covers; support before
-- that is unknown.
with first_support as (
    select school_key, min(cast(left(academic_year, 4) as integer)) as first_support_start
    from {{ ref('int_support_activities_in_context') }}
    group by school_key
),

reporting_las as (
    select distinct la_code from {{ ref('int_support_activities_in_context') }} where la_code is not null
),

panel as (
    unpivot (
        select
            school_years.school_key,
            school_years.arrangement_code,
            school_years.academic_year,
            cast(left(school_years.academic_year, 4) as integer) as year_start,
            first_support.first_support_start,
            cast(school_years.ks2_rwm_expected_pct as double) as ks2_rwm_expected_pct,
            cast(school_years.ks4_attainment8 as double) as ks4_attainment8,
            cast(school_years.overall_absence_pct as double) as overall_absence_pct
        from {{ ref('fct_school_year') }} as school_years
        left join first_support using (school_key)
        where school_years.la_code in (select la_code from reporting_las)
    )
    on ks2_rwm_expected_pct, ks4_attainment8, overall_absence_pct
    into name measure value value
),

not_yet_supported as (
    select arrangement_code, academic_year, measure, sum(value) as total, count(*) as n
    from panel
    where first_support_start is null or first_support_start > year_start
    group by all
),

supported as (
    select
        panel.arrangement_code,
        panel.measure,
        panel.school_key,
        panel.year_start - panel.first_support_start as years_from_first_support,
        panel.value,
        not_yet_supported.n - (panel.first_support_start > panel.year_start)::integer as comparison_schools,
        (not_yet_supported.total - case when panel.first_support_start > panel.year_start then panel.value else 0 end)
            / nullif(not_yet_supported.n - (panel.first_support_start > panel.year_start)::integer, 0)
            as comparison_mean
    from panel
    inner join not_yet_supported using (arrangement_code, academic_year, measure)
    where panel.first_support_start is not null
)

select
    arrangement_code,
    measure,
    years_from_first_support,
    count(*) as school_years,
    count(distinct school_key) as schools,
    round(avg(comparison_schools), 1) as mean_comparison_schools,
    round(avg(value), 4) as supported_mean,
    round(avg(comparison_mean), 4) as not_yet_supported_mean,
    round(avg(value - comparison_mean), 4) as difference,
    {{ data_provenance(with_support_record=true) }} as data_provenance
from supported
where comparison_mean is not null
group by arrangement_code, measure, years_from_first_support
