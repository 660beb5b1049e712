"""Run by test_randomization_concurrency in separate processes against a SQLite file:
``setup N`` builds the cast and N enrolled subjects; ``randomize ID:MARGIN:TIMING ...`` randomizes them.
Each prints one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncotrial.web.settings")


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    if argv[0] == "setup":
        print(json.dumps(setup(int(argv[1]))))
    else:
        print(json.dumps(randomize(argv[1:])))


def setup(n: int) -> list[int]:
    from django.core.management import call_command

    from oncotrial.web.services import subjects
    from oncotrial.web.testing import build_cast

    call_command("migrate", verbosity=0)
    cast = build_cast()
    day = dt.date(2025, 3, 3)
    facts = {"age_years": 60, "sex": "male", "crlm_confirmed": True, "metastasis_timing": "synchronous",
             "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 0, "anc": 2.0,
             "platelets": 150, "extrahepatic_disease": False, "prior_anti_pd1": False}
    ids = []
    for _ in range(n):
        subject = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=day)
        subjects.record_consent(cast.coordinator_a, subject, form_version="1", signed_on=day, signer="x")
        subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=day, answers=facts)
        subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=day)
        ids.append(subject.pk)
    return ids


def randomize(items: list[str]) -> list:
    from django.contrib.auth import get_user_model
    from django.db import OperationalError

    from oncotrial.web.models import Subject
    from oncotrial.web.services.randomization import randomize_subject

    user = get_user_model().objects.get(username="coa")
    done = []
    for item in items:
        subject_id, margin, timing = item.split(":")
        for attempt in range(50):
            try:
                result = randomize_subject(user, Subject.objects.get(pk=int(subject_id)),
                                           factors={"margin": margin, "timing": timing})
                done.append([int(subject_id), result.sequence])
                break
            except OperationalError:  # "database is locked" after the busy timeout: try again
                time.sleep(0.05 * (attempt + 1))
    return done


if __name__ == "__main__":
    main(sys.argv[1:])
