"""Providers correct their own listing: the link in their email, the form (no account, no
JavaScript), bad input and bad links, and the admin's review with its diff."""

import datetime
import html
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leads.services import lead_submit
from specialists.corrections import (
    CorrectionNotPending,
    correction_approve,
    correction_link_token,
    correction_reject,
)
from specialists.models import (
    DirectoryVersion,
    InsurancePlan,
    ListingChange,
    ListingCorrection,
    Specialist,
    Treatment,
)
from tests.factories import make_specialist

pytestmark = pytest.mark.django_db

Status = ListingCorrection.Status
CORRECTIONS = reverse("admin:specialists_listingcorrection_changelist")


@pytest.fixture
def doctor():
    return make_specialist(
        email="office@clinic.example",
        languages="en",
        insurance=("medicare",),
        weekly_capacity=10,
        first_name="Ada",
        last_name="Alvarez",
    )


def listing_url(specialist) -> str:
    return reverse("provider-listing", args=[correction_link_token(specialist)])


def correct(browser, url, **changes):
    """Open the form and send it as a browser would: what it shows, with ``changes``."""
    page = browser.get(url).content.decode()
    data = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1],
        "accepting_new_patients": re.search(
            r'name="accepting_new_patients" value="(\w+)"[^>]*checked', page
        )[1],
        "treatments": re.findall(r'name="treatments" value="([^"]+)"[^>]*checked', page),
        "insurance": re.findall(r'name="insurance" value="([^"]+)"[^>]*checked', page),
        "note": "",
    }
    for name in ("phone", "languages", "weekly_capacity"):
        shown = re.search(rf'<input type="\w+" name="{name}"[^>]*>', page)[0]
        data[name] = (
            html.unescape(re.search(r'value="([^"]*)"', shown)[1]) if "value=" in shown else ""
        )
    data.update(changes)
    return browser.post(url, data)


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def test_the_provider_email_links_to_a_form_showing_the_listing(
    doctor, browser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead_submit(
            data={
                "zip": "10001",
                "treatment": None,
                "first_name": "Pat",
                "last_name": "Example",
                "email": "pat@example.com",
                "phone": "+12125550142",
                "message": "",
            }
        )
    (notification,) = [m for m in mail.outbox if m.to == ["office@clinic.example"]]
    prefix = reverse("provider-listing", args=["TOKEN"]).split("TOKEN")[0]
    for part in (notification.body, notification.alternatives[0][0]):
        assert re.search(re.escape(prefix) + r"[^/\s\"]+/", part)
    url = re.search(re.escape(prefix) + r"[^/\s\"]+/", notification.body)[0]

    response = browser.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert "Ada Alvarez, MD" in page
    assert 'name="phone" value="+12125550100"' in page
    assert re.search(r'value="yes"[^>]*checked', page)
    assert re.search(r'value="spinal-cord-stimulation"[^>]*checked', page)
    assert re.search(r'value="medicare"[^>]*checked', page)
    assert 'name="languages" value="English"' in page
    assert 'name="weekly_capacity" value="10"' in page
    # The Spanish site's address serves the same English page.
    assert "Send my corrections" in browser.get(f"/es{url}").content.decode()


def test_a_proposal_waits_for_review_and_changes_nothing_yet(doctor, browser):
    url = listing_url(doctor)
    version = DirectoryVersion.objects.get().number

    response = correct(
        browser,
        url,
        accepting_new_patients="no",
        phone="(646) 555-0199",
        treatments=["spinal-cord-stimulation", "nerve-block"],
        languages="english, Spanish",
        insurance=["medicare", "aetna"],
        weekly_capacity="",
        note="We moved to suite 300.",
    )

    assert response.status_code == 302 and response["Location"] == url
    correction = ListingCorrection.objects.get()
    assert correction.status == Status.PENDING
    assert correction.proposed == {
        "accepting_new_patients": False,
        "phone": "+16465550199",
        "treatments": ["nerve-block", "spinal-cord-stimulation"],
        "languages": "en;es",
        "insurance": ["aetna", "medicare"],
        "weekly_capacity": None,
    }
    assert correction.note == "We moved to suite 300."
    doctor.refresh_from_db()
    assert (doctor.accepting_new_patients, doctor.phone) == (True, "+12125550100")
    assert DirectoryVersion.objects.get().number == version
    page = browser.get(url).content.decode()
    assert "waiting for review" in page
    assert "(646) 555-0199" in page and "Nerve block" in page and "no limit" in page


def test_a_used_link_shows_what_it_sent_and_records_nothing_more(doctor, browser, admin_user):
    url = listing_url(doctor)
    correct(browser, url, phone="(646) 555-0199")

    page = browser.get(url).content.decode()
    assert 'name="phone"' not in page  # what it sent, no form
    again = Client().post(url, {"phone": "(718) 555-0100", "accepting_new_patients": "yes"})

    assert again.status_code == 409
    assert "already used" in again.content.decode()
    correction = ListingCorrection.objects.get()
    assert correction.proposed["phone"] == "+16465550199"
    correction_reject(correction=correction, user=admin_user)
    assert "rejected" in Client().get(url).content.decode()
    assert Client().post(url, {"phone": "(718) 555-0100"}).status_code == 409
    assert ListingCorrection.objects.count() == 1


def test_a_double_submit_of_the_form_records_one_proposal(doctor):
    """The form posted twice (a double click: both carry the same CSRF token)."""
    browser = Client(enforce_csrf_checks=True)
    url = listing_url(doctor)
    page = browser.get(url).content.decode()
    data = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1],
        "accepting_new_patients": "yes",
        "phone": "212-555-0100",
        "weekly_capacity": "12",
    }

    first, second = browser.post(url, data), browser.post(url, {**data, "weekly_capacity": "3"})

    assert (first.status_code, second.status_code) == (302, 409)
    assert "nothing new was recorded" in second.content.decode()
    assert ListingCorrection.objects.get().proposed["weekly_capacity"] == 12


def test_a_newer_proposal_replaces_the_one_waiting(doctor, browser):
    correct(browser, listing_url(doctor), weekly_capacity="5")
    correct(Client(enforce_csrf_checks=True), listing_url(doctor), weekly_capacity="7")

    statuses = dict(ListingCorrection.objects.values_list("proposed__weekly_capacity", "status"))
    assert statuses == {5: Status.SUPERSEDED, 7: Status.PENDING}


@pytest.mark.parametrize(
    ("field", "label", "value", "message"),
    [
        ("phone", "Phone number for new patients", "555", "Enter a valid US phone number"),
        ("phone", "Phone number for new patients", "", "Enter the phone number patients"),
        (
            "phone",
            "Phone number for new patients",
            "212-555-0100 ext 4",
            "without an extension",
        ),
        ("treatments", "Treatments you offer", ["spinal-yoga"], "Unknown treatment 'spinal-yoga'."),
        ("insurance", "Insurance you accept", ["acme-health"], "'acme-health'"),
        ("languages", "Languages you speak with patients", "English, Klingon", "'Klingon'"),
        ("weekly_capacity", "New patient requests a week, at most", "-1", "from 0 to 500"),
        ("weekly_capacity", "New patient requests a week, at most", "100000", "from 0 to 500"),
        ("weekly_capacity", "New patient requests a week, at most", "lots", "whole number"),
        ("weekly_capacity", "New patient requests a week, at most", "1e9", "whole number"),
        ("accepting_new_patients", "Are you accepting new patients?", "perhaps", "yes or no"),
        ("accepting_new_patients", "Are you accepting new patients?", "", "take new patients"),
        ("note", "Anything else we should correct", "x" * 1001, "at most 1000"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(doctor, browser, field, label, value, message):
    response = correct(browser, listing_url(doctor), **{field: value})

    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert label in page.split("nothing was sent yet")[1].split("</ul>")[0]
    assert message in page
    assert 'name="phone"' in page  # the form again, with what was typed
    assert not ListingCorrection.objects.exists()


def test_bad_links_say_what_happened_and_record_nothing(doctor, settings):
    url = listing_url(doctor)
    for bad in (
        url[:-6] + "xxxxx/",
        reverse("provider-listing", args=["garbage"]),
        reverse("provider-listing", args=["a" * 3000]),
        # Signed by us, for another purpose: a provider lead link does not open a listing.
        url.replace("provider/listing", "provider/lead"),
    ):
        for response in (Client().get(bad), Client().post(bad, {"phone": "2125550100"})):
            assert response.status_code == 400, bad
            assert "incomplete or was changed" in response.content.decode()

    settings.PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS = -1
    expired = Client().get(url)
    assert expired.status_code == 410
    assert "correct your listing work for a limited time" in expired.content.decode()
    settings.PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS = 30

    doctor.delete()
    assert Client().get(url).status_code == 400
    assert not ListingCorrection.objects.exists()


# The admin -------------------------------------------------------------------------------


@pytest.fixture
def proposal(doctor, browser):
    correct(
        browser,
        listing_url(doctor),
        accepting_new_patients="no",
        phone="(646) 555-0199",
        treatments=["spinal-cord-stimulation", "nerve-block"],
        languages="English, Spanish",
        insurance=["aetna"],
        weekly_capacity="",
    )
    return ListingCorrection.objects.get()


def change_url(correction) -> str:
    return reverse("admin:specialists_listingcorrection_change", args=[correction.pk])


def test_the_admin_shows_each_field_now_and_as_proposed(admin_client, proposal):
    listed = admin_client.get(CORRECTIONS, {"status__exact": "pending"})
    assert listed.status_code == 200
    assert "Ada Alvarez, MD" in listed.content.decode()

    page = admin_client.get(change_url(proposal)).content.decode()

    rows = dict(
        (label, cells)
        for label, *cells in re.findall(
            r'<tr><th scope="row">([^<]+)</th><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>',
            page,
        )
    )
    assert rows["Accepting new patients"] == ["Yes", "<strong>No</strong>", "changed"]
    assert rows["Phone"] == ["(212) 555-0100", "<strong>(646) 555-0199</strong>", "changed"]
    assert rows["Treatments offered"][2] == "changed"
    assert "Nerve block" in rows["Treatments offered"][1]
    assert rows["Languages spoken"] == ["English", "<strong>English, Spanish</strong>", "changed"]
    assert rows["Insurance accepted"] == ["Medicare", "<strong>Aetna</strong>", "changed"]
    assert rows["New patient requests a week, at most"] == [
        "10",
        "<strong>no limit</strong>",
        "changed",
    ]
    assert 'name="_approve"' in page and 'name="_reject"' in page
    banner = admin_client.get(
        reverse("admin:specialists_specialist_change", args=[proposal.specialist_id])
    )
    assert change_url(proposal) in banner.content.decode()


def test_approving_applies_the_proposal_as_the_reviewer(admin_client, proposal, admin_user):
    doctor = proposal.specialist
    Specialist.objects.filter(pk=doctor.pk).update(
        accepting_verified_on=datetime.date(2020, 1, 1), accepting_verified_source="import"
    )
    version = DirectoryVersion.objects.get().number
    before = APIClient().get("/api/v1/match/", {"zip": "10001", "treatment": "nerve-block"})
    assert before.json()["count"] == 0

    response = admin_client.post(
        change_url(proposal), {"review_note": "Called the office.", "_approve": "1"}
    )

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.accepting_new_patients is False
    assert doctor.phone == "+16465550199"
    assert doctor.languages == "en;es"
    assert doctor.weekly_capacity is None
    assert sorted(doctor.treatments.values_list("slug", flat=True)) == [
        "nerve-block",
        "spinal-cord-stimulation",
    ]
    assert list(doctor.insurance.values_list("slug", flat=True)) == ["aetna"]
    assert doctor.updated_by == admin_user
    submitted = timezone.localdate(proposal.submitted_at)
    assert (doctor.accepting_verified_on, doctor.accepting_verified_source) == (
        submitted,
        "provider",
    )
    assert (doctor.treatments_verified_on, doctor.treatments_verified_source) == (
        submitted,
        "provider",
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewed_by, proposal.review_note) == (
        Status.APPROVED,
        admin_user,
        "Called the office.",
    )
    changes = {c.field: (c.old_value, c.new_value, c.source) for c in doctor.changes.all()}
    assert changes["phone"] == ("(212) 555-0100", "(646) 555-0199", "provider")
    assert set(changes) == {
        "accepting_new_patients",
        "phone",
        "treatments",
        "languages",
        "insurance",
        "weekly_capacity",
    }
    entry = LogEntry.objects.get(object_id=str(doctor.pk))
    assert entry.user == admin_user
    assert f"Approved the provider's correction #{proposal.pk}" in entry.get_change_message()
    # Search and routing see it at once: one version bump for the whole correction.
    assert DirectoryVersion.objects.get().number == version + 1
    Specialist.objects.filter(pk=doctor.pk).update(accepting_new_patients=True)
    after = APIClient().get("/api/v1/match/", {"zip": "10001", "treatment": "nerve-block"})
    assert [r["id"] for r in after.json()["results"]] == [doctor.pk]
    # A decided proposal is a record: no buttons, no second decision.
    page = admin_client.get(change_url(proposal)).content.decode()
    assert 'name="_approve"' not in page


def test_an_unchanged_proposal_confirms_the_facts_and_logs_no_change(admin_client, doctor, browser):
    correct(browser, listing_url(doctor))
    proposal = ListingCorrection.objects.get()

    admin_client.post(change_url(proposal), {"review_note": "", "_approve": "1"})

    doctor.refresh_from_db()
    assert doctor.accepting_verified_source == "provider"
    assert doctor.treatments_verified_on == timezone.localdate(proposal.submitted_at)
    assert not ListingChange.objects.exists()


def test_rejecting_records_it_and_leaves_the_listing(admin_client, proposal, admin_user):
    doctor = proposal.specialist

    admin_client.post(change_url(proposal), {"review_note": "Not their number.", "_reject": "1"})

    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewed_by, proposal.review_note) == (
        Status.REJECTED,
        admin_user,
        "Not their number.",
    )
    assert proposal.reviewed_at is not None
    doctor.refresh_from_db()
    assert doctor.phone == "+12125550100" and doctor.accepting_new_patients
    assert not ListingChange.objects.exists()
    assert "Rejected" in LogEntry.objects.get(object_id=str(doctor.pk)).get_change_message()


def test_a_stale_second_decision_changes_nothing(admin_client, proposal, admin_user):
    form = admin_client.get(change_url(proposal))
    assert form.status_code == 200
    admin_client.post(change_url(proposal), {"review_note": "", "_reject": "1"})

    # The same page, still open in another tab, approved afterwards.
    response = admin_client.post(
        change_url(proposal), {"review_note": "", "_approve": "1"}, follow=True
    )

    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED
    assert proposal.specialist.phone == "+12125550100"
    assert response.status_code == 403
    # Two reviewers deciding at once: the second finds it decided.
    with pytest.raises(CorrectionNotPending):
        correction_approve(correction=proposal, user=admin_user)


def test_only_those_who_may_change_listings_decide(client, proposal):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_listingcorrection"),
        Permission.objects.get(codename="change_listingcorrection"),
    )
    client.force_login(viewer)

    page = client.get(change_url(proposal))
    assert page.status_code == 200
    assert 'name="_approve"' not in page.content.decode()
    assert client.post(change_url(proposal), {"_approve": "1"}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


def test_a_treatment_deleted_before_approval_is_left_out(admin_client, proposal):
    Treatment.objects.filter(slug="nerve-block").delete()
    InsurancePlan.objects.filter(slug="aetna").delete()

    admin_client.post(change_url(proposal), {"review_note": "", "_approve": "1"})

    doctor = Specialist.objects.get(pk=proposal.specialist_id)
    assert list(doctor.treatments.values_list("slug", flat=True)) == ["spinal-cord-stimulation"]
    assert not doctor.insurance.exists()


def test_a_save_without_a_decision_decides_nothing(admin_client, proposal):
    page = admin_client.get(change_url(proposal)).content.decode()
    # Enter in the note makes a new line; it cannot press Approve, the form's first button.
    assert re.search(r'<textarea name="review_note"', page)

    response = admin_client.post(
        change_url(proposal), {"review_note": "Calling them first."}, follow=True
    )

    assert "Nothing decided" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert Specialist.objects.get(pk=proposal.specialist_id).phone == "+12125550100"
