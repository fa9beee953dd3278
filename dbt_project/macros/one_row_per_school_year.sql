{#-
  A school can appear in several files for one year (a national download and an LA download,
  a final and a provisional release): keep one row, preferring `prefer` (an SQL expression that
  is true for the better row), then the national file, then the first file and row.
-#}
{% macro one_row_per_school_year(prefer=none) -%}
    qualify row_number() over (
        partition by academic_year, urn
        order by {% if prefer %}{{ prefer }} desc, {% endif %}(_source_file like '%england_%') desc, _source_file, _source_row
    ) = 1
{%- endmacro %}
