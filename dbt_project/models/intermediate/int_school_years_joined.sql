-- One row per school (school_key) per academic year, joining every dataset through the URN in
-- force that year. Where two URNs of one school_key appear in the same year, the later URN wins.
with keys as (
    select urn, school_key from {{ ref('int_school_urns_linked') }}
),

school_years as (
    select academic_year, urn, la_code from {{ ref('stg_dfe__ks2_results') }} where is_state_funded
    union
    select academic_year, urn, la_code from {{ ref('stg_dfe__ks4_results') }} where is_state_funded
    union
    select academic_year, urn, la_code from {{ ref('stg_dfe__absence') }}
    union
    select academic_year, urn, la_code from {{ ref('stg_dfe__census') }}
),

urn_years as (
    select
        coalesce(keys.school_key, school_years.urn) as school_key,
        school_years.academic_year,
        school_years.urn,
        -- an LA code per school-year: any dataset's (they agree for the same URN and year)
        max(school_years.la_code) as la_code
    from school_years
    left join keys on keys.urn = school_years.urn
    group by 1, 2, 3
),

keyed as (
    select * from urn_years
    qualify row_number() over (partition by school_key, academic_year order by urn desc) = 1
)

select
    keyed.school_key,
    keyed.academic_year,
    keyed.urn,
    keyed.la_code,
    coalesce(ks4.school_name, ks2.school_name, spine.school_name) as published_school_name,
    -- phase as the performance tables show it (dim_school prefers GIAS when it has the school)
    case
        when spine.phase_group is not null and spine.phase_group <> 'other' then spine.phase_group
        when census.school_type ilike '%special%' or coalesce(ks2.school_type, ks4.school_type) in ('CYS', 'ACS', 'FDS', 'NMSS', 'CYSS')
            then 'special'
        when ks2.urn is not null and ks4.urn is not null then 'all_through'
        when ks2.urn is not null or census.school_type ilike '%primary%' then 'primary'
        when ks4.urn is not null or census.school_type ilike '%secondary%' then 'secondary'
    end as published_phase_group,
    ks2.cohort as ks2_cohort,
    ks2.rwm_expected_pct as ks2_rwm_expected_pct,
    ks2.rwm_expected_pct_status as ks2_rwm_expected_pct_status,
    ks2.rwm_high_pct as ks2_rwm_high_pct,
    ks2.reading_progress as ks2_reading_progress,
    ks2.maths_progress as ks2_maths_progress,
    ks2.rwm_expected_disadvantaged_pct as ks2_rwm_expected_disadvantaged_pct,
    ks2.rwm_expected_not_disadvantaged_pct as ks2_rwm_expected_not_disadvantaged_pct,
    ks2.rwm_expected_disadvantaged_pct - ks2.rwm_expected_not_disadvantaged_pct as ks2_rwm_disadvantage_gap_pp,
    ks2.disadvantaged_pct as ks2_disadvantaged_pct,
    ks2.disadvantaged_count as ks2_disadvantaged_count,
    ks4.cohort as ks4_cohort,
    ks4.attainment8 as ks4_attainment8,
    ks4.attainment8_status as ks4_attainment8_status,
    ks4.progress8 as ks4_progress8,
    ks4.basics_94_pct as ks4_basics_94_pct,
    ks4.attainment8_disadvantaged - ks4.attainment8_not_disadvantaged as ks4_attainment8_disadvantage_gap,
    ks4.disadvantaged_pct as ks4_disadvantaged_pct,
    ks4.disadvantaged_count as ks4_disadvantaged_count,
    absence.overall_absence_pct,
    absence.overall_absence_pct_status,
    absence.persistent_absence_pct,
    census.pupils_on_roll,
    census.fsm_ever_pct,
    census.eal_pct,
    census.sen_support_pct,
    census.sen_ehcp_pct
from keyed
left join {{ ref('stg_dfe__ks2_results') }} as ks2 on ks2.urn = keyed.urn and ks2.academic_year = keyed.academic_year and ks2.is_state_funded
left join {{ ref('stg_dfe__ks4_results') }} as ks4 on ks4.urn = keyed.urn and ks4.academic_year = keyed.academic_year and ks4.is_state_funded
left join {{ ref('stg_dfe__absence') }} as absence on absence.urn = keyed.urn and absence.academic_year = keyed.academic_year
left join {{ ref('stg_dfe__census') }} as census on census.urn = keyed.urn and census.academic_year = keyed.academic_year
left join {{ ref('stg_dfe__school_information') }} as spine on spine.urn = keyed.urn and spine.academic_year = keyed.academic_year
