"""Browser fixtures (reusable by the eCRF tests): a live server on the test database and a Playwright
page driving Debian's Chromium (/usr/bin/chromium; no browser is ever downloaded). Screenshots go
to ``artifacts/`` at the repository root (git-ignored, kept by CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oncotrial.web.testing import build_cast, lift_audit_triggers_for_flush, restore_audit_triggers

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary blocking calls, so Django's async-safety guard is lifted here only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_page():
    """A fresh Chromium page (1280x900), closed after the test."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page.set_default_timeout(20000)
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def live_cast(live_server, settings):
    """The web test cast, committed to the database the live server reads."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    restore_audit_triggers()
    cast = build_cast()
    yield cast
    lift_audit_triggers_for_flush()
