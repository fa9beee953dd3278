-- Support activities, typed. Every row here passed the data contract at landing
-- (expectations/support_activity.schema.json), so the casts cannot fail. A later delivery from the
-- same sender replaces an earlier row with the same activity_id.
with typed as (
    select
        sender,
        trim(activity_id) as activity_id,
        sender || ':' || trim(activity_id) as activity_key,
        cast(urn as integer) as urn,
        provider_name,
        provider_type,
        nullif(provider_gias_group_uid, '') as provider_gias_group_uid,
        activity_type,
        level,
        programme_strand,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(effort_days as double) as effort_days,
        cast(cost_gbp as decimal(12, 2)) as cost_gbp,
        funded_by,
        adviser_pseudonym,
        cast(delivery_date as date) as delivery_date,
        _source_file,
        _source_row,
        _snapshot_sha256
    from {{ source('raw', 'support_activity') }}
)

select
    *,
    {{ academic_year_of('start_date') }} as academic_year
from typed
qualify row_number() over (
    partition by sender, activity_id order by delivery_date desc, _source_file desc, _source_row desc
) = 1
