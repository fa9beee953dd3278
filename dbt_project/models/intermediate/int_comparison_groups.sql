-- Which comparison groups each LA belongs to: the treated group; each named set from the
-- comparator_sets seed; the treated LAs' DfE statistical neighbours (2021 model, in force before the
-- pilot: 'statistical_neighbours'; 2025 model: 'statistical_neighbours_2025', LA level only); and
-- 'all_other_las' (every LA outside the treated group). A treated LA is never a comparator.
with la as (
    select distinct la_code, is_treated_la from {{ ref('int_la_arrangements_by_year') }}
),

treated as (
    select la_code from la where is_treated_la
),

neighbours as (
    select distinct
        case when sn.model_year = 2021 then 'statistical_neighbours'
             else 'statistical_neighbours_' || sn.model_year end as comparison_group,
        sn.neighbour_la_code as la_code,
        sn.model_year
    from {{ ref('stg_lait__statistical_neighbours') }} as sn
    where sn.la_code in (select la_code from treated)
      and sn.neighbour_la_code not in (select la_code from treated)
)

select la_code, 'treated' as comparison_group, 'treated' as group_role, true as used_at_school_level
from treated
union all
select comparator_sets.la_code, comparator_sets.comparator_set, 'comparator', true
from {{ ref('comparator_sets') }} as comparator_sets
where comparator_sets.la_code not in (select la_code from treated)
union all
select la_code, comparison_group, 'comparator', model_year = 2021 from neighbours
union all
select la_code, 'all_other_las', 'comparator', true from la where not is_treated_la
