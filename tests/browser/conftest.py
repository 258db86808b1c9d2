import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session", autouse=True)
def _leave_the_test_database_as_migrated(django_db_setup, django_db_blocker):
    """Live-server tests commit, so Django flushes every table after each of them and
    restores the migrated rows (catalog, content, groups) only when the NEXT test starts.
    Restore them after the last one too, or a reused test database would start the next
    session without its catalog."""
    yield
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def browser():
    """A headless Debian Chromium (`scripts/browser-up` installs it), started on first use.

    Function-scoped on purpose: while Playwright's sync API runs, this thread has an event
    loop, and Django then hands out different database connections. Started after a test
    has built its data and stopped before the test's database teardown, it never hides the
    test connection from Django's flush and restore.
    """
    assert Path(CHROMIUM).exists(), "run scripts/browser-up to install Debian's chromium"
    # The test body still reads the database (the lead, the outbox) while the browser runs.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_at(request):
    """``page_at(viewport)`` opens a page in a fresh context, starting the browser on first
    call; closing the browser at the test's end closes them all."""

    def open_page(viewport=PHONE, **options):
        context = request.getfixturevalue("browser").new_context(viewport=viewport, **options)
        context.set_default_timeout(10_000)
        return context.new_page()

    return open_page


def step_two_send(page, *, first_name: str, last_name: str, email: str, phone: str) -> None:
    """Fill step 2's contact fields, agree, and send the request."""
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_label("I agree that").check()
    page.get_by_role("button", name="Send my request").click()


def serious_violations(page) -> list[str]:
    # Evaluated through the browser's devtools protocol, which the page's CSP does not
    # govern; an injected <script> tag would be refused like any other inline script.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
