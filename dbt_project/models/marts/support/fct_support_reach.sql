-- Which schools support reaches, and whether it is targeted at need: the share of schools
-- supported in each national need fifth (5 = highest need), for the combined-authority
-- arrangement and single-LA arrangements, by academic year. Only LAs that sent a support record
-- count, so a share is "of the schools in LAs that report their support".
with banded as (
    select area.*, 'disadvantage' as need_measure, bands.disadvantage_band as need_band
    from {{ ref('int_support_area_school_years') }} as area
    left join {{ ref('int_school_need_bands') }} as bands using (school_key, academic_year)
    union all
    select area.*, 'prior_attainment', bands.prior_attainment_band
    from {{ ref('int_support_area_school_years') }} as area
    left join {{ ref('int_school_need_bands') }} as bands using (school_key, academic_year)
),

by_band as (
    select
        arrangement_code,
        academic_year,
        need_measure,
        need_band,
        count(*) as schools,
        count(*) filter (where is_supported) as schools_supported,
        cast(sum(activities) as bigint) as activities
    from banded
    group by all
),

shares as (
    select
        *,
        schools_supported / schools as share_supported,
        sum(schools_supported) over arrangement_year / sum(schools) over arrangement_year as share_supported_all_bands
    from by_band
    window arrangement_year as (partition by arrangement_code, academic_year, need_measure)
)

select
    arrangement_code,
    academic_year,
    need_measure,
    need_band,
    schools,
    schools_supported,
    activities,
    round(share_supported, 4) as share_supported,
    round(share_supported / nullif(share_supported_all_bands, 0), 4) as relative_reach,
    -- How many times as likely a highest-need school (band 5) is to be supported as a
    -- lowest-need one (band 1): above 1 means support is targeted at need.
    round(
        max(case when need_band = 5 then share_supported end) over arrangement_year
        / nullif(max(case when need_band = 1 then share_supported end) over arrangement_year, 0),
        4) as targeting_ratio,
    {{ data_provenance(with_support_record=true) }} as data_provenance
from shares
window arrangement_year as (partition by arrangement_code, academic_year, need_measure)
