"""axe-core in Chromium: no serious or critical violations on the pages patients use."""

import pytest

from tests.factories import make_institute, make_specialist

from .conftest import DESKTOP, PHONE, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_key_pages_pass_axe_at_phone_and_desktop_widths(live_server, page_at):
    institute = make_institute(name="Midtown Spine Institute", opening_hours="Mo-Fr 08:00-17:00")
    specialist = make_specialist(first_name="Ada", last_name="Alvarez", institute=institute)
    make_specialist(first_name="Ben", last_name="Brooks", latitude=40.76, longitude=-73.98)
    # Enough Spanish-speaking specialists who take Medicare for a second page, a map with
    # numbered markers, the filters in use and step 2's list of who receives the request.
    for n in range(12):
        make_specialist(
            last_name=f"Vega{n}",
            languages="en;es",
            insurance=("medicare",),
            telehealth=n % 2 == 0,
            latitude=40.70 + n * 0.02,
            longitude=-74.02 + n * 0.015,
        )
    paths = [
        "/",
        "/conditions/failed-back-surgery-syndrome/",
        "/treatments/spinal-cord-stimulation/",
        "/find/?zip=10001&treatment=spinal-cord-stimulation",
        "/find/?zip=99546",
        "/find/?zip=00000",
        "/find/?zip=New+York%2C+NY&language=es&accepting=true&insurance=medicare&telehealth=true",
        "/find/?zip=10001&sort=name&page=2",
        "/find/?zip=Sprngfield",
        specialist.get_absolute_url(),
        institute.get_absolute_url(),
    ]
    problems = {}
    for viewport in (PHONE, DESKTOP):
        page = page_at(viewport)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status in (200, 400), path
            # The audit means something only with the site's stylesheet applied.
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(246, 248, 249)", path
            found = serious_violations(page)
            if found:
                problems[f"{viewport['width']}px {path}"] = found
    assert problems == {}


def test_spanish_pages_pass_axe_and_switch_language(live_server, page_at):
    institute = make_institute(name="Midtown Spine Institute", opening_hours="Mo-Fr 08:00-17:00")
    specialist = make_specialist(
        first_name="Ada",
        last_name="Alvarez",
        institute=institute,
        languages="en;es",
        telehealth=True,
        gender="F",
        insurance=("medicare", "workers-compensation", "self-pay"),
    )
    for n in range(11):
        make_specialist(
            last_name=f"Vega{n}",
            specialty="Physical medicine and rehabilitation",
            languages="en;es",
            insurance=("medicare",),
            accepting_new_patients=n % 4 != 0,
            latitude=40.70 + n * 0.02,
            longitude=-74.02 + n * 0.015,
        )
    paths = [
        "/es/",
        "/es/conditions/failed-back-surgery-syndrome/",
        "/es/treatments/spinal-cord-stimulation/",
        "/es/find/?zip=10001&language=es&insurance=medicare&specialty=rehabilitation",
        "/es/find/?zip=10001&sort=name&page=2",
        "/es/find/?zip=10001&treatment=discectomy&accepting=true",
        "/es/find/?zip=00000",
        f"/es{specialist.get_absolute_url()}",
        f"/es{institute.get_absolute_url()}",
    ]
    problems = {}
    for viewport in (PHONE, DESKTOP):
        page = page_at(viewport)
        for path in paths:
            assert page.goto(f"{live_server.url}{path}").status in (200, 400), path
            assert page.evaluate("document.documentElement.lang") == "es"
            found = serious_violations(page)
            if found:
                problems[f"{viewport['width']}px {path}"] = found
    assert problems == {}
    # The header's switch, a plain link, leads to the same page in English.
    page.get_by_role("link", name="English").click()
    assert page.url == f"{live_server.url}{institute.get_absolute_url()}"
    assert page.evaluate("document.documentElement.lang") == "en"
