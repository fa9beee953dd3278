{#-
  Disclosure control: a number built from fewer than var('disclosure_min_schools') schools or
  var('disclosure_min_pupils') pupils is not published; the matching status says 'c'.
-#}
{% macro too_few_pupils(pupils) -%}
    coalesce({{ pupils }}, 0) < {{ var('disclosure_min_pupils') }}
{%- endmacro %}

{% macro too_few(schools, pupils) -%}
    (coalesce({{ schools }}, 0) < {{ var('disclosure_min_schools') }} or {{ too_few_pupils(pupils) }})
{%- endmacro %}

{#- A school-level value: NULL when its cohort is below the minimum. -#}
{% macro disclosed(value, pupils) -%}
    case when not {{ too_few_pupils(pupils) }} then round({{ value }}, 4) end
{%- endmacro %}
