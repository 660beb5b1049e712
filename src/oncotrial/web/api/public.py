from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from oncotrial.web.api import responses as r
from oncotrial.web.api.responses import answers
from oncotrial.web.models import Study
from oncotrial.web.services.public import public_study_info

router = Router(tags=["public"])


@router.get("/studies/{code}", auth=None, response=answers(r.PublicStudyOut),
            summary="Public study information (no login)")
def public_study(request, code: str):
    return public_study_info(get_object_or_404(Study, code=code))
