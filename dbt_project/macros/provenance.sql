{#- Every mart row says where its numbers come from; demo builds are plainly synthetic. -#}
{% macro data_provenance(with_support_record=false) -%}
    {%- if var('source_mode') == 'demo' -%}
    'SYNTHETIC DEMO DATA - not real schools'
    {%- elif with_support_record -%}
    'Pilot support-activity record (LA and combined-authority deliveries); school data: DfE open data (Open Government Licence v3.0)'
    {%- else -%}
    'DfE open data (Open Government Licence v3.0)'
    {%- endif -%}
{%- endmacro %}

{#- School's academic year from a date: September starts a new year (2022-09-01 -> 2022/23). -#}
{% macro academic_year_of(date_column) -%}
    (case when month({{ date_column }}) >= 9 then year({{ date_column }}) else year({{ date_column }}) - 1 end)::varchar
    || '/' || right(((case when month({{ date_column }}) >= 9 then year({{ date_column }}) else year({{ date_column }}) - 1 end) + 1)::varchar, 2)
{%- endmacro %}
