-- Every LA, region and England, by academic year and measure, from DfE's LA Interactive Tool.
-- One row per area x academic year x measure (measures from the la_indicator_measures seed);
-- years with no value are kept, with the reason in value_status, and years that are not comparable
-- with the rest of a series are kept and flagged (measure_year_exclusions seed).
with measures as (
    select * from {{ ref('la_indicator_measures') }}
),

indicators as (
    select * from {{ ref('stg_lait__la_indicators') }}
),

direct as (
    select
        indicators.area_code, indicators.area_level, indicators.area_name, indicators.region_name,
        indicators.academic_year, measures.measure,
        indicators.value, indicators.value_status,
        indicators.polarity = 'High' as higher_is_better,
        measures.lait_measure_code as source_measure_code,
        indicators._source_file, indicators._source_row::varchar as _source_rows, indicators._snapshot_sha256
    from measures
    join indicators on indicators.measure_code = measures.lait_measure_code
    where measures.minus_lait_measure_code is null
),

-- A gap is one published measure minus another for the same area and year; it has a value only
-- when both do, and otherwise the first status that is not 'reported'.
derived as (
    select
        a.area_code, a.area_level, a.area_name, a.region_name, a.academic_year, measures.measure,
        round(a.value - b.value, 6) as value,  -- each input is rounded; no binary noise in the gap
        case when a.value_status <> 'reported' then a.value_status else b.value_status end as value_status,
        measures.derived_polarity = 'High' as higher_is_better,
        measures.lait_measure_code || ' - ' || measures.minus_lait_measure_code as source_measure_code,
        a._source_file, a._source_row::varchar || ',' || b._source_row::varchar as _source_rows, a._snapshot_sha256
    from measures
    join indicators as a on a.measure_code = measures.lait_measure_code
    join indicators as b
        on b.measure_code = measures.minus_lait_measure_code
       and b.area_code = a.area_code
       and b.academic_year = a.academic_year
    where measures.minus_lait_measure_code is not null
),

published as (
    select * from direct
    union all
    select * from derived
),

-- Every measure for every area and year LAIT covers: a year LAIT has no row for (Progress 8 in
-- 2024/25) is present, with value_status 'not_published', rather than silently missing.
areas as (
    select area_code, academic_year, any_value(area_level) as area_level, any_value(area_name) as area_name,
           any_value(region_name) as region_name
    from published
    group by area_code, academic_year
),

measure_facts as (
    select measure, any_value(higher_is_better) as higher_is_better, any_value(source_measure_code) as source_measure_code
    from published
    group by measure
),

la_years as (
    select
        areas.area_code, areas.area_level, areas.area_name, areas.region_name, areas.academic_year,
        measure_facts.measure,
        published.value,
        coalesce(published.value_status, 'not_published') as value_status,
        measure_facts.higher_is_better,
        measure_facts.source_measure_code,
        published._source_file, published._source_rows, published._snapshot_sha256
    from areas
    cross join measure_facts
    left join published
        on published.area_code = areas.area_code
       and published.academic_year = areas.academic_year
       and published.measure = measure_facts.measure
),

la_names as (
    select la_code, arg_max(la_name, valid_from) as la_name, arg_max(valid_to, valid_from) as valid_to,
           arg_max(replaced_by_la_codes, valid_from) as replaced_by_la_codes
    from {{ ref('la_codes') }}
    group by la_code
),

settings as (
    select
        max(case when setting = 'treated_arrangement' then value end) as treated_arrangement,
        max(case when setting = 'pilot_start_date' then value end)::date as pilot_start_date
    from {{ ref('evaluation_settings') }}
),

-- Every combined authority each LA was in on 1 January of the academic year (census date).
membership as (
    select
        la_years.area_code, la_years.academic_year,
        membership.arrangement_code, membership.arrangement_name
    from (select distinct area_code, academic_year from la_years where area_level = 'la') as la_years
    join {{ ref('arrangement_membership') }} as membership
        on membership.la_code = la_years.area_code
       and membership.valid_from <= make_date(cast(left(la_years.academic_year, 4) as integer) + 1, 1, 1)
       and coalesce(membership.valid_to, date '9999-12-31')
           >= make_date(cast(left(la_years.academic_year, 4) as integer) + 1, 1, 1)
),

treated_las as (
    select distinct la_code from {{ ref('int_la_arrangements_by_year') }} where is_treated_la
),

-- LAs in a combined authority with a treated LA in that year (e.g. Gateshead, South Tyneside,
-- Sunderland and Durham from 2024/25, in the North East Mayoral CA).
sharing_ca as (
    select distinct other.area_code, other.academic_year
    from membership as other
    join membership as treated
        on treated.arrangement_code = other.arrangement_code
       and treated.academic_year = other.academic_year
    where treated.area_code in (select la_code from treated_las)
      and other.area_code not in (select la_code from treated_las)
)

select
    la_years.area_code as la_code,
    la_years.area_level,
    coalesce(la_names.la_name, la_years.area_name) as la_name,
    case when la_years.area_level = 'la' then la_years.region_name
         when la_years.area_level = 'region' then la_years.area_name end as region,
    la_names.replaced_by_la_codes,
    la_years.academic_year,
    coalesce(membership.arrangement_code, case when la_years.area_level = 'la' then 'single_la' end)
        as arrangement_code,
    coalesce(membership.arrangement_name, case when la_years.area_level = 'la' then 'Single local authority' end)
        as arrangement_name,
    la_years.area_code in (select la_code from treated_las) as is_treated_la,
    make_date(cast(left(la_years.academic_year, 4) as integer), 9, 1) > settings.pilot_start_date as is_post_pilot,
    -- the year the pilot began in: partly exposed, neither before nor after
    settings.pilot_start_date >= make_date(cast(left(la_years.academic_year, 4) as integer), 9, 1)
        and settings.pilot_start_date < make_date(cast(left(la_years.academic_year, 4) as integer) + 1, 9, 1)
        and settings.pilot_start_date > make_date(cast(left(la_years.academic_year, 4) as integer), 9, 1)
        as is_partly_exposed,
    sharing_ca.area_code is not null as shares_ca_with_treated_la,
    la_years.area_code in (select la_code from {{ ref('education_investment_areas') }}) as is_education_investment_area,
    la_years.measure,
    la_years.value,
    la_years.value_status,
    la_years.higher_is_better,
    la_years.source_measure_code,
    exclusions.reason is null as comparable,
    exclusions.reason as not_comparable_reason,
    {% if var('source_mode') == 'demo' -%}
    {{ data_provenance() }}
    {%- else -%}
    'DfE LA Interactive Tool (LAIT) open data (Open Government Licence v3.0)'
    {%- endif %} as data_provenance,
    la_years._source_file,
    la_years._source_rows,
    la_years._snapshot_sha256
from la_years
cross join settings
left join la_names on la_names.la_code = la_years.area_code and la_years.area_level = 'la'
left join membership
    on membership.area_code = la_years.area_code and membership.academic_year = la_years.academic_year
left join sharing_ca
    on sharing_ca.area_code = la_years.area_code and sharing_ca.academic_year = la_years.academic_year
left join {{ ref('measure_year_exclusions') }} as exclusions
    on exclusions.measure = la_years.measure and exclusions.academic_year = la_years.academic_year
