-- DfE statistical neighbours: each LA's ten nearest LAs in a model (2021, 2025). Two files of one
-- model were checked to agree at landing, so one row per model, LA and rank is the model.
select
    cast(model_year as integer) as model_year,
    cast(la_code as integer) as la_code,
    cast(neighbour_rank as integer) as neighbour_rank,
    cast(neighbour_la_code as integer) as neighbour_la_code,
    min(closeness) as closeness
from {{ source('raw', 'statistical_neighbours') }}
group by all
