"""The findings report: one self-contained HTML page read from a published warehouse.

First cut (issue 13): the Outcomes section at LA level (headline, trends, event studies,
synthetic control, every LA-level estimate), the school-level estimates, and Data quality and
provenance. Every number on the page comes from a query on the warehouse, shown folded beneath
the chart or table it feeds; nothing is typed in.

The page works offline: no CDN, fonts or scripts; charts are inline SVG drawn with matplotlib
(text kept as text, so it can be searched and read by screen readers). The same warehouse gives
byte-identical output: fixed SVG id salts, no dates in the SVG, every query ordered.

    python -m orchestration.report --warehouse data/marts/localed.duckdb --out data/marts/report
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import math
import os
import re
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from orchestration.la_evaluation import HEADLINE_MEASURES  # noqa: E402

MAIN_GROUP = "statistical_neighbours"
TREND_GROUPS = ("statistical_neighbours", "named_single_la", "all_other_las")
SYNTHETIC_MARK = "SYNTHETIC"
BANNER = "SYNTHETIC DEMO DATA \u2014 not real schools"
MAIN_GROUP_TEXT = "their DfE statistical neighbours (2021 model)"

# Presentation only: readable names for codes that appear in the marts. Unknown codes show as they are.
MEASURES = {  # measure: (label, unit of a difference, axis label of a level, decimals)
    "ks2_rwm_expected_pct": ("KS2 reading, writing and maths: % at the expected standard", "percentage points",
                             "% of pupils", 2),
    "ks2_rwm_disadvantage_gap_pp": ("KS2 reading, writing and maths: disadvantage gap", "percentage points",
                                    "disadvantaged minus others (pp)", 2),
    "ks4_attainment8": ("Attainment 8: average score", "points", "Attainment 8 score", 2),
    "ks4_attainment8_disadvantage_gap": ("Attainment 8: disadvantage gap", "points",
                                         "disadvantaged minus others (points)", 2),
    "ks4_progress8": ("Progress 8: average score", "points", "Progress 8 score", 3),
    "overall_absence_pct": ("Overall absence: % of sessions missed", "percentage points", "% of sessions", 2),
    "persistent_absence_pct": ("Persistent absence: % of pupils missing 10% or more", "percentage points",
                               "% of pupils", 2),
}
SHORT_MEASURES = {"ks2_rwm_expected_pct": "KS2 expected standard",
                  "ks2_rwm_disadvantage_gap_pp": "KS2 disadvantage gap", "ks4_attainment8": "Attainment 8",
                  "ks4_attainment8_disadvantage_gap": "Attainment 8 disadvantage gap",
                  "ks4_progress8": "Progress 8", "overall_absence_pct": "overall absence",
                  "persistent_absence_pct": "persistent absence"}
SHORT_GROUPS = {"statistical_neighbours": "Statistical neighbours", "named_single_la": "Named single-LA areas",
                "all_other_las": "All other LAs", "statistical_neighbours_2025": "Statistical neighbours 2025"}
SHORT_SPECIFICATIONS = {"main": "Main", "before_ca_merger": "Before CA merger", "without_eia": "Without EIAs"}
SHORT_METHODS = {"did_randomization": "DiD", "synthetic_control": "Synthetic control", "twfe_did": "DiD"}
GROUPS = {
    "statistical_neighbours": "Statistical neighbours (DfE 2021 model)",
    "statistical_neighbours_2025": "Statistical neighbours (DfE 2025 model)",
    "named_single_la": "Named single-LA areas",
    "all_other_las": "All other LAs",
}
SPECIFICATIONS = {
    "main": "Main",
    "before_ca_merger": "Series stopped before the CA merger",
    "without_eia": "Education Investment Areas left out",
}
METHODS = {"did_randomization": "Difference in differences", "synthetic_control": "Synthetic control",
           "twfe_did": "Difference in differences (schools)"}

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
TREATED_COLOURS = ("#0072B2", "#D55E00", "#009E73")
GROUP_STYLES = {  # colour, line style, marker
    "statistical_neighbours": ("#000000", "--", "s"),
    "named_single_la": ("#CC79A7", "-.", "^"),
    "all_other_las": ("#E69F00", ":", "D"),
}
BAND_COLOUR = "#c9d6e3"
SHADE_COLOUR = "#e4e4e4"
FONT_STACK = ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"]
NUMBER_WORDS = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                9: "nine", 10: "ten"}

esc = html.escape


# ---------------------------------------------------------------------------------------------
# Reading the warehouse


class Warehouse:
    """A read-only connection that remembers the SQL it ran (shown in the page) and what exists."""

    def __init__(self, path: Path):
        self.con = duckdb.connect(str(path), read_only=True)
        self.columns: dict[str, set[str]] = {}
        for schema, table, column in self.con.execute(
                "select schema_name, table_name, column_name from duckdb_columns() "
                "where database_name = current_database()").fetchall():
            self.columns.setdefault(f"{schema}.{table}", set()).add(column)

    def has(self, table: str, *columns: str) -> bool:
        return table in self.columns and all(c in self.columns[table] for c in columns)

    def rows(self, sql: str) -> list[dict]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def comments(self, table: str) -> dict[str, str]:
        schema, name = table.split(".")
        return {c: comment for c, comment in self.con.execute(
            "select column_name, comment from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and comment is not null", [schema, name]).fetchall()}

    def close(self) -> None:
        self.con.close()


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _flag(db: Warehouse, table: str, column: str, aggregate: str = "bool_or") -> str:
    """An aggregate of an optional boolean column (older warehouses lack some), else false."""
    return f"{aggregate}({column})" if db.has(table, column) else "false"


# ---------------------------------------------------------------------------------------------
# Formatting


def measure_label(measure: str) -> str:
    return MEASURES.get(measure, (measure,))[0]


def measure_unit(measure: str) -> str:
    return MEASURES.get(measure, (None, "units of the measure"))[1]


def decimals(measure: str) -> int:
    return MEASURES.get(measure, (None, None, None, 2))[3]


def num(value, dp: int = 2, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2014"
    rounded = round(float(value), dp)
    if rounded == 0:
        rounded = 0.0  # no "-0.00"
    text = f"{rounded:+.{dp}f}" if signed and rounded != 0 else f"{rounded:.{dp}f}"
    return text


def pval(value) -> str:
    if value is None:
        return "\u2014"
    if value < 0.0001:
        return "<0.0001"
    return f"{value:.4f}" if value < 0.001 else f"{value:.3f}"


def sig(value, digits: int = 3) -> str:
    return "\u2014" if value is None else f"{value:.{digits}g}"


def count(value) -> str:
    return "\u2014" if value is None else f"{int(value):,}"


def interval(low, high, dp: int) -> str:
    if low is None and high is None:
        return "\u2014"
    left = "-\u221e" if low is None else num(low, dp)
    right = "+\u221e" if high is None else num(high, dp)
    return f"{left} to {right}"


def contains_zero(low, high) -> bool:
    return (-math.inf if low is None else low) <= 0 <= (math.inf if high is None else high)


def years_span(text: str | None) -> str:
    """'2015/16, 2016/17, 2017/18' -> '2015/16-2017/18'; years with a gap are listed."""
    if not text:
        return "\u2014"
    years = [y.strip() for y in text.split(",") if y.strip()]
    starts = [int(y[:4]) for y in years if y[:4].isdigit()]
    if len(years) > 1 and len(starts) == len(years) and starts == list(range(starts[0], starts[0] + len(years))):
        return f"{years[0]}\u2013{years[-1]}"
    return ", ".join(years)


def words(n: int) -> str:
    return NUMBER_WORDS.get(n, str(n))


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def sql_block(sql: str, marts: str) -> str:
    return (f'<details class="sql"><summary>Where this comes from: <code>{esc(marts)}</code> (show the SQL)'
            f'</summary><pre>{esc(sql.strip())}</pre></details>')


def table(headers: list[str], body: list[str], cls: str = "") -> str:
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in headers)
    return (f'<div class="table-wrap"><table class="{cls}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def cells(values: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<tr{attr}>" + "".join(f"<td>{v}</td>" for v in values) + "</tr>"


# ---------------------------------------------------------------------------------------------
# Charts


def svg(fig: Figure, chart_id: str, title: str) -> str:
    """The figure as inline SVG text: fixed ids and no date, so equal input gives equal bytes."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"localed-report:{chart_id}", "svg.id": chart_id,
                                "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                    pad_inches=0.05)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    # Inline in HTML the namespaces are implied (xlink:href included): drop them, so the page names no URL.
    text = re.sub(r' xmlns(:xlink)?="[^"]*"', "", text)
    # Let CSS size the chart (the viewBox keeps the proportions).
    text = re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    opening_end = text.index(">") + 1
    text = (text[:opening_end].replace("<svg", f'<svg role="img" aria-labelledby="{chart_id}-title"', 1)
            + f'<title id="{chart_id}-title">{esc(title)}</title>' + text[opening_end:])
    return text.strip()


def chart_style():
    return matplotlib.rc_context({
        "font.family": "sans-serif", "font.sans-serif": FONT_STACK, "font.size": 10,
        "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#555555",
        "axes.grid": True, "axes.grid.axis": "y", "grid.color": "#e6e6e6", "grid.linewidth": 0.8,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9, "axes.labelsize": 9.5,
        "svg.hashsalt": "localed-report", "path.simplify": False,
    })


def _new_figure(height: float = 3.9) -> tuple[Figure, object]:
    fig = Figure(figsize=(6.0, height), layout="constrained")
    return fig, fig.add_subplot()


def _year_axis(ax, years: list[str], timeline: dict) -> None:
    """Academic years as categories; the pilot's start as a line; the partly exposed year shaded."""
    ax.set_xticks(range(len(years)), years, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.5, len(years) - 0.5)
    for label, year in zip(ax.get_xticklabels(), years):
        if year in timeline["not_comparable"]:
            label.set_color("#767676")
    if timeline["partly_exposed"] in years:
        i = years.index(timeline["partly_exposed"])
        ax.axvspan(i - 0.5, i + 0.5, color=SHADE_COLOUR, lw=0, zorder=0)
    if timeline["first_post"] in years:
        x = years.index(timeline["first_post"]) - 0.5
        ax.axvline(x, color="#333333", lw=1.2, zorder=1)
        ax.text(x, 1.01, "pilot begins", transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=9, color="#333333")


def _legend_extras(timeline: dict, years: list[str]) -> list:
    if timeline["partly_exposed"] in years:
        return [Patch(facecolor=SHADE_COLOUR, label=f"{timeline['partly_exposed']}: pilot began in it")]
    return []


def trend_chart(measure: str, years: list[str], timeline: dict, treated: dict, groups: dict, chart_id: str,
                title: str) -> str:
    """treated: la name -> {year: (value, comparable)}; groups: group -> {year: (mean, comparable)}."""
    with chart_style():
        fig, ax = _new_figure()
        handles, hollow = [], False

        def draw(series: dict, colour, style, marker, width, label):
            nonlocal hollow
            solid = [series[y][0] if y in series and series[y][1] else math.nan for y in years]
            line, = ax.plot(range(len(years)), solid, ls=style, marker=marker, color=colour, lw=width, ms=4.5,
                            label=label, zorder=3)
            faint = [(i, series[y][0]) for i, y in enumerate(years)
                     if y in series and not series[y][1] and series[y][0] is not None]
            if faint:
                hollow = True
                ax.plot([i for i, _ in faint], [v for _, v in faint], ls="none", marker=marker, ms=4.5,
                        mfc="white", mec=colour, zorder=3)
            handles.append(line)

        for colour, (name, series) in zip(TREATED_COLOURS * 3, treated.items()):
            draw(series, colour, "-", "o", 2.0, name)
        for group, series in groups.items():
            colour, style, marker = GROUP_STYLES.get(group, ("#555555", "--", "x"))
            draw(series, colour, style, marker, 1.3, f"{SHORT_GROUPS.get(group, group)} (mean)")
        _year_axis(ax, years, timeline)
        ax.set_ylabel(MEASURES.get(measure, (None, None, measure))[2])
        extras = _legend_extras(timeline, years)
        if hollow:
            extras.append(Line2D([], [], ls="none", marker="o", mfc="white", mec="#555555",
                                 label="hollow: not comparable"))
        fig.legend(handles=handles + extras, loc="outside lower center", ncols=2, frameon=False)
        return svg(fig, chart_id, title)


def event_chart(measure: str, years: list[str], timeline: dict, rows: list[dict], chart_id: str,
                title: str) -> str:
    with chart_style():
        fig, ax = _new_figure()
        by_year = {r["academic_year"]: r for r in rows}
        xs = [i for i, y in enumerate(years) if y in by_year]
        band = [(i, by_year[years[i]]) for i in xs if by_year[years[i]]["band_low"] is not None]
        if band:
            ax.bar([i for i, _ in band], [r["band_high"] - r["band_low"] for _, r in band],
                   bottom=[r["band_low"] for _, r in band], width=0.55, color=BAND_COLOUR, zorder=2)
        ax.axhline(0, color="#555555", lw=0.9, zorder=2)
        estimates = [by_year[y]["estimate"] if y in by_year else math.nan for y in years]
        ax.plot(range(len(years)), estimates, "-", color="#0072B2", lw=1, alpha=0.6, zorder=3)
        plain = [i for i in xs if not by_year[years[i]]["is_reference_year"]]
        ax.plot(plain, [estimates[i] for i in plain], "o", color="#0072B2", ms=5.5, zorder=4)
        reference = [i for i in xs if by_year[years[i]]["is_reference_year"]]
        ax.plot(reference, [estimates[i] for i in reference], "D", mfc="white", mec="#000000", ms=6, zorder=4)
        _year_axis(ax, years, timeline)
        ax.set_ylabel(f"difference ({measure_unit(measure)})")
        ax.margins(y=0.08)
        handles = [Line2D([], [], ls="none", marker="o", color="#0072B2", label="estimate (vs reference year)"),
                   Patch(facecolor=BAND_COLOUR, label="what chance alone gives (95%)"),
                   Line2D([], [], ls="none", marker="D", mfc="white", mec="#000000",
                          label="reference year (fixed at 0)")] + _legend_extras(timeline, years)
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        return svg(fig, chart_id, title)


def synthetic_chart(measure: str, years: list[str], timeline: dict, rows: list[dict], chart_id: str,
                    title: str) -> str:
    with chart_style():
        fig, ax = _new_figure()
        by_year = {r["academic_year"]: r for r in rows}
        actual = [by_year[y]["treated_value"] if y in by_year else math.nan for y in years]
        synthetic = [by_year[y]["synthetic_value"] if y in by_year else math.nan for y in years]
        actual = [math.nan if v is None else v for v in actual]
        synthetic = [math.nan if v is None else v for v in synthetic]
        ax.plot(range(len(years)), actual, "-o", color="#0072B2", lw=2.2, ms=7, zorder=3)
        ax.plot(range(len(years)), synthetic, "--s", color="#D55E00", lw=1.5, ms=3.5, zorder=4)
        _year_axis(ax, years, timeline)
        ax.set_ylabel(MEASURES.get(measure, (None, None, measure))[2])
        handles = [Line2D([], [], ls="-", marker="o", color="#0072B2", lw=2, label="treated LAs together (actual)"),
                   Line2D([], [], ls="--", marker="s", color="#D55E00", label="its synthetic control")]
        fig.legend(handles=handles + _legend_extras(timeline, years), loc="outside lower center", ncols=3,
                   frameon=False)
        return svg(fig, chart_id, title)


# ---------------------------------------------------------------------------------------------
# Sections


def manifest_of(db: Warehouse) -> tuple[dict, str | None]:
    if not db.has("meta.run_manifest", "manifest_json"):
        return {}, None
    found = db.rows("select manifest_json from meta.run_manifest order by manifest_json")
    if not found:
        return {}, None
    text = found[0]["manifest_json"]
    return json.loads(text), hashlib.sha256(text.encode()).hexdigest()


def provenance(db: Warehouse, manifest: dict) -> tuple[bool, list[str]]:
    parts = [f"select distinct data_provenance from {t}" for t in
             ("main.fct_la_estimates", "main.fct_la_year", "main.fct_did_estimates") if db.has(t, "data_provenance")]
    texts = [r["p"] for r in db.rows(f"select distinct data_provenance as p from ({' union '.join(parts)}) "
                                      "where data_provenance is not null order by 1")] if parts else []
    synthetic = bool(manifest.get("synthetic")) or any(SYNTHETIC_MARK in t.upper() for t in texts)
    return synthetic, texts


def timeline_of(db: Warehouse) -> tuple[dict, str]:
    exposed = _flag(db, "main.fct_la_year", "is_partly_exposed")
    sql = (f"select academic_year, bool_or(is_post_pilot) as post, {exposed} as partly_exposed\n"
           "from main.fct_la_year\ngroup by academic_year\norder by academic_year")
    years = db.rows(sql)
    post = [r["academic_year"] for r in years if r["post"]]
    partly = [r["academic_year"] for r in years if r["partly_exposed"]]
    start = None
    if db.has("reference.evaluation_settings", "setting", "value"):
        found = db.rows("select value from reference.evaluation_settings where setting = 'pilot_start_date'")
        if found:
            start = date.fromisoformat(found[0]["value"]).strftime("%B %Y")
    return {"first_post": post[0] if post else None, "partly_exposed": partly[0] if partly else None,
            "start": start, "not_comparable": set()}, sql


def measure_years(db: Warehouse, measures: list[str]) -> tuple[dict, str]:
    sql = ("select measure, academic_year, bool_and(comparable) as comparable,\n"
           "       min(not_comparable_reason) as reason, count(value) as n_values\n"
           "from main.fct_la_year\n"
           f"where area_level = 'la' and measure in ({_sql_list(measures)})\n"
           "group by measure, academic_year\norder by measure, academic_year")
    out: dict[str, list[dict]] = {}
    for row in db.rows(sql):
        out.setdefault(row["measure"], []).append(row)
    return out, sql


def treated_names(db: Warehouse) -> list[tuple[int, str]]:
    return [(r["la_code"], r["la_name"]) for r in db.rows(
        "select la_code, min(la_name) as la_name from main.fct_la_year "
        "where is_treated_la and area_level = 'la' group by la_code order by la_code")]


def arrangement_name(db: Warehouse, first_post: str | None) -> str | None:
    if first_post is None or not db.has("main.fct_la_year", "arrangement_name"):
        return None
    found = db.rows("select min(arrangement_name) as name from main.fct_la_year "
                    f"where is_treated_la and academic_year = {_sql_list([first_post])}")
    return found[0]["name"] if found else None


def headline_section(db: Warehouse, synthetic: bool, treated: list[tuple[int, str]], timeline: dict,
                     arrangement: str | None) -> str:
    sql = ("with polarity as (\n"
           "    select measure, bool_or(higher_is_better) as higher_is_better\n"
           "    from main.fct_la_year where higher_is_better is not null group by measure\n)\n"
           "select e.measure, e.estimate, e.ci_low, e.ci_high, e.p_value, e.min_p_value, e.n_assignments,\n"
           "       e.n_treated_las, e.n_comparator_las, e.pre_years, e.post_years, e.planted_effect,\n"
           "       p.higher_is_better\n"
           "from main.fct_la_estimates as e left join polarity as p using (measure)\n"
           f"where e.comparison_group = '{MAIN_GROUP}' and e.specification = 'main'\n"
           "  and e.method = 'did_randomization'\n"
           f"  and e.measure in ({_sql_list(HEADLINE_MEASURES)})\n"
           "order by e.measure")
    rows = sorted(db.rows(sql), key=lambda r: HEADLINE_MEASURES.index(r["measure"]))
    descriptions = {}
    if db.has("reference.la_indicator_measures", "measure", "description"):
        descriptions = {r["measure"]: r["description"] for r in db.rows(
            "select measure, description from reference.la_indicator_measures order by measure")}
    if not rows:
        return ('<section id="headline"><h2>Headline (LA level)</h2><p class="note">This warehouse has no main '
                f'difference-in-differences estimates against {esc(MAIN_GROUP_TEXT)}.</p>'
                + sql_block(sql, "main.fct_la_estimates") + "</section>")

    items, body, measurable = [], [], []
    for r in rows:
        dp, unit, label = decimals(r["measure"]), measure_unit(r["measure"]), measure_label(r["measure"])
        zero = contains_zero(r["ci_low"], r["ci_high"])
        hib = r["higher_is_better"]
        if zero:
            verdict, cls = "No measurable difference: the interval contains zero.", "none"
        else:
            direction = "higher" if r["estimate"] > 0 else "lower"
            if hib is None:
                verdict, cls = f"Measurably {direction} (no published polarity).", "none"
            else:
                better = (r["estimate"] > 0) == bool(hib)
                gap = (f", so the gap {'narrowed' if better else 'widened'}"
                       if r["measure"].endswith(("_gap", "_gap_pp")) else "")
                verdict = (f"Measurably {direction} \u2014 {'better' if better else 'worse'} "
                           f"({'higher' if hib else 'lower'} is better for this measure{gap}): "
                           "the interval excludes zero.")
                cls = "better" if better else "worse"
            measurable.append(f"{SHORT_MEASURES.get(r['measure'], r['measure'])} "
                              f"({'better' if cls == 'better' else 'worse' if cls == 'worse' else direction})")
        smallest = (" \u2014 the smallest this design can give"
                    if r["p_value"] is not None and r["min_p_value"] is not None
                    and r["p_value"] <= r["min_p_value"] * (1 + 1e-9) else "")
        planted = (f" Planted effect (demo): {num(r['planted_effect'], dp, signed=True)}."
                   if synthetic and r["planted_effect"] is not None else "")
        items.append(
            f"<li><strong>{esc(label)}</strong>: {num(r['estimate'], dp, signed=True)} {esc(unit)} against "
            f"{r['n_comparator_las']} statistical neighbours (95% randomization interval "
            f"{interval(r['ci_low'], r['ci_high'], dp)}; p = {pval(r['p_value'])}{smallest}). "
            f'<span class="verdict {cls}">{esc(verdict)}</span>{esc(planted)}'
            + (f'<br><span class="small">{esc(descriptions[r["measure"]])}</span>'
               if r["measure"] in descriptions else "") + "</li>")
        body.append(cells([esc(label), num(r["estimate"], dp, signed=True), interval(r["ci_low"], r["ci_high"], dp),
                           pval(r["p_value"]),
                           f'<span class="verdict {cls} num">{"contains 0" if zero else "excludes 0"}</span>',
                           esc(years_span(r["pre_years"])), esc(years_span(r["post_years"])), count(r["n_assignments"])]
                          + ([num(r["planted_effect"], dp, signed=True)] if synthetic else [])))

    n_treated = sorted({r["n_treated_las"] for r in rows if r["n_treated_las"] is not None})
    comparators = sorted({r["n_comparator_las"] for r in rows if r["n_comparator_las"] is not None})
    names = and_list([name for _, name in treated])
    n_words = words(n_treated[0]) if len(n_treated) == 1 else " to ".join(map(str, n_treated))
    comp_text = (str(comparators[0]) if len(comparators) == 1 else f"{comparators[0]}\u2013{comparators[-1]}")
    if not measurable:
        lead = (f"Across all {words(len(rows))} headline measures, the treated LAs show <strong>no measurable "
                "difference</strong> from their statistical neighbours after the pilot began: every 95% "
                "randomization interval contains zero.")
    else:
        lead = (f"Of {words(len(rows))} headline measures, {words(len(measurable))} "
                f"{'shows' if len(measurable) == 1 else 'show'} a measurable difference from the statistical "
                "neighbours after the pilot began (the 95% randomization interval excludes zero): "
                f"{esc(and_list(measurable))}."
                + (f" The other {words(len(rows) - len(measurable))} show no measurable difference."
                   if len(measurable) < len(rows) else ""))
    pilot = (f"The pilot began in {esc(timeline['start'])}; " if timeline["start"] else "") + (
        f"post-pilot years run from {esc(timeline['first_post'])}" if timeline["first_post"] else "")
    if timeline["partly_exposed"]:
        pilot += f", and {esc(timeline['partly_exposed'])}, the year it began in, is left out of these estimates"
    scope = (f"<p class=\"scope\"><strong>What this is:</strong> an <strong>LA-level</strong>, "
             f"<strong>observational</strong> comparison of <strong>{n_words} treated LAs</strong> ({esc(names)}"
             + (f", the {esc(arrangement)}" if arrangement else "") +
             f") with {comp_text} statistical-neighbour LAs, using DfE's published LA figures. It asks whether the "
             "treated LAs changed differently from comparable LAs after the pilot began; with so few treated "
             f"LAs and other changes at the same time it cannot prove the pilot caused a difference. {pilot}.</p>")
    headers = ["Measure", "Change", "95% randomization interval", "p", "Zero?", "Pre years", "Post years",
               "Assignments"] + (["Planted (demo)"] if synthetic else [])
    return ('<section id="headline"><h2>Headline: outcomes at LA level</h2>'
            f'<p class="lead">{lead}</p>{scope}'
            f"<p>Difference in differences, main specification, treated LAs against "
            f"{esc(MAIN_GROUP_TEXT)}. Each change is in the measure's own units, after minus before, "
            "treated minus comparators.</p>"
            f'<ul class="headline">{"".join(items)}</ul>'
            + table(headers, body, "compact") + sql_block(sql, "main.fct_la_estimates, main.fct_la_year")
            + "</section>")


def _axis_years(years_by_measure: dict, measure: str) -> list[str]:
    return [r["academic_year"] for r in years_by_measure.get(measure, [])]


def _timeline_for(timeline: dict, years_by_measure: dict, measure: str) -> dict:
    return {**timeline, "not_comparable": {r["academic_year"] for r in years_by_measure.get(measure, [])
                                           if r["comparable"] is False}}


def _not_comparable_note(years_by_measure: dict, measure: str) -> str:
    """'Not comparable: 2015/16, 2016/17 (reason). No figures: 2019/20, 2020/21 (reason).' from fct_la_year."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in years_by_measure.get(measure, []):
        if row["n_values"] == 0:
            kind = "No published figures"
        elif row["comparable"] is False:
            kind = "Not comparable (hollow)"
        else:
            continue
        groups.setdefault((kind, row["reason"] or ""), []).append(row["academic_year"])
    if not groups:
        return ""
    kinds: dict[str, list[str]] = {}
    for (kind, reason), years in groups.items():
        kinds.setdefault(kind, []).append(", ".join(years) + (f" ({reason})" if reason else ""))
    return '<p class="note">' + esc(". ".join(f"{kind}: {'; '.join(v)}" for kind, v in kinds.items())) + ".</p>"


def trends_section(db: Warehouse, years_by_measure: dict, timeline: dict, years_sql: str) -> str:
    measures = [m for m in HEADLINE_MEASURES if m in years_by_measure]
    treated_sql = ("select measure, la_code, la_name, academic_year, value, comparable\n"
                   "from main.fct_la_year\n"
                   f"where area_level = 'la' and is_treated_la and measure in ({_sql_list(measures)})\n"
                   "order by measure, la_code, academic_year")
    shares = ("bool_or(shares_ca_with_treated_la and is_post_pilot)"
              if db.has("main.fct_la_year", "shares_ca_with_treated_la") else "false")
    groups_sql = (
        "-- the main specification's comparators: each set's members, less any LA that shares a combined\n"
        "-- authority with a treated LA after the pilot began\n"
        "with left_out as (\n"
        f"    select la_code from main.fct_la_year group by la_code having {shares}\n),\n"
        "members as (\n"
        "    select comparison_group, la_code from intermediate.int_comparison_groups\n"
        f"    where group_role = 'comparator' and comparison_group in ({_sql_list(TREND_GROUPS)})\n"
        "      and la_code not in (select la_code from left_out)\n)\n"
        "select m.comparison_group, y.measure, y.academic_year, avg(y.value) as mean_value,\n"
        "       count(y.value) as n_las, bool_and(y.comparable) as comparable\n"
        "from main.fct_la_year as y join members as m using (la_code)\n"
        f"where y.area_level = 'la' and y.measure in ({_sql_list(measures)})\n"
        "group by m.comparison_group, y.measure, y.academic_year\n"
        "order by m.comparison_group, y.measure, y.academic_year")
    treated_rows = db.rows(treated_sql) if measures else []
    group_rows = db.rows(groups_sql) if measures and db.has("intermediate.int_comparison_groups") else []
    sizes = {}
    if db.has("intermediate.int_comparison_groups"):
        sizes = {r["comparison_group"]: r["n"] for r in db.rows(
            "select comparison_group, count(distinct la_code) as n from intermediate.int_comparison_groups "
            "where group_role = 'comparator' group by 1 order by 1")}
    figures = []
    for n, measure in enumerate(measures, start=1):
        years = _axis_years(years_by_measure, measure)
        treated: dict[str, dict] = {}
        for r in treated_rows:
            if r["measure"] == measure:
                treated.setdefault(r["la_name"], {})[r["academic_year"]] = (r["value"], r["comparable"])
        groups: dict[str, dict] = {}
        for group in TREND_GROUPS:
            series = {r["academic_year"]: (r["mean_value"], r["comparable"]) for r in group_rows
                      if r["measure"] == measure and r["comparison_group"] == group and r["mean_value"] is not None}
            if series:
                groups[group] = series
        title = f"Trend: {measure_label(measure)}"
        alt = (f"{title}. Lines for each treated LA and the mean of each comparator set, by academic year; "
               "a vertical line marks the pilot's start.")
        tl = _timeline_for(timeline, years_by_measure, measure)
        figures.append(f'<figure class="chart"><h3>{esc(measure_label(measure))}</h3>'
                       + trend_chart(measure, years, tl, treated, groups, f"trend-{n}", alt)
                       + f"<figcaption>{_not_comparable_note(years_by_measure, measure)}</figcaption></figure>")
    size_text = "; ".join(f"{GROUPS.get(g, g)}: {sizes[g]} LAs" for g in TREND_GROUPS if g in sizes)
    return ('<section id="trends"><h2>Trends: treated LAs and comparator sets</h2>'
            "<p>Each treated LA's published value, and the plain (unweighted) mean of the LAs in each comparator "
            "set, by academic year. Sets as in the main specification: LAs that share a combined authority with a "
            "treated LA after the pilot began are left out. Which LAs report changes a little from year to year."
            + (f" Set sizes before that: {esc(size_text)}." if size_text else "") + "</p>"
            + (f'<div class="grid">{"".join(figures)}</div>' if figures else '<p class="note">No LA-level series '
                                                                             "for the headline measures.</p>")
            + sql_block(treated_sql + ";\n\n" + groups_sql + ";\n\n-- the year axis\n" + years_sql,
                        "main.fct_la_year, intermediate.int_comparison_groups")
            + "</section>")


def event_section(db: Warehouse, years_by_measure: dict, timeline: dict) -> str:
    sql = ("select measure, academic_year, years_from_reference, is_reference_year, is_post_pilot,\n"
           "       estimate, band_low, band_high, p_value, n_assignments\n"
           "from main.fct_la_event_study\n"
           f"where comparison_group = '{MAIN_GROUP}' and measure in ({_sql_list(HEADLINE_MEASURES)})\n"
           "order by measure, academic_year")
    rows = db.rows(sql) if db.has("main.fct_la_event_study") else []
    figures = []
    for n, measure in enumerate([m for m in HEADLINE_MEASURES if any(r["measure"] == m for r in rows)], start=1):
        mine = [r for r in rows if r["measure"] == measure]
        years = sorted(set(_axis_years(years_by_measure, measure)) | {r["academic_year"] for r in mine})
        outside = [r["academic_year"] for r in mine if r["p_value"] is not None and r["p_value"] < 0.05]
        reference = [r["academic_year"] for r in mine if r["is_reference_year"]]
        title = f"Event study: {measure_label(measure)}"
        alt = (f"{title}. Treated-minus-comparator difference by year relative to the reference year, with the "
               "range chance alone produces.")
        caption = (f"Reference year {esc(and_list(reference))}. " if reference else "") + (
            f"Years with p &lt; 0.05: {esc(and_list(outside))}." if outside else "No year has p &lt; 0.05.")
        tl = _timeline_for(timeline, years_by_measure, measure)
        figures.append(f'<figure class="chart"><h3>{esc(measure_label(measure))}</h3>'
                       + event_chart(measure, years, tl, mine, f"event-{n}", alt)
                       + f'<figcaption><p class="note">{caption}</p></figcaption></figure>')
    return ('<section id="event-studies"><h2>Event studies</h2>'
            f"<p>Against {esc(MAIN_GROUP_TEXT)}: for each year, how far the treated LAs' difference "
            "from their comparators moved from the reference year. The grey bar is what chance alone gives: "
            "the middle 95% of the same coefficient when the treatment is given to LAs chosen at random. "
            "Before the pilot the points should sit inside the bars (no different trend); a post-pilot point "
            "outside its bar is a difference chance rarely produces.</p>"
            + (f'<div class="grid">{"".join(figures)}</div>' if figures else
               '<p class="note">This warehouse has no LA-level event study.</p>')
            + sql_block(sql, "main.fct_la_event_study") + "</section>")


def synthetic_section(db: Warehouse, years_by_measure: dict, timeline: dict) -> str:
    sql = ("select measure, treated_unit, academic_year, treated_value, synthetic_value, gap, is_post_pilot\n"
           "from main.fct_la_synthetic_paths\n"
           f"where comparison_group = '{MAIN_GROUP}' and treated_unit like 'treated aggregate%'\n"
           "order by measure, treated_unit, academic_year")
    estimates_sql = ("select measure, treated_unit, estimate, p_value, pre_rmspe, inference\n"
                     "from main.fct_la_estimates\n"
                     f"where method = 'synthetic_control' and specification = 'main' "
                     f"and comparison_group = '{MAIN_GROUP}'\n"
                     "  and treated_unit like 'treated aggregate%'\norder by measure, treated_unit")
    rows = db.rows(sql) if db.has("main.fct_la_synthetic_paths") else []
    estimates = {r["measure"]: r for r in db.rows(estimates_sql)} if db.has("main.fct_la_estimates") else {}
    present = sorted({r["measure"] for r in rows},
                     key=lambda m: (HEADLINE_MEASURES.index(m) if m in HEADLINE_MEASURES else 99, m))
    figures = []
    for n, measure in enumerate(present, start=1):
        unit = min(r["treated_unit"] for r in rows if r["measure"] == measure)
        mine = [r for r in rows if r["measure"] == measure and r["treated_unit"] == unit]
        if measure not in years_by_measure:
            years_by_measure = {**years_by_measure, **measure_years(db, [measure])[0]}
        years = sorted(set(_axis_years(years_by_measure, measure)) | {r["academic_year"] for r in mine})
        dp = decimals(measure)
        e = estimates.get(measure)
        caption = ""
        if e:
            caption = (f"Mean post-pilot gap (treated minus synthetic): {num(e['estimate'], dp, signed=True)} "
                       f"{esc(measure_unit(measure))}; pre-pilot fit RMSPE {sig(e['pre_rmspe'])}; "
                       + (f"placebo p = {pval(e['p_value'])}." if e["p_value"] is not None
                          else f"no placebo test ({esc(e['inference'] or 'none given')})."))
        title = f"Synthetic control: {measure_label(measure)}"
        alt = f"{title}. The treated LAs' aggregate against its synthetic control, by academic year."
        figures.append(f'<figure class="chart"><h3>{esc(measure_label(measure))}</h3>'
                       + synthetic_chart(measure, years, _timeline_for(timeline, years_by_measure, measure), mine,
                                         f"synthetic-{n}", alt)
                       + f'<figcaption><p class="note">{caption}</p></figcaption></figure>')
    return ('<section id="synthetic-control"><h2>Synthetic control</h2>'
            "<p>The treated LAs together (their aggregate) against a synthetic control: a weighted mix of "
            f"{esc(MAIN_GROUP_TEXT)} chosen to match them before the pilot. After the pilot, the gap "
            "between the lines is the estimate. With only a few pre-pilot years the fit is close almost "
            "whatever the truth, so read the paths, not a test.</p>"
            + (f'<div class="grid">{"".join(figures)}</div>' if figures else
               '<p class="note">This warehouse has no synthetic-control paths.</p>')
            + sql_block(sql + ";\n\n" + estimates_sql, "main.fct_la_synthetic_paths, main.fct_la_estimates")
            + "</section>")


def _order(value: str, known) -> tuple:
    known = list(known)
    return (known.index(value) if value in known else len(known), value or "")


def _donors(text: str | None) -> str:
    if not text:
        return ""
    weights = json.loads(text)
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return (f"<p><strong>Donor weights</strong> ({len(weights)} donors; largest): "
            + esc(", ".join(f"{name} {w:.3f}" for name, w in top)) + "</p>")


def estimates_section(db: Warehouse, synthetic: bool) -> str:
    sql = ("select *\nfrom main.fct_la_estimates\n"
           "order by measure, comparison_group, specification, method, treated_unit")
    rows = db.rows(sql) if db.has("main.fct_la_estimates") else []
    rows.sort(key=lambda r: (_order(r["measure"], HEADLINE_MEASURES), _order(r["comparison_group"], GROUPS),
                             _order(r["specification"], SPECIFICATIONS), _order(r["method"], METHODS),
                             not r["treated_unit"].startswith(("all", "treated")), r["treated_unit"]))
    headers = ["Comparators; specification", "Method", "Treated unit", "Estimate", "95% interval",
               "p (smallest possible)", "LAs treated + compared", "Years before; after", "Pre-fit RMSPE"] \
        + (["Planted (demo)"] if synthetic else []) + ["Inference and caveats"]
    body, current = [], None
    for r in rows:
        if r["measure"] != current:
            current = r["measure"]
            body.append(f'<tr class="group"><th colspan="{len(headers)}" scope="colgroup">'
                        f"{esc(measure_label(current))} <code>{esc(current)}</code> "
                        f'<span class="small">({esc(measure_unit(current))})</span></th></tr>')
        dp = decimals(r["measure"])
        details = (f'<details><summary>Read</summary><p><strong>Inference:</strong> {esc(r["inference"] or "")}</p>'
                   f'<p>{esc(r["caveats"] or "")}</p>{_donors(r.get("donor_weights"))}</details>')
        p = pval(r["p_value"]) + (f' <span class="small">({pval(r["min_p_value"])})</span>'
                                  if r["min_p_value"] is not None else "")
        body.append(cells(
            [esc(SHORT_GROUPS.get(r["comparison_group"], r["comparison_group"]))
             + '<br><span class="small">'
             + f'{esc(SHORT_SPECIFICATIONS.get(r["specification"], r["specification"]))}</span>',
             esc(SHORT_METHODS.get(r["method"], r["method"])), esc(r["treated_unit"]),
             f'<span class="num">{num(r["estimate"], dp)}</span>',
             f'<span class="num">{interval(r["ci_low"], r["ci_high"], dp)}</span>', f'<span class="num">{p}</span>',
             f'{count(r["n_treated_las"])} + {count(r["n_comparator_las"])}',
             f'<span class="years">{esc(years_span(r["pre_years"]))};<br>{esc(years_span(r["post_years"]))}</span>',
             f'<span class="num">{sig(r.get("pre_rmspe"), 2)}</span>']
            + ([num(r["planted_effect"], dp)] if synthetic else []) + [details], "estimate-row"))
    return ('<section id="estimates"><h2>Every LA-level estimate</h2>'
            f"<p>All {len(rows)} rows of <code>main.fct_la_estimates</code>: every measure, comparator set, "
            "specification and method. Difference in differences (DiD) gives one estimate for all treated LAs with a "
            "95% randomization interval (the effects a randomization test does not reject); synthetic control "
            "gives the mean post-pilot gap for each treated LA and their aggregate, with a placebo p-value where "
            "there are enough pre-pilot years. The p-value's smallest possible value, set by how many random "
            "assignments there are, is in brackets. Open <em>Read</em> for each row's inference and caveats.</p>"
            + table(headers, body, "estimates") + sql_block(sql, "main.fct_la_estimates") + "</section>")


def school_section(db: Warehouse, synthetic: bool, n_treated: int) -> str:
    sql = "select *\nfrom main.fct_did_estimates\norder by measure, comparator_set, method"
    rows = db.rows(sql) if db.has("main.fct_did_estimates") else []
    rows.sort(key=lambda r: (_order(r["measure"], HEADLINE_MEASURES), _order(r["comparator_set"], GROUPS),
                             r["method"]))
    headers = ["Measure", "Comparators", "Estimate", "95% CI (cluster-robust)", "p (cluster-robust)",
               "p (wild bootstrap)", "p (placebo)", "Placebo interval", "Schools / LAs", "Years"] \
        + (["Planted (demo)"] if synthetic else []) + ["Caveats"]
    body = []
    for r in rows:
        dp = decimals(r["measure"])
        body.append(cells(
            [esc(SHORT_MEASURES.get(r["measure"], r["measure"])),
             esc(SHORT_GROUPS.get(r["comparator_set"], r["comparator_set"])),
             f'<span class="num">{num(r["estimate"], dp)}</span>',
             f'<span class="num">{interval(r["ci_low"], r["ci_high"], dp)}</span>',
             f'<span class="num">{pval(r["p_value"])}</span>',
             f'<span class="num">{pval(r["wild_bootstrap_p_value"])}</span>',
             f'<span class="num">{pval(r["placebo_p_value"])}</span>',
             f'<span class="num">{interval(r["placebo_ci_low"], r["placebo_ci_high"], dp)}</span>',
             f'<span class="num">{count(r["n_schools"])} / {count(r["n_las"])}</span>',
             f'<span class="years">{esc(r["first_year"] or "")}\u2013{esc(r["last_year"] or "")}</span>']
            + ([num(r["planted_effect"], dp)] if synthetic else [])
            + [f'<details><summary>Read</summary><p>{esc(r["caveats"] or "")}</p></details>'], "school-row"))
    intro = ("<p>The school-level difference in differences (school and year fixed effects, weighted by cohort), "
             f"from the schools' own results. Standard errors are clustered by LA, and with {words(n_treated)} "
             "treated LAs the "
             "wild-bootstrap and placebo p-values matter more than the cluster-robust interval.</p>")
    if synthetic:
        intro += ('<p class="note">Demo build: the planted effect is the truth the generator built in; an estimate '
                  "close to it shows the method recovers it.</p>")
    return ('<section id="school-level"><h2>School-level estimates</h2>' + intro
            + (table(headers, body, "estimates") if body else
               '<p class="note">This warehouse has no school-level estimates.</p>')
            + sql_block(sql, "main.fct_did_estimates") + "</section>")


def quality_section(db: Warehouse, manifest: dict, manifest_hash: str | None, provenance_texts: list[str]) -> str:
    facts = [("Source mode", manifest.get("source_mode")), ("Synthetic", manifest.get("synthetic")),
             ("Code version", manifest.get("code_version")), ("Built at", manifest.get("built_at")),
             ("Run id", manifest.get("run_id")),
             ("Manifest sha256 (of meta.run_manifest.manifest_json)", manifest_hash),
             ("Input fingerprint (files, code, settings)", manifest.get("input_fingerprint")),
             ("uv.lock sha256", manifest.get("lock_sha256"))]
    facts_html = "".join(f"<tr><th scope=\"row\">{esc(k)}</th><td><code>{esc(str(v))}</code></td></tr>"
                         for k, v in facts if v is not None)
    facts_html += "".join(f"<tr><th scope=\"row\">Data provenance</th><td>{esc(t)}</td></tr>" for t in provenance_texts)
    parts = ['<section id="data-quality"><h2>Data quality and provenance</h2>',
             '<h3>This build</h3><div class="table-wrap"><table class="facts">'
             f"<tbody>{facts_html}</tbody></table></div>"]

    checks = manifest.get("checks") or []
    if checks:
        failed = [c for c in checks if not c.get("passed")]
        by_severity: dict[str, list[int]] = {}
        for c in checks:
            tally = by_severity.setdefault(str(c.get("severity")), [0, 0])
            tally[0 if c.get("passed") else 1] += 1
        summary = "; ".join(f"{sev}: {p} passed, {f} failed" for sev, (p, f) in sorted(by_severity.items()))
        parts.append(f"<h3>Checks (gates)</h3><p>{len(checks) - len(failed)} of {len(checks)} checks passed "
                     f"({esc(summary)}).</p>")
        if failed:
            parts.append(table(["Check", "Asset", "Severity"],
                               [cells([esc(c["check"]), esc(c["asset"]), esc(str(c["severity"]))])
                                for c in sorted(failed, key=lambda c: (c["asset"], c["check"]))]))

    if db.has("main.fct_la_source_agreement"):
        summary_sql = ("select dataset, expected_to_agree, count(*) as n_rows,\n"
                       "       count(*) filter (where agrees) as n_agree,\n"
                       "       count(*) filter (where not agrees) as n_differ,\n"
                       "       count(*) filter (where agrees is null) as n_no_lait\n"
                       "from main.fct_la_source_agreement\n"
                       "group by dataset, expected_to_agree\norder by dataset, expected_to_agree")
        rows_sql = ("select dataset, academic_year, la_code, la_name, measure, source_file, file_value, lait_value,\n"
                    "       difference, agrees, expected_to_agree\n"
                    "from main.fct_la_source_agreement\nwhere agrees is distinct from true\n"
                    "order by expected_to_agree desc, dataset, academic_year, la_code, measure")
        summary = db.rows(summary_sql)
        total = sum(r["n_rows"] for r in summary)
        agree = sum(r["n_agree"] for r in summary)
        expected = [r for r in summary if r["expected_to_agree"]]
        exp_total, exp_agree = sum(r["n_rows"] for r in expected), sum(r["n_agree"] for r in expected)
        parts.append(
            "<h3>Do DfE's own files agree with LAIT?</h3>"
            f"<p>The LA-level figures come from DfE's LA Interactive Tool (LAIT). Where a landed DfE file has the "
            f"same LA's summary row, the two are compared: {agree:,} of {total:,} rows agree within the published "
            f"rounding; of the {exp_total:,} rows expected to agree (final, not provisional, figures), "
            f"{exp_agree:,} do.</p>"
            + table(["Dataset", "Expected to agree", "Rows", "Agree", "Differ", "No LAIT value"],
                    [cells([esc(r["dataset"]), "yes" if r["expected_to_agree"] else "no (provisional)",
                            count(r["n_rows"]), count(r["n_agree"]), count(r["n_differ"]), count(r["n_no_lait"])])
                     for r in summary], "compact"))
        differ = db.rows(rows_sql)

        def differ_table(rows):
            return table(["Dataset", "Year", "LA", "Measure", "DfE file", "File value", "LAIT value", "Difference"],
                         [cells([esc(r["dataset"]), esc(r["academic_year"]),
                                 esc(f"{r['la_name'] or ''} ({r['la_code']})"), f"<code>{esc(r['measure'])}</code>",
                                 f"<code>{esc(r['source_file'] or '')}</code>",
                                 num(r["file_value"], 2), num(r["lait_value"], 2),
                                 num(r["difference"], 2, signed=True) if r["difference"] is not None
                                 else "no LAIT value"]) for r in rows], "compact")

        must = [r for r in differ if r["expected_to_agree"]]
        may = [r for r in differ if not r["expected_to_agree"]]
        if must:
            parts.append(f"<p>{len(must):,} rows expected to agree do not:</p>" + differ_table(must))
        if may:
            parts.append(f"<details><summary>{len(may):,} provisional rows that differ (expected: provisional "
                         "figures are revised)</summary>" + differ_table(may) + "</details>")
        parts.append(sql_block(summary_sql + ";\n\n" + rows_sql, "main.fct_la_source_agreement"))

    gaps_sql = ("select not_comparable_reason as reason,\n"
                "       string_agg(distinct academic_year, ', ' order by academic_year) as years,\n"
                "       string_agg(distinct measure, ', ' order by measure) as measures,\n"
                "       count(value) as n_values, count(*) as n_rows\n"
                "from main.fct_la_year\nwhere area_level = 'la' and not comparable\n"
                "group by not_comparable_reason\norder by years, reason")
    missing_sql = ("select la_name, la_code, measure, academic_year, value_status\n"
                   "from main.fct_la_year\nwhere area_level = 'la' and is_treated_la and comparable and value is null\n"
                   "order by la_code, measure, academic_year")
    gaps = db.rows(gaps_sql)
    missing = db.rows(missing_sql)
    parts.append("<h3>Years and measures not comparable</h3>"
                 "<p>Years DfE says are not comparable with the rest of a series are left out of every estimate "
                 "(and drawn hollow in the trends).</p>"
                 + (table(["Years", "Why", "Measures", "LA values published"],
                          [cells([f'<span class="years">{esc(r["years"])}</span>', esc(r["reason"] or ""),
                                  esc(r["measures"]).replace(", ", ",<br>"),
                                  f"{count(r['n_values'])} of {count(r['n_rows'])}"]) for r in gaps],
                          "compact") if gaps else '<p class="note">None.</p>')
                 + ("<p>Treated LAs with no published value in a comparable year: "
                    + esc("; ".join(f"{r['la_name']} {r['measure']} {r['academic_year']} ({r['value_status']})"
                                    for r in missing)) + ".</p>" if missing else
                    "<p>Every treated LA has a published value in every comparable year.</p>")
                 + sql_block(gaps_sql + ";\n\n" + missing_sql, "main.fct_la_year"))
    raw = manifest.get("raw_inputs")
    raw_sql = "select dataset, file, academic_year, rows, sha256\nfrom meta.raw_files\norder by dataset, file"
    raw_source = "meta.run_manifest (raw_inputs)"
    if raw is None and db.has("meta.raw_files"):
        raw, raw_source = db.rows(raw_sql), "meta.raw_files"
    if raw:
        raw = sorted(raw, key=lambda r: (r.get("dataset") or "", r.get("file") or ""))
        parts.append(f"<h3>Raw files read ({len(raw)})</h3><p>Each file's sha256 identifies the immutable raw "
                     "snapshot the build read.</p>"
                     + table(["Dataset (year)", "File", "Rows", "sha256"],
                             [cells([esc(r.get("dataset") or "") + (f' <span class="small">({esc(r["academic_year"])})'
                                                                    "</span>" if r.get("academic_year") else ""),
                                     esc(r.get("file") or ""), count(r.get("rows")),
                                     f'<code class="hash">{esc(r.get("sha256") or "")}</code>'])
                              for r in raw], "raw")
                     + sql_block("select manifest_json from meta.run_manifest  -- raw_inputs\n-- or\n" + raw_sql,
                                 raw_source))
    marts = manifest.get("marts") or {}
    if marts:
        parts.append(f"<details><summary>Published marts ({len(marts)}): rows and content hash</summary>"
                     + table(["Mart", "Rows", "Content hash"],
                             [cells([f"<code>{esc(k)}</code>", count(v.get("rows")),
                                     f'<code class="hash">{esc(str(v.get("content_hash")))}</code>'])
                              for k, v in sorted(marts.items())]) + "</details>")

    parts.append("</section>")
    return "".join(parts)


def reading_section(db: Warehouse, timeline: dict, n_treated: int) -> str:
    partly = (f" {esc(timeline['partly_exposed'])}, the year the pilot began in, is only partly exposed: the "
              "estimates leave it out and the charts shade it." if timeline["partly_exposed"] else "")
    guide = f"""<section id="how-to-read"><h2>How to read this</h2>
<ul>
<li><strong>Treated and comparators.</strong> The treated LAs are compared with LAs like them: their DfE
statistical neighbours (the main comparison), a named set of single-LA areas, and all other LAs.
Each LA counts once, whatever its size.{partly}</li>
<li><strong>Difference in differences.</strong> How much more (or less) the treated LAs changed after the
pilot began than the comparators did, in the measure's own units. Zero means they changed alike.</li>
<li><strong>95% randomization interval and p.</strong> The treatment is given, in turn, to every set (or
many random sets) of comparable LAs. The p-value is the share of those with an effect at least as large;
the interval holds the effects such a test does not reject. An interval that contains zero means
<em>no measurable difference</em> &mdash; not proof of no effect: with {words(n_treated)} treated LAs only large
differences can be told from chance.</li>
<li><strong>Polarity.</strong> For attainment higher is better; for absence lower is better; a disadvantage
gap is disadvantaged minus other pupils, so higher (towards zero) is better.</li>
<li><strong>Event study.</strong> One point per year against the reference year; the grey bar is the range
chance alone gives.</li>
<li><strong>Synthetic control.</strong> A weighted mix of comparator LAs matched to the treated LAs before the
pilot; the gap after it is the estimate.</li>
<li><strong>Observational.</strong> Other things changed at the same time (Education Investment Areas, the
pandemic's recovery, a new combined authority): a difference is not proof the pilot caused it.</li>
</ul></section>"""
    rows = [
        ("Headline sentences and table", "main.fct_la_estimates",
         "estimate, ci_low, ci_high, p_value, min_p_value", "method = 'did_randomization', specification = 'main', "
         f"comparison_group = '{MAIN_GROUP}'"),
        ("Polarity (better/worse)", "main.fct_la_year", "higher_is_better", "per measure"),
        ("Trend lines", "main.fct_la_year", "value, comparable, not_comparable_reason",
         "area_level = 'la'; sets from intermediate.int_comparison_groups"),
        ("Event-study points and bars", "main.fct_la_event_study", "estimate, band_low, band_high, p_value",
         f"comparison_group = '{MAIN_GROUP}'"),
        ("Synthetic-control paths", "main.fct_la_synthetic_paths", "treated_value, synthetic_value, gap",
         f"comparison_group = '{MAIN_GROUP}', treated_unit 'treated aggregate'"),
        ("Every LA-level estimate", "main.fct_la_estimates", "all columns; caveats, inference, donor_weights",
         "all rows"),
        ("School-level estimates", "main.fct_did_estimates", "all columns", "all rows"),
        ("Build facts, raw files, checks", "meta.run_manifest", "manifest_json", "one row"),
        ("Agreement with DfE files", "main.fct_la_source_agreement", "agrees, expected_to_agree, difference",
         "all rows"),
        ("Years not comparable", "main.fct_la_year", "comparable, not_comparable_reason", "area_level = 'la'"),
    ]
    where = table(["On this page", "Mart", "Columns", "Rows"],
                  [cells([esc(a), f"<code>{esc(b)}</code>", f"<code>{esc(c)}</code>", esc(d)]) for a, b, c, d in rows],
                  "compact")
    short = {**SHORT_GROUPS, **SHORT_SPECIFICATIONS, **SHORT_METHODS}
    labels = table(["Shown as", "In tables", "Value in the marts"],
                   [cells([esc(v), esc(short.get(k, v)), f"<code>{esc(k)}</code>"]) for k, v in
                    [*GROUPS.items(), *SPECIFICATIONS.items(), *METHODS.items(),
                     *((m, MEASURES[m][0]) for m in MEASURES)]], "compact")
    glossary = []
    for mart in ("main.fct_la_estimates", "main.fct_did_estimates", "main.fct_la_event_study"):
        comments = db.comments(mart) if db.has(mart) else {}
        if comments:
            glossary.append(f"<h4><code>{esc(mart)}</code></h4><dl>"
                            + "".join(f"<dt><code>{esc(c)}</code></dt><dd>{esc(t)}</dd>"
                                      for c, t in sorted(comments.items())) + "</dl>")
    return (guide + '<section id="sources"><h2>Where each number comes from</h2>'
            "<p>Every number on this page is read from the published warehouse (<code>localed.duckdb</code>) "
            "by the SQL folded beneath its chart or table. Open the warehouse read-only with DuckDB and run that SQL "
            "to get the same numbers.</p>" + where
            + "<details><summary>Names used on this page and their values in the marts</summary>" + labels
            + "</details>"
            + ("<details><summary>What each column means (the warehouse's own column comments)</summary>"
               + "".join(glossary) + "</details>" if glossary else "")
            + "</section>")


# ---------------------------------------------------------------------------------------------
# The page

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #d6d6d6; --accent: #0b4f8a; --bg-soft: #f5f7f9; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Liberation Sans", sans-serif; }
main, header.top { max-width: 1180px; margin: 0 auto; padding: 0 1.5rem; }
header.top { padding-top: 1.5rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .3rem; }
h2 { font-size: 1.45rem; margin: 2.6rem 0 .6rem; padding-top: .6rem; border-top: 2px solid var(--ink); }
h3 { font-size: 1.08rem; margin: 1.4rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
p, li { max-width: 78ch; }
.facts-line { color: var(--muted); margin: 0 0 1rem; }
.banner { background: #b00020; color: #fff; font-weight: 700; font-size: 1.25rem; padding: .8rem 1.1rem;
  border-radius: 4px; margin: 1rem 0; letter-spacing: .02em; }
.banner span { display: block; font-weight: 400; font-size: .95rem; letter-spacing: 0; }
.real { background: var(--bg-soft); border-left: 4px solid var(--accent); padding: .5rem .9rem; margin: 1rem 0; }
nav.toc { background: var(--bg-soft); padding: .6rem 1rem; border-radius: 4px; }
nav.toc ol { margin: .2rem 0; padding-left: 1.3rem; columns: 2; }
a { color: var(--accent); }
.lead { font-size: 1.15rem; }
.scope { background: #fff8e1; border-left: 4px solid #b07d00; padding: .6rem .9rem; }
ul.headline li { margin: .45rem 0; }
.verdict { font-weight: 600; }
.verdict.better { color: #005a3c; }
.verdict.worse { color: #9c2a00; }
.verdict.none { color: #333; }
.small { font-size: .85rem; color: var(--muted); }
.note { font-size: .88rem; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1.2rem 1.6rem; }
figure.chart { margin: 0; }
figure.chart h3 { margin-top: .8rem; font-size: 1rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
figcaption p { margin: .2rem 0 0; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; font-size: .84rem; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .45rem; border-bottom: 1px solid var(--rule); }
thead th { background: var(--bg-soft); border-bottom: 2px solid #999; font-weight: 600; }
tr.group th { background: #e9eef3; font-size: .92rem; padding-top: .5rem; }
table.compact { width: auto; }
table.facts th { width: 22rem; font-weight: 600; }
.num, .years { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.estimates { font-size: .8rem; }
table.estimates td, table.estimates th { padding: .25rem .3rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .85em; }
code.hash { white-space: nowrap; font-size: .72rem; }
details summary { cursor: pointer; color: var(--accent); }
details[open] summary { margin-bottom: .3rem; }
td details p { margin: .25rem 0; max-width: 60ch; }
details.sql { margin: .4rem 0 1rem; font-size: .85rem; }
details.sql pre { background: var(--bg-soft); padding: .7rem; overflow-x: auto; border-radius: 4px; }
dl dt { font-weight: 600; margin-top: .4rem; }
dl dd { margin: 0 0 0 1.2rem; max-width: 80ch; }
footer { max-width: 1180px; margin: 3rem auto 2rem; padding: 0 1.5rem; color: var(--muted); font-size: .85rem; }
"""


def render(db: Warehouse) -> str:
    manifest, manifest_hash = manifest_of(db)
    synthetic, provenance_texts = provenance(db, manifest)
    timeline, timeline_sql = timeline_of(db)
    treated = treated_names(db)
    arrangement = arrangement_name(db, timeline["first_post"])
    years_by_measure, years_sql = measure_years(db, list(HEADLINE_MEASURES))

    built = ""
    if manifest.get("built_at"):
        stamp = datetime.fromisoformat(manifest["built_at"])
        stamp = stamp.astimezone(timezone.utc) if stamp.tzinfo else stamp
        built = f"built {stamp:%Y-%m-%d %H:%M}" + (" UTC" if stamp.tzinfo else "")
    facts = " \u00b7 ".join(x for x in [
        f"Source mode: {manifest['source_mode']}" if manifest.get("source_mode") else "",
        f"code version {manifest['code_version']}" if manifest.get("code_version") else "", built] if x)
    if synthetic:
        banner = (f'<div class="banner" role="alert">{esc(BANNER)}<span>Every number on this page comes from '
                  "generated data, made to test the methods; the planted effects are shown beside the estimates."
                  "</span></div>")
    else:
        banner = ('<p class="real">Real data: ' + esc("; ".join(provenance_texts) or "provenance not recorded")
                  + ".</p>")
    title = "LocalED: did schools in the treated LAs change differently?"
    sections = [
        ("headline", "Headline: outcomes at LA level"), ("trends", "Trends"), ("event-studies", "Event studies"),
        ("synthetic-control", "Synthetic control"), ("estimates", "Every LA-level estimate"),
        ("school-level", "School-level estimates"), ("data-quality", "Data quality and provenance"),
        ("how-to-read", "How to read this"), ("sources", "Where each number comes from")]
    toc = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in sections)
    body = "".join([
        headline_section(db, synthetic, treated, timeline, arrangement),
        trends_section(db, years_by_measure, timeline, years_sql + ";\n\n-- the pilot's timeline\n" + timeline_sql),
        event_section(db, years_by_measure, timeline),
        synthetic_section(db, years_by_measure, timeline),
        estimates_section(db, synthetic),
        school_section(db, synthetic, len(treated)),
        quality_section(db, manifest, manifest_hash, provenance_texts),
        reading_section(db, timeline, len(treated)),
    ])
    page_title = (BANNER + " \u2014 " if synthetic else "") + "LocalED findings report"
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page_title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
<h1>{esc(title)}</h1>
<p class="facts-line">{esc(facts)}</p>
{banner}
<nav class="toc" aria-label="Contents"><ol>{toc}</ol></nav>
</header>
<main>
{body}
</main>
<footer>Written by <code>orchestration/report.py</code> from the published warehouse. Outcomes at LA level and
data quality only in this first cut; the support sections follow.</footer>
</body>
</html>
"""


def write_report(warehouse: Path, out_dir: Path) -> Path:
    """Read the published warehouse (read-only) and write out_dir/index.html; return its path."""
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}")
    db = Warehouse(warehouse)
    try:
        page = render(db)
    finally:
        db.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    incoming = out_dir / ".index.html.incoming"
    incoming.write_text(page, encoding="utf-8")
    os.replace(incoming, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the findings report (one offline HTML page) from a "
                                                 "published warehouse.")
    parser.add_argument("--warehouse", required=True, type=Path, help="the published localed.duckdb")
    parser.add_argument("--out", required=True, type=Path, help="folder to write index.html into")
    args = parser.parse_args(argv)
    print(write_report(args.warehouse, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
