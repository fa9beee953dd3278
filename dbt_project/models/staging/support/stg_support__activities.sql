-- Support activities, typed. A later delivery of the same activity_id replaces an earlier one.
with typed as (
    select
        trim(activity_id) as activity_id,
        cast(urn as integer) as urn,
        provider_name,
        lower(trim(provider_type)) as provider_type,
        lower(trim(activity_type)) as activity_type,
        lower(trim(level)) as level,
        lower(trim(programme_strand)) as programme_strand,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(effort_days as double) as effort_days,
        cast(cost_gbp as decimal(12, 2)) as cost_gbp,
        lower(trim(funded_by)) as funded_by,
        adviser_pseudonym,
        _source_file,
        _source_row,
        _snapshot_sha256
    from {{ source('raw', 'support_activity') }}
)

select
    *,
    {{ academic_year_of('start_date') }} as academic_year
from typed
qualify row_number() over (partition by activity_id order by _source_file desc, _source_row desc) = 1
