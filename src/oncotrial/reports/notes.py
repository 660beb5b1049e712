"""The domain's warnings and analysis-set names in the report's language.

A warning of `oncotrial.domain.analysis` is an `AnalysisWarning`: its English text plus a code and
parameters. The Chinese report says it from `WARNINGS[code]`; a parameter that is itself a sentence
of the statistics layer (`detail`) is said from `DETAILS` (its known sentences, by pattern) and kept
in English only when no pattern knows it. Set names (the protocol's wording) come from `SET_NAMES`.
"""

from __future__ import annotations

import re

WARNINGS: dict[str, str] = {
    "tte_empty": "{endpoint}：无可分析的受试者",
    "statistic": "{endpoint}：{detail}",
    "median_not_reached": "{endpoint}，{arm}：中位数未达到",
    "not_computed": "{statistic}未计算：{detail}",
    "degenerate": "{statistic}未计算：数据退化（{detail}）",
    "ph_rejected": "{endpoint}：cox.zph 拒绝比例风险假定（p = {p}）；风险比应理解为平均效应",
    "tte_one_arm": "{endpoint}：只有一个组有受试者；无组间比较",
    "response_empty_arm": "{arm}：缓解分析人群中无受试者",
    "no_responders": "{arm}：无缓解者（ORR 0/{n}）",
    "safety_empty_arm": "{arm}：安全性集中无受试者",
    "no_aes": "未记录治疗期出现的不良事件",
    "simon_not_computed": "Simon 设计未计算：{detail}",
    "landmark_not_estimable": "{months:g} 个月比率尚不可估计",
    "local_empty_arm": "局部控制：{arm} 组无接受局部治疗的受试者",
    "local_empty": "局部控制：无接受局部治疗的受试者",
    "local_statistic": "局部控制：{detail}",
    "local_no_gray": "局部控制：无局部进展，因此无 Gray 检验",
    "local_no_progression": "局部控制：未观察到局部进展",
    "set_empty": "{set}在此截止日期为空：无可分析内容",
    "one_arm": "分析集中只有一个组有受试者：无组间比较",
    "set_note": "{detail}",
}

STATISTICS = {"log-rank test": "Log-rank 检验", "stratified log-rank test": "分层 Log-rank 检验",
              "Cox model": "Cox 模型", "cox.zph test": "cox.zph 检验", "stratified Cox model": "分层 Cox 模型"}

DETAILS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"^(?P<arm>.+): fewer than 10 events \((?P<n>\d+)\); estimates are imprecise$",
     "{arm}：事件少于 10 例（{n}）；估计不精确"),
    (r"^(?P<arm>.+): no events; S\(t\) = 1 throughout$", "{arm}：无事件；S(t) 始终为 1"),
    (r"^fewer than 10 events \((?P<n>\d+)\): the chi-square approximation is poor$",
     "事件少于 10 例（{n}）：卡方近似不可靠"),
    (r"^fewer than 10 events \((?P<n>\d+)\): hazard ratios are unreliable$", "事件少于 10 例（{n}）：风险比不可靠"),
    (r"^fewer than 10 events per term \((?P<n>\d+) events, (?P<k>\d+) terms\)$",
     "每项事件少于 10 例（{n} 例事件，{k} 项）"),
    (r"^(?P<term>.+): one side has no events; the hazard ratio drifts towards 0 or infinity$",
     "{term}：一方无事件；风险比趋向 0 或无穷大"),
    (r"^no events: nothing to compare$", "无事件：无可比较"),
    (r"^the Cox model did not converge in (?P<n>\d+) iterations$", "Cox 模型在 {n} 次迭代内未收敛"),
    (r"^Singular matrix$", "奇异矩阵"),
    (r"^no events: a Cox model needs at least one event$", "无事件：Cox 模型至少需要一个事件"),
    (r"^proportional hazards rejected globally \(p = (?P<p>[^)]+)\)$", "全局比例风险假定被拒绝（p = {p}）"),
    (r"^(?P<group>.+), cause (?P<cause>.+): fewer than 10 events \((?P<n>\d+) .*$",
     "{group}，原因 {cause}：事件少于 10 例（{n}）"),
))

SET_NAMES = {"Intention-to-treat set": "意向治疗集", "Full analysis set": "全分析集", "Safety set": "安全性集",
             "Per-protocol set": "符合方案集", "Efficacy-evaluable set": "疗效可评估集",
             "Response-evaluable set": "可评估缓解集"}
POPULATION = re.compile(r"^(?P<responders>responders of )?(?P<name>.+) \(N = (?P<n>\d+)\)$")


def say_detail(text: str, lang: str) -> str:
    """A sentence of the statistics layer in the language (English when no pattern knows it)."""
    if lang == "en":
        return text
    for pattern, zh in DETAILS:
        found = pattern.match(text)
        if found:
            return zh.format(**found.groupdict())
    return text


def say_warning(warning: str, lang: str) -> str:
    """A domain warning in the language: the English text, or the code's template with its
    parameters (a plain string without a code stays as it is).

    >>> from oncotrial.domain.analysis.notes import note
    >>> say_warning(note("no_responders", "A: no responders (ORR 0 of 4)", arm="A", n=4), "zh-hans")
    'A：无缓解者（ORR 0/4）'
    """
    code = getattr(warning, "code", None)
    if lang == "en" or code not in WARNINGS:
        return str(warning)
    params = dict(warning.params)
    if "detail" in params:
        params["detail"] = say_detail(str(params["detail"]), lang)
    if "statistic" in params:
        endpoint, _, name = str(params["statistic"]).rpartition(": ")
        params["statistic"] = (f"{endpoint}：" if endpoint else "") + STATISTICS.get(name, name)
    if "set" in params:
        params["set"] = set_name(str(params["set"]), lang)
    params.setdefault("endpoint", "")
    return WARNINGS[code].format(**params)


def set_name(name: str, lang: str) -> str:
    """An analysis set's name in the language ("Safety set" → 安全性集; "(platform default)" kept
    as 平台默认).

    >>> set_name("Intention-to-treat set (platform default)", "zh-hans")
    '意向治疗集（平台默认）'
    """
    if lang == "en":
        return name
    base, default = (name[:-len(" (platform default)")], True) if name.endswith(" (platform default)") \
        else (name, False)
    return SET_NAMES.get(base, base) + ("（平台默认）" if default else "")


def population(text: str, lang: str) -> str:
    """A population label of the results ("Intention-to-treat set (N = 51)", "responders of …").

    >>> population("responders of Safety set (N = 4)", "zh-hans")
    '安全性集（N = 4）中的缓解者'
    """
    found = POPULATION.match(text)
    if lang == "en" or not found:
        return text
    named = f"{set_name(found['name'], lang)}（N = {found['n']}）"
    return f"{named}中的缓解者" if found["responders"] else named
