-- DfE's own LA and national summary rows, in long form: one row per summary row and measure.
-- They are pupil-level aggregates; fct_published_comparison sets the pipeline's school-level
-- aggregates beside them.
{%- set sources = [
    ('ks2', 'ks2', ['rwm_expected_pct', 'disadvantaged_pct']),
    ('ks4', 'ks4', ['attainment8', 'basics_94_pct']),
    ('ks4_provisional', 'ks4_provisional', ['attainment8', 'basics_94_pct']),
    ('absence', 'absence', ['overall_absence_pct', 'persistent_absence_pct']),
    ('census', 'census', ['fsm_ever_pct', 'eal_pct']),
] %}
with summary_rows as (
    {%- for dataset, table, measures in sources %}
    {%- for measure in measures %}
    select
        '{{ dataset }}' as dataset,
        academic_year,
        _source_file as source_file,
        _source_row as source_row,
        record_level as geography_level,
        {%- if dataset in ('ks2', 'ks4', 'ks4_provisional') %}
        case when record_level = 'la' then trim(la_code) else 'E92000001' end as geography_code,
        -- which schools the row covers: national all schools is RECTYPE 4 in KS2 but 5 in KS4
        case
            when record_level = 'la' then 'state_funded'
            when trim(rectype) = '{{ "4" if dataset == "ks2" else "5" }}' then 'all_schools'
            else 'state_funded'
        end as school_scope,
        {%- else %}
        case when record_level = 'la' then trim(la_code) else 'E92000001' end as geography_code,
        -- absence and census summary rows are per phase: PRI, SEC, SPE in ESTAB
        'state_funded_' || lower(trim(estab)) as school_scope,
        {%- endif %}
        '{{ measure }}' as measure,
        -- the pupils DfE's row counts (absence files publish no pupil numbers)
        {{ 'null::double' if dataset == 'absence' else measure_value('pupils_on_roll' if dataset == 'census' else 'cohort') }} as dfe_cohort,
        {{ measure_value(measure) }} as dfe_value,
        {{ measure_status(measure) }} as dfe_value_status
    from {{ source('raw', table) }}
    where record_level in ('la', 'national')
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from summary_rows
