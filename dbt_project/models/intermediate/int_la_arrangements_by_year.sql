-- Which school-improvement arrangement each LA was in, by academic year, and whether it is in the
-- treated group or a comparator set. Membership comes from seeds, so an evaluator changes a date
-- or a comparator set by editing a seed. The arrangement is the one in force on 1 January of the
-- academic year (the school census date).
with settings as (
    select
        max(case when setting = 'treated_arrangement' then value end) as treated_arrangement,
        max(case when setting = 'pilot_start_date' then value end)::date as pilot_start_date
    from {{ ref('evaluation_settings') }}
),

years as (
    select distinct academic_year from {{ ref('stg_dfe__ks2_results') }}
    union select distinct academic_year from {{ ref('stg_dfe__ks4_results') }}
    union select distinct academic_year from {{ ref('stg_dfe__absence') }}
    union select distinct academic_year from {{ ref('stg_dfe__census') }}
    union select distinct academic_year from {{ ref('stg_lait__la_indicators') }}
),

la_years as (
    select distinct
        la.la_code,
        la.la_name,
        years.academic_year,
        make_date(cast(left(years.academic_year, 4) as integer) + 1, 1, 1) as reference_date,
        make_date(cast(left(years.academic_year, 4) as integer), 9, 1) as year_start_date
    from (select la_code, arg_max(la_name, valid_from) as la_name from {{ ref('la_codes') }} group by la_code) as la
    cross join years
),

membership as (
    select * from {{ ref('arrangement_membership') }} where runs_school_improvement
),

treated_las as (
    select distinct membership.la_code
    from {{ ref('arrangement_membership') }} as membership, settings
    where membership.arrangement_code = settings.treated_arrangement
      and membership.valid_from <= settings.pilot_start_date
      and coalesce(membership.valid_to, date '9999-12-31') >= settings.pilot_start_date
)

select
    la_years.la_code,
    la_years.la_name,
    la_years.academic_year,
    coalesce(membership.arrangement_code, 'single_la') as arrangement_code,
    coalesce(membership.arrangement_name, 'Single local authority') as arrangement_name,
    la_years.la_code in (select la_code from treated_las) as is_treated_la,
    la_years.year_start_date > settings.pilot_start_date as is_post_pilot
from la_years
cross join settings
left join membership
    on membership.la_code = la_years.la_code
   and membership.valid_from <= la_years.reference_date
   and coalesce(membership.valid_to, date '9999-12-31') >= la_years.reference_date
