-- Every URN mapped to a stable school_key: the URN at the end of its chain of simple successors
-- (academy conversions). Merges and splits are flagged, not followed, so two schools' series
-- are never silently stitched together (domain.md §4).
with recursive

links as (
    select * from {{ ref('stg_gias__links') }}
),

successors as (
    select urn, link_urn as successor_urn from links where link_type = 'Successor'
),

-- Successor links between two schools that are both open. (A join, not a correlated subquery over
-- establishments x establishments: that grew with the square of the register, 5 s nationally.)
both_open as (
    select successors.urn, successors.successor_urn
    from successors
    inner join {{ ref('stg_gias__establishments') }} as predecessor on predecessor.urn = successors.urn
    inner join {{ ref('stg_gias__establishments') }} as successor on successor.urn = successors.successor_urn
    where predecessor.status = 'Open' and successor.status ilike 'open%'
),

-- Follow a link only when it is one-to-one: one successor for the URN and one predecessor for
-- the successor. Anything else is a split or a merge.
one_to_one as (
    select urn, successor_urn
    from successors
    where urn in (select urn from successors group by urn having count(*) = 1)
      and successor_urn in (select successor_urn from successors group by successor_urn having count(*) = 1)
      -- successors still "proposed to open" are not followed
      and successor_urn not in (
          select urn from {{ ref('stg_gias__establishments') }} where status ilike 'proposed to open%'
      )
      -- nor pairs where both schools are open: one did not replace the other
      and not exists (
          select 1 from both_open
          where both_open.urn = successors.urn and both_open.successor_urn = successors.successor_urn
      )
),

all_urns as (
    select urn from {{ ref('stg_gias__establishments') }}
    union
    select urn from links
    union
    select link_urn from links
),

merge_targets as (
    select successor_urn as urn from successors group by successor_urn having count(*) > 1
),

split_sources as (
    select urn from successors group by urn having count(*) > 1
),

-- Every URN on either side of a merger, amalgamation or split.
in_merge_or_split as (
    select urn from links
    where link_type ilike '%merge%' or link_type ilike '%amalgamat%' or link_type ilike '%split%'
    union select urn from merge_targets
    union select urn from successors where successor_urn in (select urn from merge_targets)
    union select urn from split_sources
    union select successor_urn from successors where urn in (select urn from split_sources)
),

chain (urn, current_urn, depth) as (
    select urn, urn, 0 from all_urns
    union all
    select chain.urn, one_to_one.successor_urn, chain.depth + 1
    from chain
    inner join one_to_one on one_to_one.urn = chain.current_urn
    where chain.depth < 25  -- stops circular links
),

chain_end as (
    select urn, arg_max(current_urn, depth) as school_key, max(depth) as links_followed
    from chain
    group by urn
)

select
    chain_end.urn,
    -- a circular chain is cut: the URN keeps its own history rather than joining another's
    case when chain_end.links_followed >= 25 then chain_end.urn else chain_end.school_key end as school_key,
    chain_end.links_followed,
    chain_end.links_followed >= 25 as is_circular,
    chain_end.urn in (select urn from in_merge_or_split) as has_merge_or_split
from chain_end
