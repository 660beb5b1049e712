"""Derived results computed once per data change and kept in the database cache (issue 14).

A results read (the results pages, their API twin, the report downloads) derives every subject's
outcomes and the whole analysis: 0.2-0.7 s idle, over 20 s under write load. The derivation is a
function of the study's data, and every change to that data is an audited write naming the study
(the hash-chained trail, ``services.audit``). So an entry remembers the audit sequence it was
computed at and the sequence it is known valid through; a read looks only at the audit rows after
that (one indexed range) and derives again only if one of them changes the study. Nothing is done on
the write path, and nothing lives in process memory: the entries are rows of Django's database cache
(settings.CACHES, table ``oncotrial_cache``), shared by every worker and host.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache

from oncotrial import __version__
from oncotrial.web.models import AuditChainHead, AuditEvent

# Audit actions that change no study data: reading results, exporting, signing in and out.
READ_ACTIONS = ("export", "login", "logout", "login_failed", "signature_failed", "signature_locked")


def audit_head() -> int:
    """The last committed audit sequence (0 before the first row)."""
    return AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first() or 0


def changed_since(study_code: str, after: int, through: int, unread: tuple[str, ...] = ()) -> bool:
    """Whether an audit row in (after, through] changes the study's data, other than the
    entities in `unread` (those the derivation does not read)."""
    if through <= after:
        return False
    return (AuditEvent.objects.filter(sequence__gt=after, sequence__lte=through, study_code=study_code)
            .exclude(action__in=READ_ACTIONS).exclude(entity__in=unread).exists())


def cached_derivation(study, name: str, parameters: tuple, compute: Callable[[], object], *,
                      unread: tuple[str, ...] = ()):
    """``compute()``'s value for `study`, derived again only when the study's data changed.

    `name` and `parameters` (e.g. the cut-off and analysis set) name the derivation; the software
    version and the protocol version are part of the key, so an upgrade or amendment derives anew.
    `unread` names audited entities the derivation never reads (their writes, and their SDV rows,
    keep the entry); an entity left out of it only costs a needless derivation.
    """
    version = study.current_version()
    key = ":".join(str(part) for part in ("derived", name, __version__, study.pk, version.pk, *parameters))
    head = audit_head()
    state = cache.get(key)
    if state is not None and not changed_since(study.code, state["through"], head, unread):
        value = cache.get(f"{key}:{state['computed']}")
        if value is not None:
            if head > state["through"]:
                cache.set(key, {"computed": state["computed"], "through": head})
            return value
    # Derived from data at least as new as `head`: writes committed later carry larger sequences.
    value = compute()
    cache.set(f"{key}:{head}", value)
    cache.set(key, {"computed": head, "through": head})
    return value
