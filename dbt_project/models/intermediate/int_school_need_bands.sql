-- Need bands for targeting: national fifths, 5 = highest need.
--   disadvantage_band: share of pupils ever eligible for free school meals, ranked within the
--     academic year and phase (so primaries are compared with primaries).
--   prior_attainment_band: the school's attainment in 2018/19, the last year before COVID and the
--     pilot (KS2 reading, writing and maths expected standard for primaries; Attainment 8 for
--     secondaries), lowest attainment = band 5. Fixed per school; NULL when it had no 2018/19 value.
with disadvantage as (
    select
        school_key,
        academic_year,
        ntile(5) over (partition by academic_year, phase_group order by fsm_ever_pct, school_key) as disadvantage_band
    from {{ ref('fct_school_year') }}
    where fsm_ever_pct is not null
),

prior_attainment as (
    select
        school_key,
        ntile(5) over (
            partition by phase_group
            order by case phase_group when 'primary' then ks2_rwm_expected_pct else ks4_attainment8 end desc, school_key
        ) as prior_attainment_band
    from {{ ref('fct_school_year') }}
    where academic_year = '2018/19'
      and ((phase_group = 'primary' and ks2_rwm_expected_pct is not null)
        or (phase_group = 'secondary' and ks4_attainment8 is not null))
)

select
    school_years.school_key,
    school_years.academic_year,
    disadvantage.disadvantage_band,
    prior_attainment.prior_attainment_band
from {{ ref('fct_school_year') }} as school_years
left join disadvantage using (school_key, academic_year)
left join prior_attainment using (school_key)
