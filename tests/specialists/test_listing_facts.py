"""Every listing fact carries the day it was confirmed and by whom: the CSV import and the
admin date what they write, the admin lists what went stale, and a weekly digest tells the
network team."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leads.digest import directory_digest_owe
from leads.models import OutboundMessage
from specialists.models import BoardCertification, Specialist
from tests.factories import make_specialist

from .conftest import provider_row
from .test_admin import CHANGELIST, _change_form_data

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.date(2020, 1, 1)
FACT_DATES = [
    "accepting_verified_on",
    "treatments_verified_on",
    "address_verified_on",
]


def _today():
    return timezone.localdate()


def _dates(specialist) -> dict:
    specialist.refresh_from_db()
    return {name: getattr(specialist, name) for name in FACT_DATES}


def _age_everything(specialist) -> None:
    Specialist.objects.filter(pk=specialist.pk).update(
        **dict.fromkeys(FACT_DATES, LONG_AGO),
        accepting_verified_source="import",
        treatments_verified_source="import",
        address_verified_source="import",
    )
    BoardCertification.objects.filter(specialist=specialist).update(
        verified_on=LONG_AGO, verified_source="import"
    )


def test_the_csv_import_dates_the_facts_it_writes(run_import):
    run_import([provider_row(1)])
    specialist = Specialist.objects.get()
    assert _dates(specialist) == dict.fromkeys(FACT_DATES, _today())
    assert specialist.address_verified_source == "import"
    certification = specialist.certifications.get()
    assert (certification.verified_on, certification.verified_source) == (_today(), "import")

    # The same file again writes nothing, so nothing is dated again.
    _age_everything(specialist)
    run_import([provider_row(1)])
    assert _dates(specialist) == dict.fromkeys(FACT_DATES, LONG_AGO)

    # A changed fact is dated; the others keep their dates.
    run_import([provider_row(1, accepting_new_patients="no", boards="ABOS:2032-12-31")])
    assert _dates(specialist) == {
        "accepting_verified_on": _today(),
        "treatments_verified_on": LONG_AGO,
        "address_verified_on": LONG_AGO,
    }
    assert specialist.certifications.get().verified_on == _today()


def test_admin_edits_date_what_they_change(admin_client):
    specialist = make_specialist(boards=())
    _age_everything(specialist)
    url = reverse("admin:specialists_specialist_change", args=[specialist.pk])

    response = admin_client.post(
        url,
        _change_form_data(
            specialist,
            accepting_new_patients="",
            **{
                "certifications-TOTAL_FORMS": "1",
                "certifications-0-board": "1",
                "certifications-0-expires_on": "2031-01-31",
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    specialist.refresh_from_db()
    assert (specialist.accepting_verified_on, specialist.accepting_verified_source) == (
        _today(),
        "admin",
    )
    assert specialist.address_verified_on == LONG_AGO
    certification = specialist.certifications.get()
    assert (certification.verified_on, certification.verified_source) == (_today(), "admin")


def test_confirm_action_dates_every_fact(admin_client):
    specialist = make_specialist()
    _age_everything(specialist)

    admin_client.post(CHANGELIST, {"action": "confirm_facts", "_selected_action": [specialist.pk]})

    assert _dates(specialist) == dict.fromkeys(FACT_DATES, _today())
    assert specialist.treatments_verified_source == "admin"
    assert specialist.certifications.get().verified_on == _today()
    assert specialist.stale_facts() == []


def test_stale_filter_lists_facts_older_than_the_setting(admin_client):
    fresh, old, never = make_specialist(), make_specialist(), make_specialist()
    Specialist.objects.filter(pk=fresh.pk).update(**dict.fromkeys(FACT_DATES, _today()))
    BoardCertification.objects.filter(specialist=fresh).update(verified_on=_today())
    _age_everything(old)
    Specialist.objects.filter(pk=old.pk).update(address_verified_on=_today())

    def listed(value):
        response = admin_client.get(CHANGELIST, {"stale": value})
        assert response.status_code == 200
        return {s.pk for s in response.context["cl"].result_list}

    assert listed("any") == {old.pk, never.pk}
    assert listed("address") == {never.pk}
    assert listed("certifications") == {old.pk, never.pk}
    assert listed("nonsense") == {fresh.pk, old.pk, never.pk}
    old.refresh_from_db()
    assert old.stale_facts() == ["certifications", "accepting", "treatments"]


def test_certificates_expiring_within_90_days_are_listed(admin_client):
    today = _today()
    soon = make_specialist(last_name="Soon", expires_on=today + datetime.timedelta(days=90))
    make_specialist(last_name="Later", expires_on=today + datetime.timedelta(days=91))
    make_specialist(last_name="Lifetime")
    url = reverse("admin:specialists_boardcertification_changelist")

    response = admin_client.get(url, {"expiring": "soon"})

    assert response.status_code == 200
    assert [c.specialist for c in response.context["cl"].result_list] == [soon]
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"stale": "yes"}).context["cl"].result_count == 3


def test_profile_says_when_facts_were_verified(client):
    specialist = make_specialist()
    page = client.get(specialist.get_absolute_url()).content.decode()
    assert "How current this listing is" not in page

    Specialist.objects.filter(pk=specialist.pk).update(
        accepting_verified_on=datetime.date(2025, 5, 3), address_verified_on=LONG_AGO
    )
    BoardCertification.objects.filter(specialist=specialist).update(
        verified_on=datetime.date(2026, 2, 1)
    )
    page = client.get(specialist.get_absolute_url()).content.decode()

    assert "Board certification: verified February 2026" in page
    assert "Accepting new patients: verified May 2025" in page
    assert "Address: verified January 2020" in page
    assert "Treatments offered: verified" not in page


def test_weekly_digest_tells_the_network_team_once_a_week(django_capture_on_commit_callbacks):
    today = _today()
    lapsing = make_specialist(last_name="Lapsing", expires_on=today + datetime.timedelta(days=10))
    Specialist.objects.filter(pk=lapsing.pk).update(**dict.fromkeys(FACT_DATES, today))
    BoardCertification.objects.filter(specialist=lapsing).update(verified_on=today)
    stale = make_specialist(last_name="Stale")
    make_specialist(last_name="Hidden", active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert directory_digest_owe(on=today)
    with django_capture_on_commit_callbacks(execute=True):
        assert directory_digest_owe(on=today)

    assert OutboundMessage.objects.get().kind == "directory_digest"
    [email] = mail.outbox
    assert email.to == [settings.NETWORK_INBOX_EMAIL]
    body = email.body
    assert "LISTINGS TO CONFIRM: 1 active listings" in body
    assert f"{stale.display_name} (NPI {stale.npi}): board certification, accepting new" in body
    assert "CERTIFICATES TO RENEW: 1 certificates" in body
    assert f"{lapsing.display_name} (NPI {lapsing.npi}): ABOS expires" in body
    assert "Hidden" not in body
    assert stale.display_name in email.alternatives[0][0]
    assert f"/admin/specialists/specialist/{stale.pk}/change/" in body


def test_no_digest_when_the_directory_is_in_order():
    specialist = make_specialist()
    Specialist.objects.filter(pk=specialist.pk).update(**dict.fromkeys(FACT_DATES, _today()))
    BoardCertification.objects.filter(specialist=specialist).update(verified_on=_today())

    assert not directory_digest_owe()
    assert not OutboundMessage.objects.exists()
