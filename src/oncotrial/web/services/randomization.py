"""Randomization over the domain core (``oncotrial.domain.conduct.randomization.allocate``), safe under
concurrency on both backends and concealed.

The study's allocation state is one row. An allocation locks it (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions begin IMMEDIATE and so already hold the write lock), computes the next
allocation with an rng seeded from the study's concealed seed and the allocation count, and writes the
new state back only where the count is still the one it read (a conditional update), so two
processes can never hand out the same place in a block nor lose one.
"""

from __future__ import annotations

import secrets

import numpy as np
from django.db import transaction
from django.utils import timezone

from oncotrial.domain.conduct.randomization import (
    SITE_FACTOR,
    RandomizationState,
    allocate,
    check_subject_factors,
)
from oncotrial.errors import Conflict, PermissionDenied
from oncotrial.web.models import AllocationState, Randomization, Subject, SubjectStatus
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import SITE_STAFF, can_see_allocations, require_role


def create_allocation_state(study, seed: int | None = None) -> AllocationState:
    """The empty allocation state of a randomized study, with a fresh concealed 64-bit seed (the
    demo passes its own so that it is reproducible)."""
    seed = secrets.randbits(64) if seed is None else seed
    return AllocationState.objects.create(study=study, seed=str(seed), allocated=0,
                                          state={}, updated_at=timezone.now())


def _lock_state(study) -> AllocationState:
    row = AllocationState.objects.select_for_update().filter(study=study).first()
    return row if row is not None else create_allocation_state(study)


def allocation_rng(seed: str, allocated: int) -> np.random.Generator:
    """The rng for allocation number ``allocated + 1``: reproducible from the concealed seed, so an
    auditor holding the seed can replay every allocation."""
    return np.random.default_rng([int(seed), allocated])


@transaction.atomic
def randomize_subject(user, subject: Subject, *, factors: dict, how: str = "page",
                      randomized_at=None) -> Randomization:
    """Allocate an enrolled subject to an arm; ``factors`` gives the stratification levels.

    ``randomized_at`` (back-entry of a historical allocation) is accepted only from imports and the
    system (the demo); pages and the API always stamp the current time.
    """
    if randomized_at is not None and how not in ("import", "system"):
        raise PermissionDenied("a randomization time can only be given by an import or the system")
    subject = Subject.objects.select_for_update().select_related("study", "site").get(pk=subject.pk)
    study = subject.study
    membership = require_role(user, study, subject.site, SITE_STAFF, "randomize subjects")
    version = study.current_version()
    spec = version.protocol.randomization
    if not version.protocol.is_randomized:
        raise Conflict(f"study {study.code} is not randomized; subjects get their arm at enrolment",
                       field="study")
    if Randomization.objects.filter(subject=subject).exists():
        raise Conflict(f"subject {subject.identifier} is already randomized", field="subject")
    if subject.status != SubjectStatus.ENROLLED:
        raise Conflict(f"subject {subject.identifier} is {subject.status}; only enrolled subjects are "
                       "randomized", field="subject", hint="enrol the subject first")
    factors = {key: str(value) for key, value in factors.items() if key != SITE_FACTOR}
    if spec.stratify_by_site:
        factors[SITE_FACTOR] = subject.site.code
    check_subject_factors(spec, factors)
    allocation, new_state = _allocate_locked(study, spec, factors)
    randomization = Randomization.objects.create(
        subject=subject, study=study, sequence=allocation.sequence, arm=allocation.arm,
        method=allocation.method, stratum=allocation.stratum, factors=factors,
        details=allocation.to_dict(), randomized_at=randomized_at or timezone.now(), randomized_by=user,
        protocol_version=version)
    subject.status = SubjectStatus.RANDOMIZED
    subject.save(update_fields=["status"])
    record_audit(user=user, role=membership.role, action="randomize", how=how, entity="randomization",
                 entity_id=randomization.pk, study=study, site=subject.site, subject=subject,
                 changes=[{"field": "arm", "old": None, "new": allocation.arm},
                          {"field": "sequence", "old": None, "new": allocation.sequence},
                          {"field": "factors", "old": None, "new": factors},
                          {"field": "status", "old": SubjectStatus.ENROLLED, "new": SubjectStatus.RANDOMIZED}])
    return randomization


def _allocate_locked(study, spec, factors):
    row = _lock_state(study)
    state = RandomizationState.from_dict(row.state) if row.state else None
    allocation, new_state = allocate(spec, state, factors, allocation_rng(row.seed, row.allocated))
    written = AllocationState.objects.filter(pk=row.pk, allocated=row.allocated).update(
        allocated=row.allocated + 1, state=new_state.to_dict(), updated_at=timezone.now())
    if written != 1:
        raise Conflict("another randomization in this study finished first; nothing was saved",
                       hint="submit again")
    return allocation, new_state


def upcoming_allocations(user, study) -> list[dict]:
    """The rest of each stratum's current block: what the next subjects will get.

    Concealed: only the unblinded statistician and the administrator may see it.
    """
    if not can_see_allocations(user, study):
        raise PermissionDenied(f"{user.username} may not see upcoming allocations in study {study.code}; "
                               "allowed roles: administrator, unblinded_statistician")
    row = AllocationState.objects.filter(study=study).first()
    if row is None or not row.state:
        return []
    state = RandomizationState.from_dict(row.state)
    return [{"stratum": block.stratum, "blocks_started": block.blocks_started,
             "block_size": len(block.block), "position": block.position,
             "upcoming": list(block.block[block.position:])} for block in state.blocks]
