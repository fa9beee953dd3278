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
),

all_urns as (
    select urn from {{ ref('stg_gias__establishments') }}
    union
    select urn from links
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
    chain_end.school_key,
    chain_end.links_followed,
    chain_end.links_followed >= 25 as is_circular,
    exists (
        select 1 from links
        where links.urn = chain_end.urn
          and (links.link_type ilike '%merge%' or links.link_type ilike '%amalgamat%'
               or (links.link_type = 'Successor' and links.urn in (select urn from successors group by urn having count(*) > 1))
               or (links.link_type = 'Predecessor' and links.urn in (select successor_urn from successors group by successor_urn having count(*) > 1)))
    ) as has_merge_or_split
from chain_end
