{#-
  DfE publishes numbers as text: `68%`, `68.30%`, `46.7`, or a special code (`SUPP`, `NE`, ...).
  decode_measure(col) gives two columns: <col> (DOUBLE, NULL unless a number was published)
  and <col>_status ('reported', 'missing', or why there is no number, from var special_values).
-#}
{% macro measure_value(column) -%}
    try_cast(nullif(replace(trim({{ column }}), '%', ''), '') as double)
{%- endmacro %}

{% macro measure_status(column) -%}
    case
        when {{ column }} is null or trim({{ column }}) = '' then 'missing'
        when {{ measure_value(column) }} is not null then 'reported'
        {%- for code, status in var('special_values').items() %}
        when trim({{ column }}) = '{{ code }}' then '{{ status }}'
        {%- endfor %}
        else 'unrecognised'
    end
{%- endmacro %}

{% macro decode_measure(column) -%}
    {{ measure_value(column) }} as {{ column }},
    {{ measure_status(column) }} as {{ column }}_status
{%- endmacro %}

{% macro status_values() -%}
    {%- set statuses = ['reported', 'missing'] -%}
    {%- for status in var('special_values').values() -%}
        {%- if status not in statuses %}{% do statuses.append(status) %}{% endif -%}
    {%- endfor -%}
    {{ return(statuses) }}
{%- endmacro %}
