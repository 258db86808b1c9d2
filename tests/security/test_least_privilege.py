"""Health details only where they are needed: a marketing user set up as the README says
does not read patients' messages, and provider emails leave the message out by default."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail

from leads.models import Lead
from tests.leads.conftest import specialist_at

pytestmark = pytest.mark.django_db

MESSAGE = "My surgeon said the L4 fusion failed"


@pytest.fixture
def lead(post_lead, lead_payload):
    specialist_at(1, email="doc@clinic.example")
    post_lead({**lead_payload, "message": MESSAGE})
    return Lead.objects.get()


def staff_client(client, *codenames: str, group: str | None = None):
    user = User.objects.create_user("staffer", password="pw-staff-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def test_a_marketing_user_with_view_lead_does_not_see_the_message(client, lead):
    marketer = staff_client(client, "view_lead", group="Marketing")

    page = marketer.get(f"/admin/leads/lead/{lead.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert lead.last_name in html  # the lead is there, minus its message
    assert MESSAGE not in html
    assert (
        not Group.objects.get(name="Marketing")
        .permissions.filter(codename="view_lead_message")
        .exists()
    )


def test_the_message_permission_shows_it(client, lead):
    reader = staff_client(client, "view_lead", "view_lead_message")

    assert MESSAGE in reader.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()


def test_provider_emails_leave_the_message_out_by_default(lead):
    notification = next(m for m in mail.outbox if m.to == ["doc@clinic.example"])

    for part in (notification.body, notification.alternatives[0][0]):
        assert MESSAGE not in part
        assert "also left a note" in part
        assert lead.last_name in part  # what the office needs to call the patient
