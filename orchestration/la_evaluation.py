"""The evaluation at LA level, on DfE's real LA-level series (fct_la_year): did the treated LAs
change differently after the pilot began than comparable LAs?

For each estimated measure (la_indicator_measures.estimated), comparator set (int_comparison_groups)
and specification:
- difference in differences with LA and year fixed effects, each LA counted once, with
  randomization inference: every way of choosing as many LAs as were treated (enumerated up to
  MAX_ENUMERATED sets, else RANDOM_ASSIGNMENTS drawn), the exact p-value, and the interval of
  effects the test does not reject (orchestration/la_inference.py);
- synthetic control for each treated LA and for their equally weighted aggregate, with a
  placebo-in-space p-value (orchestration/la_synthetic_control.py, pysyncon);
- an event study by year with randomization bands.

Specifications (all derived from the seeds, nothing typed here):
- main: years DfE calls comparable; the year the pilot began in (2021/22: April 2022, before
  the summer's tests) left out as partly exposed; comparator LAs that share a combined authority
  with a treated LA in any post-pilot year (from 2024/25, the North East Mayoral CA) left out.
- before_ca_merger: those LAs kept, and the series stopped before the first year they share one.
- without_eia: main, without Education Investment Area LAs (a 2022 confounder).
The event study uses the main comparators and every comparable year, 2021/22 included, so the
partly exposed year shows as its own coefficient.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_ENUMERATED = 50_000
RANDOM_ASSIGNMENTS = 2_000
FAST_RANDOM_ASSIGNMENTS = 300  # tests only, never published
SEED = 20220401
ALPHA = 0.05
# Synthetic-control placebos refit once per donor: cap them for the largest pools.
MAX_PLACEBO_DONORS = 40
FAST_MAX_PLACEBO_DONORS = 10  # tests only
SPECIFICATIONS = ("main", "before_ca_merger", "without_eia")
MIN_SYNTH_PRE_YEARS = 3  # fewer pre years than this are fitted exactly by many donor mixes


@dataclass(frozen=True)
class Sample:
    measure: str
    comparison_group: str
    specification: str
    panel: pd.DataFrame  # unit, year, value, treated
    post_from: int
    partly_exposed: int | None
    dropped_note: str


def _year(academic_year: pd.Series) -> pd.Series:
    return academic_year.str[:4].astype(int)


def label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def samples(la_years: pd.DataFrame, groups: pd.DataFrame) -> tuple[list[Sample], dict]:
    """Every (measure, comparator set, specification) estimation sample. Which years are post-pilot
    and which one is partly exposed comes from fct_la_year (is_post_pilot, is_partly_exposed)."""
    frame = la_years.assign(year=_year(la_years.academic_year))
    post_from = int(frame.loc[frame.is_post_pilot, "year"].min())
    exposed = frame.loc[frame.is_partly_exposed, "year"]
    partly_exposed = int(exposed.min()) if len(exposed) else None
    usable = frame[frame.comparable & frame.value.notna()]
    treated = set(groups.loc[groups.group_role == "treated", "la_code"])
    shares = frame[frame.shares_ca_with_treated_la & (frame.year >= post_from)]
    sharing_las = set(shares.la_code)
    merger_year = int(shares.year.min()) if len(shares) else None
    eia = set(frame.loc[frame.is_education_investment_area, "la_code"])
    # "Dorset (835)": two LAs can share a name across a reorganisation (Dorset 835 and 838)
    names = {code: f"{name} ({code})" for code, name in
             frame.drop_duplicates("la_code").set_index("la_code").la_name.items()}
    out = []
    for group in sorted(groups.loc[groups.group_role == "comparator", "comparison_group"].unique()):
        members = set(groups.loc[groups.comparison_group == group, "la_code"]) - treated
        for measure in sorted(usable.measure.unique()):
            data = usable[usable.measure == measure]
            for spec in SPECIFICATIONS:
                comparators, years, notes = set(members), data.year != (partly_exposed or -1), []
                removed = sorted(comparators & sharing_las)
                if spec in ("main", "without_eia") and removed:
                    comparators -= sharing_las
                    notes.append(f"Comparators left out as sharing a combined authority with a treated LA from {label(merger_year)}: "
                                 + ", ".join(names.get(c, str(c)) for c in removed))
                if spec == "before_ca_merger":
                    if not removed:
                        continue  # identical to main
                    years &= data.year < merger_year
                    notes.append(f"Series stops at {label(merger_year - 1)}: from {label(merger_year)} "
                                 + ", ".join(names.get(c, str(c)) for c in removed) + " share a combined authority with "
                                 "the treated LAs")
                if spec == "without_eia":
                    dropped_eia = sorted(comparators & eia)
                    if not dropped_eia:
                        continue  # identical to main
                    comparators -= eia
                    notes.append("Education Investment Areas left out: " + ", ".join(names.get(c, str(c))
                                                                                       for c in dropped_eia))
                rows = data[years & data.la_code.isin(treated | comparators)]
                panel = pd.DataFrame({"unit": rows.la_code.astype(int), "year": rows.year.astype(int),
                                      "value": rows.value.astype(float), "treated": rows.la_code.isin(treated)})
                panel = panel.sort_values(["unit", "year"]).reset_index(drop=True)
                if panel.treated.any() and (~panel.treated).any() and (panel.year >= post_from).any() \
                        and (panel.year < post_from).any():
                    out.append(Sample(measure, group, spec, panel, post_from, partly_exposed, "; ".join(notes)))
    context = {"names": names, "eia": eia, "merger_year": merger_year}
    return out, context


def event_panel(la_years: pd.DataFrame, sample: Sample) -> pd.DataFrame:
    """The main sample's LAs over every comparable year (the partly exposed year included)."""
    frame = la_years[(la_years.measure == sample.measure) & la_years.comparable & la_years.value.notna()
                     & la_years.la_code.isin(set(sample.panel.unit))]
    return pd.DataFrame({"unit": frame.la_code.astype(int), "year": _year(frame.academic_year),
                         "value": frame.value.astype(float), "treated": frame.is_treated_la.astype(bool)}
                        ).sort_values(["unit", "year"]).reset_index(drop=True)


def _finite(value) -> float | None:
    """NULL, not NaN or infinity, in the marts (a NaN would also print as 'nan' in the CSV export)."""
    return float(value) if value is not None and np.isfinite(value) else None


def _years_text(years) -> str:
    years = sorted(set(years))
    return ", ".join(label(y) for y in years)


ATTAINMENT = ("ks2_", "ks4_")


def caveats(sample: Sample, context: dict, n_treated: int, comparators: set[int], pre_years: list[int],
            post_years: list[int], extra: list[str] = (), fast: bool = False, synthetic_data: bool = False) -> str:
    """Written from the sample itself: its years, its LAs, and what could confound it."""
    data = "SYNTHETIC DEMO DATA" if synthetic_data else "Real LA-level data, observational"
    notes = [f"{data}: {n_treated} treated LAs against {len(comparators)} comparator LAs ({sample.comparison_group}), "
             "each LA counted once whatever its size.",
             f"{len(pre_years)} pre-pilot year(s) ({_years_text(pre_years)}) and {len(post_years)} post-pilot year(s) "
             f"({_years_text(post_years)})."]
    if len(pre_years) < 3:
        notes.append("So few pre-pilot years that parallel trends cannot be checked.")
    if sample.partly_exposed is not None:
        when = "before that summer's tests and exams" if sample.measure.startswith(ATTAINMENT) else "part-way through it"
        notes.append(f"{label(sample.partly_exposed)} left out: the pilot began during that year, {when}.")
    if sample.dropped_note:
        notes.append(sample.dropped_note + ".")
    merger = context.get("merger_year")
    if merger is not None and merger in post_years:
        notes.append(f"From {label(merger)} the treated LAs are in a wider combined authority (the North East "
                     "Mayoral CA) and the pilot's own period had ended: later years measure the arrangement that "
                     "followed, not the pilot alone.")
    eia_in = comparators & context.get("eia", set())
    if eia_in:
        notes.append(f"{len(eia_in)} comparator(s) are Education Investment Areas (2022 confounder) in the "
                     "education_investment_areas seed, which lists only the five LAs domain.md names, not DfE's 55: "
                     "more comparators are likely EIAs.")
    if sample.measure.startswith("ks4_"):
        notes.append("Opportunity North East (2019-2022) targeted North East secondaries, the treated LAs' among them.")
    if sample.comparison_group == "all_other_las":
        notes.append("all_other_las includes LAs in other combined authorities and very small LAs (City of London, "
                     "Isles of Scilly), each weighted like any other.")
    if sample.comparison_group.endswith("_2025"):
        notes.append("DfE's 2025 neighbour model was built on data from after the pilot began.")
    notes.extend(extra)
    if fast:
        notes.append(f"FAST TEST MODE: at most {FAST_RANDOM_ASSIGNMENTS} random assignments and "
                     f"{FAST_MAX_PLACEBO_DONORS} synthetic-control placebos; not for publication.")
    return " ".join(n for n in notes if n)


def multiple_comparisons_note(tested: int, what: str = "measures x comparator sets x specifications x methods"
                               ) -> str:
    """Many tests are published side by side: chance alone gives some small p-values."""
    return (f"Multiple comparisons: this is one of {tested} tests published here ({what}); with no effect "
            f"anywhere, about {tested / 20:.1f} would show p < 0.05 by chance alone (they are not independent).")


def published_decimals(values: pd.Series) -> int:
    """How many decimals the published values carry (KS2 percentages 0, Attainment 8 one, absence two)."""
    for decimals in range(7):
        if np.allclose(values, values.round(decimals), atol=1e-9):
            return decimals
    return 6


def estimate_sample(sample: Sample, la_years: pd.DataFrame, context: dict, planted: float | None,
                    reference_year: int, fast: bool, synthetic_data: bool = False,
                    pupils: dict[int, float] | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """DiD with randomization inference (every specification); synthetic control and the event
    study (main specification only)."""
    from orchestration.la_inference import did_randomization, event_study_randomization

    draws = FAST_RANDOM_ASSIGNMENTS if fast else RANDOM_ASSIGNMENTS
    did = did_randomization(sample.panel, sample.post_from, max_enumerated=MAX_ENUMERATED, draws=draws, seed=SEED,
                            alpha=ALPHA)
    names = context["names"]
    used = sample.panel[~sample.panel.unit.isin(set(did.units_dropped or ()))]
    pre_years = sorted(set(used.year[used.year < sample.post_from]))
    post_years = sorted(set(used.year[used.year >= sample.post_from]))
    n_treated = int(used.loc[used.treated, "unit"].nunique())
    comparators = set(used.loc[~used.treated, "unit"])
    n_comparators = len(comparators)
    common = {"measure": sample.measure, "comparison_group": sample.comparison_group,
              "specification": sample.specification, "n_treated_las": n_treated, "n_comparator_las": n_comparators,
              "pre_years": _years_text(pre_years), "post_years": _years_text(post_years),
              "n_pre_years": len(pre_years), "n_post_years": len(post_years), "planted_effect": planted}
    extra = [f"{did.n_assignments:,} randomization assignments ("
             + (f"every set of {n_treated} LAs" if did.enumerated else f"sets of {n_treated} LAs drawn at random")
             + f" from the {n_treated + n_comparators} in the sample): no p-value can be below "
             f"{did.min_p_value:.4f}."]
    if did.min_p_value > ALPHA:
        extra.append("Too few LAs for the randomization test to reject anything at 5%: the interval cannot exclude "
                     "any effect.")
    if did.units_dropped:
        extra.append(f"{len(did.units_dropped)} LA(s) without both pre- and post-pilot values left out: "
                     + ", ".join(names.get(u, str(u)) for u in did.units_dropped) + ".")
    if did.interval_is_hull:
        extra.append("The accepted effects do not form one interval: the hull is shown.")
    unbounded = not (np.isfinite(did.ci_low) and np.isfinite(did.ci_high))
    if unbounded:
        extra.append("The randomization interval is unbounded on at least one side (ci_low or ci_high NULL): "
                     "this design cannot rule out any effect that large.")
    estimates = [common | {
        "method": "did_randomization", "treated_unit": "all treated LAs",
        "estimate": did.estimate, "ci_low": _finite(did.ci_low), "ci_high": _finite(did.ci_high),
        "p_value": did.p_value,
        "inference": ("randomization inference, all assignments enumerated" if did.enumerated
                      else "randomization inference, random assignments drawn"),
        "n_assignments": did.n_assignments, "min_p_value": did.min_p_value,
        "pre_rmspe": None, "donor_weights": None,
        "caveats": caveats(sample, context, n_treated, comparators, pre_years, post_years, extra, fast,
                           synthetic_data)}]
    events, paths = [], []
    if sample.specification != "main":
        return estimates, events, paths

    from orchestration.la_synthetic_control import synthetic_control

    cap = FAST_MAX_PLACEBO_DONORS if fast else MAX_PLACEBO_DONORS
    # The fit cannot be better than the published rounding: the ratio divides by no less than the
    # rounding error's RMS (10^-decimals / sqrt 12), and placebos fitted more than five times worse
    # than the treated unit are left out of its ranking (Abadie, Diamond and Hainmueller 2010).
    floor = 10.0 ** -published_decimals(sample.panel.value) / np.sqrt(12)
    treated_las = sorted(set(sample.panel.unit[sample.panel.treated]))
    weights = pupils if pupils and all(pupils.get(u) for u in treated_las) else None
    weighting = (f"pupil-weighted by the {context['pupil_year']} census" if weights
                 else "equally weighted: no census pupil counts for the treated LAs")
    for result in synthetic_control(sample.panel, sample.post_from, placebo=True, max_placebo_donors=cap,
                                    weights=weights, rmspe_floor=floor, max_placebo_pre_rmspe_multiple=5.0):
        donor_weights = {names.get(int(u), str(u)): round(float(w), 3) for u, w in
                         sorted(result.donor_weights.items(), key=lambda kv: -kv[1])}
        unit = result.treated_unit
        unit_name = names.get(int(unit), unit) if str(unit).isdigit() else f"{unit}, {weighting}"
        informative = result.n_pre_years >= MIN_SYNTH_PRE_YEARS and result.placebo_p_value is not None
        notes = [f"Synthetic control: pre-period fit RMSPE {result.pre_rmspe:.3g} over {result.n_pre_years} "
                 f"year(s) from {result.n_donors} donor LAs; the post/pre ratio divides by no less than "
                 f"{floor:.3g}, the published values' rounding error."]
        if informative:
            notes.append(f"Placebo-in-space p-value over {result.n_placebos} donor placebos (donors refitted as if "
                         f"treated{f', the {cap} closest before the pilot' if len(result.placebo_donors) < result.n_donors else ''}"
                         "; those fitted over five times worse left out): no p-value can be below "
                         f"{1 / (result.n_placebos + 1):.3f}.")
        else:
            notes.append(f"With {result.n_pre_years} pre-pilot year(s) and {result.n_donors} donors the pre-period "
                         "is fitted almost exactly whatever the truth, so the donor weights are one of many exact "
                         "fits and no placebo p-value is given: read the gap path, not a test.")
        estimates.append(common | {
            "method": "synthetic_control", "treated_unit": unit_name,
            "estimate": result.average_post_gap, "ci_low": None, "ci_high": None,
            "p_value": result.placebo_p_value if informative else None,
            "inference": ("placebo in space (post/pre RMSPE ratio rank)" if informative
                          else "none: too few pre-pilot years for a placebo test"),
            "n_assignments": result.n_placebos + 1 if informative else None,
            "min_p_value": 1 / (result.n_placebos + 1) if informative else None,
            "pre_rmspe": result.pre_rmspe, "donor_weights": json.dumps(donor_weights, ensure_ascii=False),
            "n_pre_years": result.n_pre_years, "n_post_years": result.n_post_years,
            "caveats": " ".join(notes) + " " + caveats(sample, context, n_treated, comparators, pre_years, post_years,
                                                      [], fast, synthetic_data)})
        for row in result.gaps.itertuples(index=False):
            paths.append({"measure": sample.measure, "comparison_group": sample.comparison_group,
                          "treated_unit": unit_name, "academic_year": label(int(row.year)),
                          "treated_value": float(row.treated), "synthetic_value": float(row.synthetic),
                          "gap": float(row.gap), "is_post_pilot": bool(row.is_post)})

    panel = event_panel(la_years, sample)
    if reference_year in set(panel.year):
        study = event_study_randomization(panel, reference_year, post_from=sample.post_from,
                                          max_enumerated=MAX_ENUMERATED,
                                          draws=FAST_RANDOM_ASSIGNMENTS if fast else RANDOM_ASSIGNMENTS, seed=SEED,
                                          alpha=ALPHA)
        events.append({"measure": sample.measure, "comparison_group": sample.comparison_group,
                       "academic_year": label(reference_year), "years_from_reference": 0, "is_reference_year": True,
                       "is_post_pilot": reference_year >= sample.post_from,
                       "is_partly_exposed": reference_year == sample.partly_exposed, "estimate": 0.0, "band_low": None,
                       "band_high": None, "p_value": None, "n_assignments": None})
        for row in study.itertuples(index=False):
            events.append({"measure": sample.measure, "comparison_group": sample.comparison_group,
                           "academic_year": label(int(row.year)), "years_from_reference": int(row.year) - reference_year,
                           "is_reference_year": False, "is_post_pilot": int(row.year) >= sample.post_from,
                           "is_partly_exposed": int(row.year) == sample.partly_exposed,
                           "estimate": _finite(row.estimate), "band_low": _finite(row.band_low),
                           "band_high": _finite(row.band_high), "p_value": _finite(row.p_value),
                           "n_assignments": int(row.n_assignments)})
    return estimates, events, paths


ESTIMATE_COLUMNS = {
    "measure": ("VARCHAR", "Outcome (fct_la_year.measure): e.g. ks2_rwm_expected_pct, ks4_attainment8, overall_absence_pct."),
    "comparison_group": ("VARCHAR", "Comparator set: statistical_neighbours (DfE 2021 model), statistical_neighbours_2025, named_single_la, all_other_las."),
    "specification": ("VARCHAR", "main; before_ca_merger (LAs that joined the treated LAs' combined authority kept, series stopped before); without_eia (Education Investment Areas left out)."),
    "method": ("VARCHAR", "did_randomization (LA and year fixed effects, each LA once) or synthetic_control (pysyncon)."),
    "treated_unit": ("VARCHAR", "all treated LAs (DiD); for synthetic control each treated LA, and the treated aggregate (pupil-weighted by the reference year's census where it has the treated LAs' pupils; the label says which)."),
    "estimate": ("DOUBLE", "Effect after the pilot began, in the measure's units (DiD coefficient; synthetic control: mean post-pilot gap, treated minus synthetic)."),
    "ci_low": ("DOUBLE", "DiD: lower end of the 95% randomization interval (effects not rejected at 5%, by test inversion). NULL for synthetic control."),
    "ci_high": ("DOUBLE", "DiD: upper end of the 95% randomization interval."),
    "p_value": ("DOUBLE", "DiD: exact randomization p-value (share of assignments with an effect at least as large). Synthetic control: placebo-in-space p-value (rank of the post/pre RMSPE ratio); NULL with fewer than 3 pre-pilot years, where the pre-period is fitted exactly and the test means nothing."),
    "inference": ("VARCHAR", "How the p-value and interval were obtained."),
    "n_assignments": ("INTEGER", "Assignments (DiD) or units in the placebo ranking (synthetic control) the p-value is computed over; NULL where no test is given."),
    "min_p_value": ("DOUBLE", "The smallest p-value this design can give; NULL where no test is given."),
    "n_treated_las": ("INTEGER", "Treated LAs in the sample."),
    "n_comparator_las": ("INTEGER", "Comparator LAs in the sample."),
    "pre_years": ("VARCHAR", "Pre-pilot academic years used."),
    "post_years": ("VARCHAR", "Post-pilot academic years used."),
    "n_pre_years": ("INTEGER", "Number of pre-pilot years."),
    "n_post_years": ("INTEGER", "Number of post-pilot years."),
    "pre_rmspe": ("DOUBLE", "Synthetic control: root mean squared gap before the pilot (the fit). NULL for DiD."),
    "donor_weights": ("VARCHAR", "Synthetic control: JSON of donor LA -> weight. NULL for DiD."),
    "planted_effect": ("DOUBLE", "Demo builds only: the effect the generator planted, to check the method. NULL on real data."),
    "caveats": ("VARCHAR", "Written from the sample: years, LAs, what the design can show, what was left out and why."),
    "data_provenance": ("VARCHAR", "Where the numbers come from. Demo builds say SYNTHETIC DEMO DATA."),
}
EVENT_COLUMNS = {
    "measure": ("VARCHAR", "Outcome (fct_la_year.measure)."),
    "comparison_group": ("VARCHAR", "Comparator set (main specification)."),
    "academic_year": ("VARCHAR", "Academic year, written like 2018/19."),
    "years_from_reference": ("INTEGER", "Years after (negative: before) the reference year."),
    "is_reference_year": ("BOOLEAN", "The reference year (evaluation_settings.event_study_reference_year): estimate fixed at 0."),
    "is_post_pilot": ("BOOLEAN", "The year starts after the pilot began."),
    "is_partly_exposed": ("BOOLEAN", "The year the pilot began in (2021/22): neither a pre-trend test nor a full post year."),
    "estimate": ("DOUBLE", "Treated-minus-comparator difference that year relative to the reference year (LA and year fixed effects)."),
    "band_low": ("DOUBLE", "2.5th percentile of that year's coefficient over the randomization assignments: what chance alone produces."),
    "band_high": ("DOUBLE", "97.5th percentile of the same."),
    "p_value": ("DOUBLE", "Randomization p-value for that year's coefficient."),
    "n_assignments": ("INTEGER", "Assignments used."),
    "data_provenance": ("VARCHAR", "Where the numbers come from."),
}
PATH_COLUMNS = {
    "measure": ("VARCHAR", "Outcome (fct_la_year.measure)."),
    "comparison_group": ("VARCHAR", "Donor pool (main specification)."),
    "treated_unit": ("VARCHAR", "Treated LA, or 'treated aggregate'."),
    "academic_year": ("VARCHAR", "Academic year."),
    "treated_value": ("DOUBLE", "The treated LA's (or aggregate's) published value."),
    "synthetic_value": ("DOUBLE", "The synthetic control's value: the donor-weighted mean."),
    "gap": ("DOUBLE", "Treated minus synthetic."),
    "is_post_pilot": ("BOOLEAN", "The year starts after the pilot began."),
    "data_provenance": ("VARCHAR", "Where the numbers come from."),
}


# What forked workers estimate: set by _estimate_all just before it forks.
_WORK: tuple | None = None


def _estimate_nth(index: int):
    samples_, la_years, context, planted, reference_year, fast, synthetic, pupils = _WORK
    sample = samples_[index]
    return estimate_sample(sample, la_years, context, planted.get(sample.measure), reference_year, fast, synthetic,
                           pupils)


def _estimate_all(work: tuple, workers: int | None) -> list:
    """Every sample's results, in sample order. The samples are independent and each uses fixed
    seeds, so forked workers (when there are CPUs for them) give the same numbers as one process."""
    global _WORK
    from orchestration.evaluation import _worker_count

    _WORK = work
    try:
        count = len(work[0])
        workers = _worker_count(count) if workers is None else max(1, min(workers, count))
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_estimate_nth, range(count), chunksize=1)
        return [_estimate_nth(index) for index in range(count)]
    finally:
        _WORK = None


def run(build_db: str, planted: dict[str, float], fast: bool = False, workers: int | None = None) -> dict[str, int]:
    """Read fct_la_year and the comparison groups, estimate, write the three LA-level marts.
    Run it in a fresh process (run_module_in_subprocess): it forks workers."""
    import duckdb

    from orchestration.evaluation import write_table

    with duckdb.connect(build_db, read_only=True) as con:
        la_years = con.execute(
            "select y.la_code, y.la_name, y.academic_year, y.measure, y.value, y.comparable, y.is_treated_la, "
            "y.is_post_pilot, y.is_partly_exposed, y.shares_ca_with_treated_la, y.is_education_investment_area, "
            "y.data_provenance "
            "from main.fct_la_year as y join reference.la_indicator_measures as m using (measure) "
            "where y.area_level = 'la' and m.estimated order by all").df()
        groups = con.execute("select la_code, comparison_group, group_role from intermediate.int_comparison_groups "
                             "order by all").df()
        settings = dict(con.execute("select setting, value from reference.evaluation_settings").fetchall())
        # Pupils on roll per LA in the census of the reference year (pre-pilot): the treated
        # aggregate's weights in the synthetic control.
        pupil_year = settings["event_study_reference_year"]
        pupils = dict(con.execute("select la_code, sum(pupils_on_roll) from staging.stg_dfe__census "
                                  "where academic_year = ? group by la_code", [pupil_year]).fetchall())
    provenance = la_years.data_provenance.iloc[0] if len(la_years) else None
    if la_years.empty or not la_years.is_post_pilot.any():
        all_samples, context = [], {}
    else:
        all_samples, context = samples(la_years, groups)
    context["pupil_year"] = pupil_year
    reference_year = int(settings["event_study_reference_year"][:4])
    work = (all_samples, la_years, context, planted, reference_year, fast, "SYNTHETIC" in str(provenance), pupils)
    estimates, events, paths = [], [], []
    for e, v, p in _estimate_all(work, workers):
        estimates += e
        events += v
        paths += p
    tested = sum(r["p_value"] is not None for r in estimates)
    for row in estimates:
        row["caveats"] += " " + multiple_comparisons_note(tested)
    stamp = {"data_provenance": provenance}
    comment = "LA-level estimates of the combined-authority arrangement's effect (DfE LAIT data)."
    if fast:
        comment += " FAST TEST MODE: not for publication."
    with duckdb.connect(build_db) as con:
        write_table(con, "fct_la_estimates", ESTIMATE_COLUMNS, [r | stamp for r in estimates], comment)
        write_table(con, "fct_la_event_study", EVENT_COLUMNS, [r | stamp for r in events],
                    "LA-level event study with randomization bands (main specification).")
        write_table(con, "fct_la_synthetic_paths", PATH_COLUMNS, [r | stamp for r in paths],
                    "Synthetic-control paths: each treated LA (and their aggregate) against its synthetic control.")
    return {"estimates": len(estimates), "event_study_rows": len(events), "synthetic_path_rows": len(paths)}


def _bound(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:.2f}"


HEADLINE_MEASURES = ("ks2_rwm_expected_pct", "ks2_rwm_disadvantage_gap_pp", "ks4_attainment8",
                     "ks4_attainment8_disadvantage_gap", "overall_absence_pct", "persistent_absence_pct")


def headline_table(con, comparison_group: str = "statistical_neighbours") -> str:
    """The plain-text summary `localed build` ends with: the main DiD per headline measure."""
    rows = con.execute(
        "select measure, estimate, ci_low, ci_high, p_value, n_assignments, n_comparator_las, data_provenance "
        "from main.fct_la_estimates where method = 'did_randomization' and specification = 'main' "
        "and comparison_group = ? order by measure", [comparison_group]).fetchall()
    rows = sorted(rows, key=lambda r: HEADLINE_MEASURES.index(r[0]) if r[0] in HEADLINE_MEASURES else 99)
    if not rows:
        return ""
    data = "SYNTHETIC DEMO DATA" if "SYNTHETIC" in str(rows[0][7]) else "real DfE data"
    lines = [f"LA-level headline ({data}; difference in differences, LA and year fixed effects, randomization "
             f"inference; treated LAs against DfE statistical neighbours, 2021 model):",
             f"  {'measure':<34}{'estimate':>9}  {'95% randomization interval':<28}{'p':>7}  assignments  comparators"]
    for measure, estimate, low, high, p, n, comparators, _ in rows:
        interval = f"[{_bound(low)}, {_bound(high)}]"
        lines.append(f"  {measure:<34}{estimate:>9.2f}  {interval:<28}{p:>7.4f}  {n:>11,}  {comparators:>11}")
    lines.append("  Observational, LA level, few treated LAs: see fct_la_estimates.caveats for each row.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Estimate the arrangement's effect at LA level into a run's warehouse.")
    parser.add_argument("--build-db", required=True)
    parser.add_argument("--planted", default="{}", help="JSON: measure -> planted effect (demo builds)")
    parser.add_argument("--fast", action="store_true", help="tests only: fewer assignments and placebos")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts = run(args.build_db, json.loads(args.planted), fast=args.fast, workers=args.workers)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
