-- One row per school (school_key) per academic year. Each dataset's row is taken from whichever
-- URN of the school published it that year, not only from the URN in force: a school that
-- converts during a year publishes its results under the old URN, and those results are kept.
-- The stated rule when two URNs of one school both publish a dataset in one year (e.g. a school
-- listed under both URNs): keep the row with the larger cohort (pupils on roll for absence and
-- census; the later URN on a tie) and count the URNs in <dataset>_urns_published, so it is flagged,
-- never silently lost.
{%- set datasets = [
    ('ks2', 'stg_dfe__ks2_results', 'cohort', 'is_state_funded'),
    ('ks4', 'stg_dfe__ks4_results', 'cohort', 'is_state_funded'),
    ('absence', 'stg_dfe__absence', none, none),
    ('census', 'stg_dfe__census', 'pupils_on_roll', none),
    ('spine', 'stg_dfe__school_information', none, none),
] %}
with keys as (
    select urn, school_key from {{ ref('int_school_urns_linked') }}
),

census_pupils as (
    select urn, academic_year, pupils_on_roll from {{ ref('stg_dfe__census') }}
),
{% for name, model, size, filter in datasets %}
{{ name }}_urns as (
    select
        coalesce(keys.school_key, rows.urn) as school_key,
        rows.*,
        {%- if size %}
        rows.{{ size }} as row_size
        {%- elif name == 'absence' %}
        census_pupils.pupils_on_roll as row_size
        {%- else %}
        null::double as row_size
        {%- endif %}
    from {{ ref(model) }} as rows
    left join keys on keys.urn = rows.urn
    {%- if name == 'absence' %}
    left join census_pupils on census_pupils.urn = rows.urn and census_pupils.academic_year = rows.academic_year
    {%- endif %}
    {%- if filter %}
    where rows.{{ filter }}
    {%- endif %}
),

{{ name }} as (
    select
        *,
        count(*) over (partition by school_key, academic_year) as urns_published
    from {{ name }}_urns
    qualify row_number() over (partition by school_key, academic_year
                               order by row_size desc nulls last, urn desc) = 1
),
{% endfor %}
school_years as (
    {%- for name, model, size, filter in datasets if name != 'spine' %}
    select school_key, academic_year, urn, la_code from {{ name }}_urns
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- The URN in force: the latest URN of the school with any row that year, and its LA code.
keyed as (
    select school_key, academic_year, urn, la_code
    from school_years
    qualify row_number() over (partition by school_key, academic_year order by urn desc, la_code desc) = 1
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
    census.sen_ehcp_pct,
    -- which URN each dataset's row came from, and how many URNs of the school published it that
    -- year (2 or more: the larger cohort was kept, see the rule above)
    ks2.urn as ks2_urn,
    ks2.urns_published as ks2_urns_published,
    ks4.urn as ks4_urn,
    ks4.urns_published as ks4_urns_published,
    absence.urn as absence_urn,
    absence.urns_published as absence_urns_published,
    census.urn as census_urn,
    census.urns_published as census_urns_published
from keyed
{%- for name, model, size, filter in datasets %}
left join {{ name }} on {{ name }}.school_key = keyed.school_key and {{ name }}.academic_year = keyed.academic_year
{%- endfor %}
