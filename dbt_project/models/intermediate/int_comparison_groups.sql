-- Which comparison groups each LA belongs to: the treated group, each comparator set from the
-- comparator_sets seed, and 'all_other_las' (every LA outside the treated group).
with la as (
    select distinct la_code, is_treated_la from {{ ref('int_la_arrangements_by_year') }}
)

select la_code, 'treated' as comparison_group, 'treated' as group_role from la where is_treated_la
union all
select comparator_sets.la_code, comparator_sets.comparator_set, 'comparator'
from {{ ref('comparator_sets') }} as comparator_sets
where comparator_sets.la_code not in (select la_code from la where is_treated_la)
union all
select la_code, 'all_other_las', 'comparator' from la where not is_treated_la
