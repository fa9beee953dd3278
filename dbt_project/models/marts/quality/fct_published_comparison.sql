-- Every LA and national summary row DfE published in a landed file, beside the pipeline's own
-- cohort-weighted aggregate of that same file's school rows. Differences beyond the tolerance
-- (1.0 percentage point; 0.5 Attainment 8 points) carry a documented reason in `note`.
{%- set ks_sources = [('ks2', 'ks2'), ('ks4', 'ks4'), ('ks4_provisional', 'ks4_provisional')] %}
with census_phase as (
    -- a school's phase code (pri/sec/spe) and pupils on roll, from the census of the same year
    select
        academic_year,
        cast(urn as integer) as urn,
        case
            when school_type ilike 'state-funded primary%' then 'pri'
            when school_type ilike 'state-funded secondary%' then 'sec'
            when school_type ilike 'state-funded special%' then 'spe'
        end as phase_code,
        school_type is not null and school_type not ilike 'state-funded%' as is_not_state_funded,
        {{ measure_value('pupils_on_roll') }} as pupils_on_roll
    from {{ source('raw', 'census') }}
    where record_level = 'school'
    qualify row_number() over (partition by academic_year, urn order by (_source_file like '%england_%') desc) = 1
),

spine_phase as (
    select urn, arg_max(phase_group, academic_year) as phase_group
    from {{ ref('stg_dfe__school_information') }}
    group by urn
),

school_values as (
    {%- for dataset, table in ks_sources %}
    {%- for measure in (['rwm_expected_pct', 'disadvantaged_pct'] if dataset == 'ks2' else ['attainment8', 'basics_94_pct']) %}
    select
        '{{ dataset }}' as dataset, academic_year, _source_file as source_file,
        cast(la_code as integer) as la_code,
        coalesce(trim(school_type) not in ('IND', 'INDSPEC', 'NMSS'), true) as is_state_funded,
        null as phase_code,
        '{{ measure }}' as measure,
        {{ measure_value(measure) }} as value,
        {{ measure_status(measure) }} as value_status,
        {{ measure_value('cohort') }} as weight
    from {{ source('raw', table) }}
    where record_level = 'school'
    union all
    {%- endfor %}
    {%- endfor %}
    {%- for measure in ['overall_absence_pct', 'persistent_absence_pct'] %}
    select
        'absence', absence.academic_year, absence._source_file, cast(absence.la_code as integer),
        not coalesce(census_phase.is_not_state_funded, false),
        coalesce(census_phase.phase_code, case spine_phase.phase_group
            when 'primary' then 'pri' when 'secondary' then 'sec' when 'special' then 'spe' end),
        '{{ measure }}',
        {{ measure_value('absence.' ~ measure) }},
        {{ measure_status('absence.' ~ measure) }},
        census_phase.pupils_on_roll
    from {{ source('raw', 'absence') }} as absence
    left join census_phase
        on census_phase.academic_year = absence.academic_year and census_phase.urn = try_cast(absence.urn as integer)
    left join spine_phase on spine_phase.urn = try_cast(absence.urn as integer)
    where absence.record_level = 'school'
    union all
    {%- endfor %}
    {%- for measure in ['fsm_ever_pct', 'eal_pct'] %}
    select
        'census', census.academic_year, census._source_file, cast(census.la_code as integer),
        coalesce(census.school_type ilike 'state-funded%', true),
        coalesce(case
            when census.school_type ilike 'state-funded primary%' then 'pri'
            when census.school_type ilike 'state-funded secondary%' then 'sec'
            when census.school_type ilike 'state-funded special%' then 'spe'
        end, case spine_phase.phase_group
            when 'primary' then 'pri' when 'secondary' then 'sec' when 'special' then 'spe' end),
        '{{ measure }}',
        {{ measure_value('census.' ~ measure) }},
        {{ measure_status('census.' ~ measure) }},
        {{ measure_value('census.pupils_on_roll') }}
    from {{ source('raw', 'census') }} as census
    left join spine_phase on spine_phase.urn = try_cast(census.urn as integer)
    where census.record_level = 'school'
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

summary as (
    select * from {{ ref('stg_dfe__published_aggregates') }}
),

-- The school panel's own LA aggregate (fct_school_year, cohort-weighted), so that a result the
-- panel lost (or double counted) shows up as a gap against the file's own school rows.
panel_values as (
    select academic_year, la_code, 'ks2' as panel_dataset, 'rwm_expected_pct' as measure,
           sum(ks2_rwm_expected_pct * ks2_cohort) / sum(ks2_cohort) as panel_value
    from {{ ref('fct_school_year') }}
    where ks2_rwm_expected_pct is not null and ks2_cohort > 0
    group by all
    union all
    select academic_year, la_code, 'ks4', 'attainment8', sum(ks4_attainment8 * ks4_cohort) / sum(ks4_cohort)
    from {{ ref('fct_school_year') }}
    where ks4_attainment8 is not null and ks4_cohort > 0
    group by all
),

matched as (
    -- the school rows each summary row covers: same file; the LA's schools for an LA row; the
    -- file's state-funded (or all) schools for a national row; one phase for absence and census
    select
        summary.dataset, summary.academic_year, summary.source_file, summary.source_row,
        summary.geography_level, summary.geography_code, summary.school_scope, summary.measure,
        summary.dfe_value, summary.dfe_value_status, summary.dfe_cohort,
        sum(school_values.weight) as pipeline_cohort,
        sum(school_values.weight) filter (where school_values.value_status = 'reported' and school_values.weight > 0) as reported_cohort,
        count(school_values.weight) filter (where school_values.value_status = 'reported' and school_values.weight > 0) as n_schools,
        sum(school_values.weight * school_values.value) filter (where school_values.value_status = 'reported' and school_values.weight > 0)
            / sum(school_values.weight) filter (where school_values.value_status = 'reported' and school_values.weight > 0) as pipeline_value,
        sum(school_values.weight) filter (where school_values.value_status <> 'reported')
            / nullif(sum(school_values.weight), 0) as unpublished_weight_share,
        count(*) filter (where school_values.dataset is not null and school_values.phase_code is null) as n_without_phase
    from summary
    left join school_values
        on school_values.dataset = summary.dataset
       and school_values.source_file = summary.source_file
       and school_values.measure = summary.measure
       and (summary.geography_level = 'national' or school_values.la_code::varchar = summary.geography_code)
       and (summary.school_scope = 'all_schools' or school_values.is_state_funded)
       and (summary.school_scope not like 'state_funded_%' or school_values.phase_code = replace(summary.school_scope, 'state_funded_', ''))
       -- a national row can only be recomputed from a national file
       and (summary.geography_level = 'la' or summary.source_file like '%england_%')
    group by all
),

compared as (
    select
        *,
        case when measure = 'attainment8' then 0.5 else 1.0 end as tolerance,
        pipeline_value - dfe_value as difference,
        pipeline_cohort / nullif(dfe_cohort, 0) as cohort_coverage,
        -- share of pupils with no published school value behind pipeline_value, counted against the
        -- larger of DfE's cohort and the school rows' cohort (they differ by a few pupils either way)
        coalesce(1 - reported_cohort / nullif(greatest(dfe_cohort, pipeline_cohort), 0), unpublished_weight_share) as missing_share,
        case when measure = 'attainment8' then 90 else 100 end as measure_maximum
    from matched
),

judged as (
    select
        compared.*,
        panel_values.panel_value,
        -- DfE = (1 - m) * pipeline + m * (missing pupils' mean), and that mean lies in [0, maximum]:
        -- missing pupils alone can put DfE's figure below pipeline by up to m * pipeline, or above
        -- it by up to m * (maximum - pipeline). Both sides are published rounded to one decimal
        -- place (+-0.05 each), so 0.1 is added for rounding.
        case when difference >= 0 then missing_share * pipeline_value
             else missing_share * (measure_maximum - pipeline_value) end + 0.1 as gap_missing_pupils_can_explain
    from compared
    left join panel_values
        on compared.geography_level = 'la'
       and panel_values.academic_year = compared.academic_year
       and panel_values.la_code::varchar = compared.geography_code
       and panel_values.measure = compared.measure
       and panel_values.panel_dataset = case when compared.dataset = 'ks2' then 'ks2' else 'ks4' end
)

select
    dataset,
    academic_year,
    geography_level,
    geography_code,
    school_scope,
    measure,
    source_file,
    source_row,
    round(dfe_value, 4) as dfe_value,
    -- the pipeline's own aggregate is withheld (disclosure control) when built from too few schools or pupils
    case when not {{ too_few('n_schools', 'reported_cohort') }} then round(pipeline_value, 4) end as pipeline_value,
    case when not {{ too_few('n_schools', 'reported_cohort') }} then round(difference, 4) end as difference,
    case when not {{ too_few('n_schools', 'reported_cohort') }} then round(panel_value, 4) end as panel_value,
    case when not {{ too_few('n_schools', 'reported_cohort') }} then round(panel_value - pipeline_value, 4) end
        as panel_minus_file_schools,
    tolerance,
    n_schools::integer as n_schools,
    dfe_cohort::bigint as dfe_cohort,
    pipeline_cohort::bigint as pipeline_cohort,
    round(cohort_coverage, 4) as cohort_coverage,
    round(unpublished_weight_share, 4) as unpublished_weight_share,
    round(missing_share, 4) as missing_share,
    case when difference is not null and not {{ too_few('n_schools', 'reported_cohort') }}
        then abs(difference) <= tolerance end as within_tolerance,
    case
        when dfe_value is null then 'DfE published no number here (' || dfe_value_status || ')'
        when geography_level = 'national' and source_file not like '%england_%'
            then 'national row in an LA-level download: the file holds one LA''s schools, so no national aggregate can be recomputed'
        when n_schools = 0 and n_without_phase > 0
            then 'the school rows of this file carry no phase (no school type in this year''s census or spine), so this phase cannot be recomputed'
        when n_schools = 0 then 'no school rows with a published value to aggregate'
        when {{ too_few('n_schools', 'reported_cohort') }}
            then 'c: the pipeline aggregate is withheld (fewer than {{ var("disclosure_min_schools") }} schools or {{ var("disclosure_min_pupils") }} pupils)'
        when abs(difference) <= tolerance then null
        when cohort_coverage < 0.5
            then 'the file holds only part of the schools DfE''s row covers (a row subset or LA-level file): '
                 || round(100 * cohort_coverage, 1) || '% of its pupils'
        when school_scope = 'all_schools' and source_file like '%england_%'
            then 'the all-schools row includes independent schools, whose pupils and results the school rows do not publish (NA/NP)'
        when cohort_coverage < 0.97
            then 'the school rows hold ' || round(100 * cohort_coverage, 1) || '% of the pupils in DfE''s row: pupils in '
                 || 'alternative provision, FE colleges and schools whose cohort is not published count in DfE''s figure only'
        when abs(difference) <= gap_missing_pupils_can_explain
            then round(100 * missing_share, 1) || '% of the pupils in DfE''s row have no published school value here '
                 || '(suppressed, NE/NP, or in no school row of this file - for KS4 mostly special schools and alternative provision); '
                 || 'DfE''s pupil-level figure includes them, which can move it by up to '
                 || round(gap_missing_pupils_can_explain, 2) || ', more than the ' || round(abs(difference), 2) || ' seen'
        when dataset = 'absence'
            then 'school absence rates are weighted here by pupils on roll; DfE weights by possible sessions'
        else 'unexplained difference beyond tolerance: investigate'
    end as note,
    {{ data_provenance() }} as data_provenance
from judged
