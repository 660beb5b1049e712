"""Statistical warnings that carry a code and their parameters beside the English sentence, so a
report can say them in another language (oncotrial.reports.messages translates by code) while
every other reader — the JSON, the tests, the exports — still sees the plain English text."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class AnalysisWarning(str):
    """A warning: its English text (it is that `str`), a stable `code` and the `params` the
    sentence was made from (endpoint, arm, count, the statistics layer's own `detail`...).

    >>> w = note("no_responders", "A: no responders (ORR 0 of 4)", arm="A", n=4)
    >>> w == "A: no responders (ORR 0 of 4)", w.code, w.params["n"]
    (True, 'no_responders', 4)
    """

    code: str
    params: Mapping[str, object]

    def __new__(cls, code: str, text: str, params: Mapping[str, object] | None = None):
        value = super().__new__(cls, text)
        value.code = code
        value.params = MappingProxyType(dict(params or {}))
        return value

    def __reduce__(self):
        return (AnalysisWarning, (self.code, str(self), dict(self.params)))


def note(code: str, text: str, **params) -> AnalysisWarning:
    """A coded warning: `note("tte_empty", "PFS: no subject to analyse", endpoint="PFS")`.

    >>> note("one_arm", "only one arm").code
    'one_arm'
    """
    return AnalysisWarning(code, text, params)
