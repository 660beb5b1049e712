"""The draft protocol as YAML for the trial team: every unfilled field listed as a comment at the
top, and the checks that tell which fields are still missing once the team has filled it in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from oncotrial.domain.protocol.registry_record import ImportedDraft, UnfilledField

FORMAT_NAMES = {"json": "ClinicalTrials.gov API v2 study JSON", "csv": "ClinicalTrials.gov CSV export"}


UNFILLED_LINE = re.compile(r"^# unfilled: (\S+) \| (.*)$")


def render_draft_yaml(draft: ImportedDraft) -> str:
    """The draft as YAML, its header comment listing every unfilled field and every note.

    The ``# unfilled: PATH | reason`` lines are what :func:`check_draft` reads back.
    """
    import yaml

    lines = [f"# Draft protocol imported from {draft.source} ({FORMAT_NAMES[draft.format]}).",
             "# Registry facts are copied as written; nothing the record does not state was filled in.",
             "# Complete every field listed below, then run `oncotrial protocols validate FILE`:",
             "# it names each field that is still missing. A draft does not load until it is complete.",
             "#"]
    # one line each: a newline inside a registry value would end the comment
    lines += [f"# unfilled: {u.path} | {' '.join(u.reason.split())}" for u in draft.unfilled]
    lines += [f"# note: {' '.join(note.split())}" for note in draft.notes]
    body = yaml.safe_dump(dict(draft.data), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def check_draft(text: str, data) -> list[tuple[str, str]]:
    """(path, problem) for each field a draft still lacks: header ``unfilled`` entries not yet filled
    and required protocol fields absent. Empty when the draft is complete enough to load."""
    problems = [(u.path, f"still missing ({u.reason})") for u in _header_unfilled(text)
                if not is_filled(data, u.path)]
    seen = {path for path, _ in problems}
    problems += [(path, "is required") for path in find_missing_fields(data) if path not in seen]
    return problems


def _header_unfilled(text: str) -> list[UnfilledField]:
    found = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = UNFILLED_LINE.match(line)
        if match:
            found.append(UnfilledField(match.group(1), match.group(2)))
    return found


def is_filled(data, path: str) -> bool:
    """Whether ``path`` (``interventions.sintilimab.regimens``, ``arms.a.starts[0].anchor``) is
    written in ``data``; a list item is addressed by its ``id`` or by ``[index]``. An explicit null
    counts: ``max_sessions: null`` is the team's decision that there is no limit."""
    value = data
    for segment in path.split("."):
        name, *indices = re.findall(r"[^\[\]]+", segment)
        if isinstance(value, list):
            value = next((item for item in value if isinstance(item, Mapping) and item.get("id") == name),
                         None)
            if value is None:
                return False
        elif isinstance(value, Mapping) and name in value:
            value = value[name]
        else:
            return False
        for index in indices:
            if not isinstance(value, list) or int(index) >= len(value):
                return False
            value = value[int(index)]
    return True


def find_missing_fields(data) -> list[str]:
    """Paths of the required fields of :class:`~oncotrial.domain.protocol.model.Protocol` that ``data``
    lacks, all of them at once (``load_protocol`` stops at the first problem)."""
    from oncotrial.domain.protocol.model import Protocol

    return _missing(Protocol, data, "")


def _missing(cls, data, path: str) -> list[str]:
    import dataclasses
    import typing

    if not isinstance(data, Mapping):
        return [] if path else ["(top level)"]
    hints, found = typing.get_type_hints(cls), []
    for f in dataclasses.fields(cls):
        here = f"{path}.{f.name}" if path else f.name
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                found.append(here)
            continue
        inner = [a for a in (typing.get_args(hints[f.name]) or (hints[f.name],)) if a is not type(None)]
        if typing.get_origin(hints[f.name]) is tuple:
            if dataclasses.is_dataclass(inner[0]) and isinstance(data[f.name], list):
                for i, item in enumerate(data[f.name]):
                    found += _missing(inner[0], item, f"{here}[{i}]")
        elif dataclasses.is_dataclass(inner[0]):
            found += _missing(inner[0], data[f.name], here)
    return found
