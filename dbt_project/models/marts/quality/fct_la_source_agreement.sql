-- Does LAIT agree with DfE's own summary rows in the performance-tables files we landed? One row per
-- LA or national summary row of a landed file that LAIT also covers (same measure, area and year).
-- Both are DfE's pupil-level figures, so they should agree to the published rounding.
with pairs as (
    -- (dataset, measure in the file, which schools the summary row covers, fct_la_year measure)
    select * from (values
        ('ks2', 'rwm_expected_pct', 'state_funded', 'ks2_rwm_expected_pct'),
        ('ks4', 'attainment8', 'state_funded', 'ks4_attainment8'),
        ('ks4_provisional', 'attainment8', 'state_funded', 'ks4_attainment8'),
        ('absence', 'overall_absence_pct', 'state_funded_pri', 'primary_absence_pct'),
        ('absence', 'overall_absence_pct', 'state_funded_sec', 'secondary_absence_pct')
    ) as pairs (dataset, file_measure, school_scope, la_measure)
),

published as (
    select
        summary.dataset,
        summary.academic_year,
        case when summary.geography_level = 'national' then 970 else try_cast(summary.geography_code as integer) end
            as la_code,
        pairs.la_measure as measure,
        summary.source_file,
        summary.source_row,
        summary.dfe_value as file_value
    from {{ ref('stg_dfe__published_aggregates') }} as summary
    join pairs
        on pairs.dataset = summary.dataset
       and pairs.file_measure = summary.measure
       and pairs.school_scope = summary.school_scope  -- LAIT covers state-funded schools
    where summary.dfe_value is not null
)

select
    published.dataset,
    published.academic_year,
    published.la_code,
    la.la_name,
    published.measure,
    published.source_file,
    published.source_row,
    published.file_value,
    la.value as lait_value,
    round(la.value - published.file_value, 6) as difference,
    -- files and LAIT round differently (68% / 68.30%): agreement means within half a unit of the
    -- coarser rounding, 0.05 for one decimal and 0.5 for whole percentages
    case when la.value is null then null
         else abs(la.value - published.file_value) <= case when published.measure like 'ks2%' then 0.5 else 0.05 end
    end as agrees,
    -- LAIT holds final figures; a provisional file's are revised before the final release
    published.dataset <> 'ks4_provisional' as expected_to_agree,
    la._source_file as lait_source_file,
    la._source_rows as lait_source_row
from published
left join {{ ref('fct_la_year') }} as la
    on la.la_code = published.la_code
   and la.academic_year = published.academic_year
   and la.measure = published.measure
