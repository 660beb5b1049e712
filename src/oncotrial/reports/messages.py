"""The report's words in English and Simplified Chinese: every heading, label and footnote of the
trial report and the results pages (`LABELS`, by key), and the labels the domain writes into its
tables (`TERMS`, by their English text: "Any TEAE", "Mean (SD)", BOR codes...).

Rule texts are the domain's own sentences; they stay in English in both languages and the Chinese
report says so in a footnote (`rules_in_english`). Warnings are translated by their code
(oncotrial.reports.notes), and so are the analysis sets' names.
"""

from __future__ import annotations

from collections.abc import Callable

from oncotrial.errors import InvalidInput

LANGUAGES = ("en", "zh-hans")

LABELS: dict[str, tuple[str, str]] = {
    "report_title": ("Trial results report", "试验结果报告"),
    "study": ("Study", "研究"),
    "protocol": ("Protocol", "方案"),
    "protocol_version": ("Protocol version", "方案版本"),
    "data_cutoff": ("Data cut-off", "数据截止日期"),
    "analysis_set": ("Analysis set", "分析集"),
    "software_version": ("Software version", "软件版本"),
    "data_status": ("Data status", "数据状态"),
    "live": ("live data, not locked", "实时数据，未锁定"),
    "locked": ("locked database snapshot", "已锁定的数据库快照"),
    "dsmb_open": ("DSMB open report: pooled data only, nothing by arm",
                  "DSMB 公开报告：仅汇总数据，不按组别"),
    "dsmb_closed": ("DSMB closed report: results by arm, confidential",
                    "DSMB 非公开报告：按组别的结果，保密"),
    "page": ("Page", "页"),
    "of": ("of", "/"),
    "contents": ("Contents", "目录"),
    "warnings": ("Warnings", "警告"),
    "no_warnings": ("No statistical warning.", "无统计警告。"),
    "withheld_warnings": ("{n} warning(s) about between-arm comparisons are in the closed report.",
                          "{n} 条关于组间比较的警告见非公开报告。"),
    "rules_in_english": ("Rule texts are quoted as the derivation writes them.",
                         "规则文本按衍生程序的原文（英文）引用。"),
    "one_arm": ("one arm", "某一组"),
    "not_estimable": ("not estimable", "不可估计"),
    "ci_not_estimable": ("CI not estimable", "置信区间不可估计"),
    "page_consort": ("CONSORT", "CONSORT"),
    "apply": ("Show", "显示"),
    "consort": ("CONSORT flow diagram", "CONSORT 流程图"),
    "consort_screened": ("Screened", "筛选"),
    "consort_not_eligible": ("Not eligible", "不符合入选条件"),
    "consort_pending": ("Eligibility pending", "资格待定"),
    "consort_not_enrolled": ("Eligible, not enrolled", "符合条件但未入组"),
    "consort_enrolled": ("Enrolled", "入组"),
    "consort_randomised": ("Randomised", "随机分组"),
    "consort_allocated": ("Allocated", "分配"),
    "consort_treated": ("Treated", "接受治疗"),
    "consort_not_treated": ("Not treated", "未接受治疗"),
    "consort_discontinued": ("Discontinued treatment", "停止治疗"),
    "consort_withdrawn": ("Withdrawn from follow-up", "退出随访"),
    "consort_died": ("Died", "死亡"),
    "consort_analysed": ("Analysed", "分析"),
    "consort_reasons": ("Reasons", "原因"),
    "pooled": ("All arms (pooled)", "所有组（汇总）"),
    "set_itt": ("ITT", "意向治疗集"),
    "set_pp": ("Per protocol", "符合方案集"),
    "set_safety": ("Safety", "安全性集"),
    "set_evaluable": ("Response-evaluable", "可评估缓解集"),
    "total": ("Total", "合计"),
    "baseline": ("Demographics and disposition", "人口学特征与受试者处置"),
    "dmt01": ("DMT01 Demographics and baseline characteristics", "DMT01 人口学和基线特征"),
    "dst01": ("DST01 Disposition", "DST01 受试者处置"),
    "variable": ("Variable", "变量"),
    "category": ("Category", "类别"),
    "efficacy": ("Efficacy", "疗效"),
    "rspt01": ("RSPT01 Best overall response", "RSPT01 最佳总体缓解"),
    "population": ("Population", "人群"),
    "confirmation_required": ("Responses require confirmation (RECIST 1.1 §4.4.2).",
                              "缓解需要确认（RECIST 1.1 §4.4.2）。"),
    "confirmation_not_required": ("Responses do not require confirmation.", "缓解无需确认。"),
    "orr": ("Objective response rate (CR + PR)", "客观缓解率（CR + PR）"),
    "dcr": ("Disease control rate (CR + PR + SD)", "疾病控制率（CR + PR + SD）"),
    "exact_ci": ("95% CI (Clopper–Pearson)", "95% 置信区间（Clopper–Pearson）"),
    "difference": ("Difference {first} − {second} (95% CI, Newcombe)",
                   "差值 {first} − {second}（95% 置信区间，Newcombe）"),
    "no_difference": ("No between-arm difference: the trial has one arm or an arm is empty.",
                      "无组间差值：试验只有一个组或某组为空。"),
    "no_responders": ("No responders: the objective response rate is 0.", "无缓解者：客观缓解率为 0。"),
    "no_response_population": ("No subject is in the response population.", "缓解分析人群中无受试者。"),
    "ttet01": ("TTET01 {name}", "TTET01 {name}"),
    "kmg01": ("KMG01 Kaplan–Meier plot: {name}", "KMG01 Kaplan–Meier 曲线：{name}"),
    "subjects": ("Subjects (n)", "受试者（n）"),
    "events": ("Events, n (%)", "事件，n (%)"),
    "censored": ("Censored, n (%)", "删失，n (%)"),
    "median_ci": ("Median, months (95% CI)", "中位数，月（95% 置信区间）"),
    "rate_at": ("Event-free rate at {months:g} months (95% CI)", "{months:g} 个月无事件率（95% 置信区间）"),
    "at_risk": ("at risk", "风险人数"),
    "logrank": ("Log-rank test, unstratified: χ² (df), p", "Log-rank 检验（非分层）：χ²（自由度），p"),
    "stratified_logrank": ("Log-rank test, stratified by the randomisation strata: χ² (df), p",
                           "Log-rank 检验（按随机分层因素分层）：χ²（自由度），p"),
    "hazard_ratio": ("Hazard ratio {experimental} vs {control}, Cox unstratified (95% CI), p",
                     "风险比 {experimental} 对 {control}，Cox 非分层（95% 置信区间），p"),
    "stratified_hazard_ratio": ("Hazard ratio {experimental} vs {control}, Cox stratified (95% CI), p",
                                "风险比 {experimental} 对 {control}，Cox 分层（95% 置信区间），p"),
    "ph_test": ("Proportional hazards, cox.zph global test: χ² (df), p",
                "比例风险假定，cox.zph 全局检验：χ²（自由度），p"),
    "not_computed": ("not computed", "未计算"),
    "not_reached": ("NR", "未达到"),
    "not_reached_note": ("NR: not reached.", "未达到：中位数或置信限未达到。"),
    "no_subjects_endpoint": ("No subject to analyse for this endpoint.", "该终点无可分析的受试者。"),
    "no_events": ("No events yet: medians and rates are not estimable.", "尚无事件：中位数和比率不可估计。"),
    "one_arm_only": ("Only one arm has subjects: no between-arm comparison.", "只有一个组有受试者：无组间比较。"),
    "rules_applied": ("Rules applied", "所用规则"),
    "rule": ("Rule", "规则"),
    "event": ("event", "事件"),
    "censoring": ("censoring", "删失"),
    "months": ("Months", "月"),
    "survival_probability": ("Survival probability", "生存概率"),
    "median_line": ("median", "中位数"),
    "censor_mark": ("censored", "删失"),
    "landmark": ("Primary endpoint against the design", "主要终点与设计对照"),
    "landmark_rate": ("Kaplan–Meier {months:g}-month PFS rate (95% CI)",
                      "Kaplan–Meier {months:g} 个月 PFS 率（95% 置信区间）"),
    "null_rate": ("Null rate p0", "无效假设率 p0"),
    "alternative_rate": ("Alternative rate p1", "备择假设率 p1"),
    "decision_rule": ("Decision rule", "决策规则"),
    "observed": ("Observed: {successes} alive and progression-free, {failures} progressed or died, "
                 "{pending} followed for less", "观察到：{successes} 例存活且无进展，{failures} 例进展或死亡，"
                 "{pending} 例随访不足"),
    "decision": ("Decision", "决策"),
    "decision_met": ("met", "达到"),
    "decision_not met": ("not met", "未达到"),
    "decision_not yet decided": ("not yet decided", "尚未确定"),
    "lower_above_p0": ("Lower confidence limit above p0", "置信下限高于 p0"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "local_control": ("Local control: cumulative incidence of local progression, death competing",
                      "局部控制：局部进展累积发生率（死亡为竞争风险）"),
    "local_events": ("Local progressions, n", "局部进展，n"),
    "competing": ("Deaths without local progression (competing), n", "无局部进展的死亡（竞争事件），n"),
    "cuminc_at": ("Cumulative incidence at {months:g} months (95% CI)", "{months:g} 个月累积发生率（95% 置信区间）"),
    "gray": ("Gray's test: χ² (df), p", "Gray 检验：χ²（自由度），p"),
    "cumulative_incidence": ("Cumulative incidence", "累积发生率"),
    "no_local": ("No subject with local therapy: local control is not analysed.",
                 "无接受局部治疗的受试者：不分析局部控制。"),
    "response": ("Tumour response", "肿瘤缓解"),
    "waterfall": ("Waterfall: best percent change of the target-lesion sum", "瀑布图：靶病灶直径总和的最佳变化百分比"),
    "swimmer": ("Swimmer: time on treatment and follow-up", "泳道图：治疗和随访时间"),
    "spider": ("Spider: percent change of the target-lesion sum over time", "蛛网图：靶病灶直径总和随时间的变化百分比"),
    "best_change": ("Best change from baseline (%)", "相对基线的最佳变化（%）"),
    "change": ("Change from baseline (%)", "相对基线的变化（%）"),
    "subjects_axis": ("Subjects", "受试者"),
    "on_treatment": ("on treatment", "治疗中"),
    "follow_up": ("follow-up", "随访"),
    "first_response": ("first response", "首次缓解"),
    "progression": ("progression", "进展"),
    "death": ("death", "死亡"),
    "treatment_ongoing": ("treatment ongoing", "治疗持续中"),
    "no_tumour_data": ("No post-baseline tumour measurement yet: no waterfall or spider plot.",
                       "尚无基线后的肿瘤测量：无瀑布图或蛛网图。"),
    "no_lanes": ("No subject has started treatment: no swimmer plot.", "无受试者开始治疗：无泳道图。"),
    "safety": ("Safety", "安全性"),
    "aet01": ("AET01 Overview of treatment-emergent adverse events", "AET01 治疗期出现的不良事件概述"),
    "aet02": ("AET02 Subjects with TEAEs by system organ class and term", "AET02 按系统器官分类和术语的 TEAE 受试者"),
    "aet04": ("AET04 Subjects with TEAEs by term and worst grade", "AET04 按术语和最严重等级的 TEAE 受试者"),
    "soc_term": ("System organ class / term", "系统器官分类 / 术语"),
    "term": ("Term", "术语"),
    "grade": ("Worst grade", "最严重等级"),
    "grade_3_4": ("Grade 3–4 TEAE rate (95% CI, Clopper–Pearson)",
                  "3–4 级 TEAE 发生率（95% 置信区间，Clopper–Pearson）"),
    "subset_all": ("All TEAEs", "所有 TEAE"),
    "subset_related": ("Treatment-related TEAEs", "治疗相关 TEAE"),
    "primary_subset": ("the protocol's endpoint", "方案终点"),
    "serious": ("Serious adverse events", "严重不良事件"),
    "immune_related": ("Immune-related adverse events", "免疫相关不良事件"),
    "deaths": ("Deaths", "死亡"),
    "no_aes": ("No treatment-emergent adverse event recorded.", "未记录治疗期出现的不良事件。"),
    "none_listed": ("None.", "无。"),
    "subject": ("Subject", "受试者"),
    "arm": ("Arm", "组别"),
    "soc": ("System organ class", "系统器官分类"),
    "start": ("Onset", "开始日期"),
    "date": ("Date", "日期"),
    "cause": ("Cause", "原因"),
    "related": ("Related", "相关"),
    "notes": ("Endpoints, rules and warnings", "终点、规则和警告"),
    "endpoints": ("Endpoints as the protocol defines them", "方案定义的终点"),
    "derivation_rules": ("Derivation rules", "衍生规则"),
    "set_definition": ("Definition", "定义"),
    "closed_only": ("By-arm efficacy is in the closed report.", "按组别的疗效结果见非公开报告。"),
    "pooled_note": ("Open report: numbers are pooled over all arms.", "公开报告：数字为所有组的汇总。"),
    "statistic": ("Statistic", "统计量"),
    "estimate": ("Estimate", "估计值"),
    "download": ("Download", "下载"),
    "results_pages": ("Results", "结果"),
}

TERMS: dict[str, str] = {
    "Total": "合计", "n": "n", "Mean (SD)": "均值（标准差）", "Median": "中位数", "Min, Max": "最小值，最大值",
    "Age (years)": "年龄（岁）", "Sex": "性别", "Site": "中心", "F": "女", "M": "男",
    "female": "女", "male": "男", "missing": "缺失",
    "Treatment": "治疗", "On treatment": "治疗中", "Treatment discontinued": "已停止治疗",
    "Not treated": "未治疗", "Reason for discontinuing treatment": "停止治疗原因",
    "Study status": "研究状态", "In follow-up": "随访中", "Withdrawn": "已退出", "Died": "死亡",
    "Reason for withdrawal": "退出原因", "not stated": "未说明",
    "CR": "完全缓解（CR）", "PR": "部分缓解（PR）", "SD": "疾病稳定（SD）", "NON-CR/NON-PD": "非CR/非PD",
    "PD": "疾病进展（PD）", "NE": "不可评估（NE）", "NO_ASSESSMENT": "无评估",
    "Any TEAE": "任何 TEAE", "Treatment-related TEAE": "治疗相关 TEAE", "Grade ≥ 3 TEAE": "≥3 级 TEAE",
    "Grade 3–4 TEAE": "3–4 级 TEAE", "Fatal (grade 5) TEAE": "致死性（5 级）TEAE",
    "Serious TEAE": "严重 TEAE", "TEAE leading to discontinuation": "导致停药的 TEAE",
    "Immune-related TEAE": "免疫相关 TEAE",
    "Progression-free survival": "无进展生存期", "Overall survival": "总生存期",
    "Duration of response": "缓解持续时间",
}


def translator(lang: str) -> Callable[..., str]:
    """The `t(key, **values)` of one language: the label, formatted with `values`.

    >>> translator("zh-hans")("total")
    '合计'
    """
    column = _column(lang)

    def t(key: str, **values) -> str:
        text = LABELS[key][column]
        return text.format(**values) if values else text

    return t


def term_translator(lang: str) -> Callable[[str], str]:
    """A domain table label in the language (the English text when the catalogue lacks it)."""
    if _column(lang) == 0:
        return lambda text: text
    return lambda text: TERMS.get(text, text)


def _column(lang: str) -> int:
    if lang not in LANGUAGES:
        raise InvalidInput(f"report language {lang!r} is not known; allowed: {', '.join(LANGUAGES)}",
                           field="lang", hint="en or zh-hans")
    return LANGUAGES.index(lang)
