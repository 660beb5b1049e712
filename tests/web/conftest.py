"""Shared fixtures for web tests (reusable by the eCRF tests): ``cast`` (study ``crlm-sbrt-sintilimab``,
randomized) and ``single_arm_cast`` (``crlm-mwa-camrelizumab``), each with sites 01 and 02 and the cast
described in :mod:`oncotrial.web.testing`; ``audit_flushable`` for tests that commit."""

from __future__ import annotations

import pytest

from oncotrial.web.testing import (  # noqa: F401  (re-exported for the test modules)
    CAST,
    PASSWORD,
    STUDY_START,
    Cast,
    build_cast,
    lift_audit_triggers_for_flush,
    restore_audit_triggers,
    tamper_with_audit,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 stays first in production settings (tested); tests hash with MD5 to stay fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db) -> Cast:
    """Study ``crlm-sbrt-sintilimab`` (randomized 1:1, stratified) with two sites and the cast."""
    return build_cast()


@pytest.fixture
def single_arm_cast(db) -> Cast:
    """Study ``crlm-mwa-camrelizumab`` (single arm, not randomized) with two sites and the cast."""
    return build_cast("crlm-mwa-camrelizumab")


@pytest.fixture
def audit_flushable(transactional_db):
    """For tests that commit (live server, many processes): lets Django empty the tables afterwards."""
    restore_audit_triggers()
    yield
    lift_audit_triggers_for_flush()
