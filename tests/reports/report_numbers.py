"""Every number of a `TrialResults`, formatted as the report writes it: the report's own formatters
(oncotrial.reports.format, and `ReportView.interval` / `.rate` for intervals with their missing-value
words), so a golden test can find each in a page or a report and a wrong number cannot hide."""

from __future__ import annotations

from oncotrial.reports import format as fmt
from oncotrial.reports.view import ReportView


def expected_numbers(r, lang: str = "en") -> list[str]:
    """Every number of the results (CONSORT, DMT01, DST01, RSPT01, TTET01, the design decision,
    local control, AET01/02, grade 3-4 rates), formatted as the report writes them in `lang`."""
    v = ReportView(r, lang)
    found = [str(r.consort.screened)]
    for table in (r.demographics, r.disposition):
        found += [fmt.cell(c) for row in table.count_rows for c in row.cells]
        found += [", ".join(fmt.number(v) for v in row.values[i])
                  for row in table.stat_rows for i in range(len(table.columns))]
    for column in r.response.arms:
        found += [v.rate(column.orr), v.rate(column.dcr)]
    for d in (r.response.orr_difference, r.response.dcr_difference):
        if d is not None:
            found.append(v.interval(d.estimate, d.lower, d.upper, scale="percent"))
    not_computed = v.t("not_computed")
    for summary in r.time_to_event:
        for a in summary.arms:
            found.append(v.interval(a.median.estimate, a.median.lower, a.median.upper, median=True))
            found += [v.interval(x.estimate, x.lower, x.upper, scale="percent") for x in a.landmarks]
        c = summary.comparison
        if c is not None:
            found += [fmt.chi_square(c.logrank, not_computed), fmt.hazard_ratio(c.hazard_ratio, not_computed)]
            found += [fmt.chi_square(c.stratified_logrank, not_computed),
                      fmt.hazard_ratio(c.stratified_hazard_ratio, not_computed)]
    if r.landmark_decision is not None:
        d = r.landmark_decision
        found += [v.interval(d.km_rate.estimate, d.km_rate.lower, d.km_rate.upper, scale="percent"),
                  fmt.percent(d.p0) + "%", fmt.percent(d.p1) + "%"]
    for a in r.local_control.arms:
        found += [v.interval(x.estimate, x.lower, x.upper, scale="percent") for x in a.landmarks]
    if len(r.local_control.arms) > 1:
        found.append(fmt.chi_square(r.local_control.gray, not_computed))
    found += [fmt.cell(c) for row in r.safety.overview for c in row.cells]
    found += [fmt.cell(c) for row in r.safety.by_term for c in row.cells]
    found += [v.rate(rate) for g in r.safety.grade_3_4 for _, rate in g.rates if rate.n]
    return found
