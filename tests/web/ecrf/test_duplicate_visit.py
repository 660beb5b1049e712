"""A second tumour assessment for the same visit is refused as a conflict naming the visit; nothing is
written."""

import pytest

from oncotrial.errors import Conflict
from oncotrial.web.ecrf import models as m
from oncotrial.web.models import AuditEvent

from .conftest import enrolled_subject_a, enter_baseline

pytestmark = pytest.mark.django_db


def test_a_second_assessment_for_a_visit_is_a_conflict_and_writes_nothing(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject)
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="already has a tumour assessment for visit BL") as error:
        enter_baseline(cast.coordinator_a, subject, sizes=(40, 20))
    assert error.value.status == 409 and error.value.field == "visit"
    assert m.TumourAssessment.objects.filter(subject=subject).count() == 1
    assert AuditEvent.objects.count() == audit_rows
