"""Tables and nothing more: rules live in ``oncotrial.domain``, writes in ``oncotrial.web.services``."""

from oncotrial.web.models.accounts import Membership, Role, Site
from oncotrial.web.models.audit import AuditChainHead, AuditEvent
from oncotrial.web.models.events import EventKind, SubjectEvent
from oncotrial.web.models.randomization import AllocationState, Randomization
from oncotrial.web.models.studies import ProtocolVersion, Study, StudySite
from oncotrial.web.models.subjects import (
    Consent,
    Enrolment,
    ScreeningRecord,
    Subject,
    SubjectStatus,
)
from oncotrial.web.models.tokens import ApiToken

__all__ = [
    "AllocationState", "ApiToken", "AuditChainHead", "AuditEvent", "Consent", "Enrolment", "EventKind",
    "Membership", "ProtocolVersion", "Randomization", "Role",
    "ScreeningRecord", "Site", "Study", "StudySite", "Subject", "SubjectEvent", "SubjectStatus",
]
