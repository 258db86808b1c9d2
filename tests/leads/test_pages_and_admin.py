import uuid

import pytest
from django.contrib.auth.models import Group, User

from leads.models import Lead, OutboundMessage

from .conftest import specialist_at

pytestmark = pytest.mark.django_db


def test_the_thanks_page_names_the_matches_and_no_personal_data(api, post_lead, lead_payload):
    doctor = specialist_at(1, first_name="Ana", last_name="Lopez")
    lead_id = post_lead(lead_payload).json()["id"]

    # The client that sent the lead: it holds the lead's receipt cookie.
    response = api.get(f"/thanks/{lead_id}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Lopez, MD" in page
    assert f"/specialists/{doctor.slug}/" in page
    assert "What happens next" in page
    for personal in ("Pat", "Example", "pat@example.com", "0142", "since my fusion"):
        assert personal not in page
    assert 'name="robots" content="noindex"' in page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_thanks_page_for_a_lead_without_a_match_says_the_team_will_call(
    api, post_lead, lead_payload
):
    lead_id = post_lead(lead_payload).json()["id"]

    page = api.get(f"/thanks/{lead_id}/").content.decode()

    assert "network team" in page


def test_an_unknown_lead_is_404(client):
    assert client.get(f"/thanks/{uuid.uuid4()}/").status_code == 404
    assert client.get("/thanks/not-a-uuid/").status_code == 404
    assert client.get("/thanks/").status_code == 200


def test_the_marketing_group_holds_the_export_permission():
    group = Group.objects.get(name="Marketing")

    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("leads", "export_lead")
    ]


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_pages_show_leads_matches_and_messages(admin_client, post_lead, lead_payload):
    specialist_at(1)
    lead_id = post_lead(lead_payload).json()["id"]

    for url in (
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead_id}/change/",
        "/admin/leads/subscriber/",
        "/admin/leads/ebookrequest/",
        "/admin/leads/outboundmessage/",
        "/admin/leads/outboundmessage/?status__exact=pending&kind__exact=patient_followup_2d",
    ):
        assert admin_client.get(url).status_code == 200, url
    change = admin_client.get(f"/admin/leads/lead/{lead_id}/change/").content.decode()
    assert "Patient: follow-up after 2 days" in change
    assert "Doctor" in change


def test_setting_a_lead_contacted_in_the_admin_cancels_its_followups(
    admin_client, post_lead, lead_payload
):
    lead_id = post_lead(lead_payload).json()["id"]

    response = admin_client.post(
        f"/admin/leads/lead/{lead_id}/change/",
        {
            "status": "contacted",
            "matches-TOTAL_FORMS": "0",
            "matches-INITIAL_FORMS": "0",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Lead.objects.get().status == "contacted"
    followups = OutboundMessage.objects.filter(kind__startswith="patient_followup")
    assert set(followups.values_list("status", flat=True)) == {"cancelled"}


def test_the_admin_retry_action_requeues_dead_messages(
    admin_client, post_lead, lead_payload, django_capture_on_commit_callbacks
):
    post_lead(lead_payload)
    dead = OutboundMessage.objects.get(kind="patient_followup_2d")
    OutboundMessage.objects.filter(pk=dead.pk).update(status="dead", attempts=8)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/leads/outboundmessage/",
            {"action": "retry", "_selected_action": [dead.pk]},
        )

    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == "sent"
    assert dead.attempts == 1


def test_changing_status_in_the_admin_list_cancels_followups_too(
    admin_client, post_lead, lead_payload
):
    lead_id = post_lead(lead_payload).json()["id"]

    response = admin_client.post(
        "/admin/leads/lead/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": lead_id,
            "form-0-status": "closed",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert Lead.objects.get().status == "closed"
    followups = OutboundMessage.objects.filter(kind__startswith="patient_followup")
    assert set(followups.values_list("status", flat=True)) == {"cancelled"}
