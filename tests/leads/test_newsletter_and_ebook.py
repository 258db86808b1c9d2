import re

import pytest
from django.core import mail
from django.test import Client

from leads.models import EbookRequest, OutboundMessage, Subscriber

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind


@pytest.fixture
def post(api, django_capture_on_commit_callbacks):
    def post(path, payload):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(path, payload, format="json")

    return post


@pytest.fixture
def get(client, django_capture_on_commit_callbacks):
    def get(url):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(url)

    return get


def link(email, path_prefix):
    found = re.search(rf"https?://[^\s\"<>]+({path_prefix}[^\s\"<>]+/)", email.body)
    assert found, email.body
    return found.group(1)


def test_subscribing_answers_pending_and_sends_a_confirmation(post, settings):
    response = post("/api/v1/newsletter/", {"email": " Reader@Example.com "})

    assert response.status_code == 202
    assert response.json() == {"status": "pending"}
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status) == ("reader@example.com", "pending")
    [email] = mail.outbox
    assert email.to == ["reader@example.com"]
    assert "/newsletter/confirm/" in email.body
    assert "/newsletter/confirm/" in email.alternatives[0][0]
    unsubscribe = link(email, "/newsletter/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}{unsubscribe}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert settings.SENDER_POSTAL_ADDRESS in email.body
    assert settings.SENDER_POSTAL_ADDRESS in email.alternatives[0][0]


def test_the_answer_is_the_same_whatever_the_address_state(post, get):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    assert get(link(mail.outbox[0], "/newsletter/confirm/")).status_code == 200
    sent = len(mail.outbox)

    again = post("/api/v1/newsletter/", {"email": "reader@example.com"})
    fresh = post("/api/v1/newsletter/", {"email": "new@example.com"})

    assert again.status_code == fresh.status_code == 202
    assert again.json() == fresh.json() == {"status": "pending"}
    # The confirmed reader is not asked again; the new one is.
    assert [m.to for m in mail.outbox[sent:]] == [["new@example.com"]]


def test_asking_twice_the_same_day_sends_one_confirmation(post):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    post("/api/v1/newsletter/", {"email": "reader@example.com"})

    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(kind=Kind.NEWSLETTER_CONFIRMATION).count() == 1


def test_confirming_subscribes_and_welcomes_once(post, get, settings):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    confirm = link(mail.outbox[0], "/newsletter/confirm/")

    first = get(confirm)
    second = get(confirm)

    assert first.status_code == second.status_code == 200
    assert "subscribed" in first.content.decode()
    assert Subscriber.objects.get().status == "confirmed"
    welcome = [m for m in mail.outbox if "Welcome" in m.subject]
    assert len(welcome) == 1
    assert "List-Unsubscribe" in welcome[0].extra_headers
    assert settings.SENDER_POSTAL_ADDRESS in welcome[0].body


def test_resubscribing_after_unsubscribing_asks_again_but_welcomes_once(post, get):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    confirm = link(mail.outbox[0], "/newsletter/confirm/")
    get(confirm)
    get(link(mail.outbox[0], "/newsletter/unsubscribe/"))

    assert get(confirm).status_code == 200

    assert Subscriber.objects.get().status == "confirmed"
    assert len([m for m in mail.outbox if "Welcome" in m.subject]) == 1


def test_one_click_unsubscribe_by_link_and_by_rfc8058_post(post, get):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    unsubscribe = link(mail.outbox[0], "/newsletter/unsubscribe/")

    page = get(unsubscribe)
    assert page.status_code == 200
    assert "unsubscribed" in page.content.decode()
    assert Subscriber.objects.get().status == "unsubscribed"

    # The mail client's one-click POST carries no CSRF token.
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        unsubscribe,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None


def test_unsubscribing_cancels_a_pending_confirmation(
    post, get, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        api.post("/api/v1/newsletter/", {"email": "reader@example.com"}, format="json")
    from leads.newsletter import newsletter_unsubscribe

    newsletter_unsubscribe(subscriber=Subscriber.objects.get())

    assert OutboundMessage.objects.get().status == "cancelled"


def test_bad_and_expired_newsletter_links_are_clear_4xx_pages(post, get, settings):
    post("/api/v1/newsletter/", {"email": "reader@example.com"})
    confirm = link(mail.outbox[0], "/newsletter/confirm/")
    unsubscribe = link(mail.outbox[0], "/newsletter/unsubscribe/")

    assert get(confirm[:-6] + "xxxxx/").status_code == 400
    assert get("/newsletter/unsubscribe/garbage/").status_code == 400
    # A confirm token does not work as an unsubscribe token and vice versa.
    assert get(unsubscribe.replace("unsubscribe", "confirm")).status_code == 400

    settings.NEWSLETTER_CONFIRM_MAX_AGE_DAYS = -1
    expired = get(confirm)
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    assert Subscriber.objects.get().status == "pending"


@pytest.mark.parametrize(
    "payload", [{}, {"email": "nope"}, {"email": 5}, {"email": ["a@example.com"]}, {"email": None}]
)
def test_a_bad_newsletter_address_is_400_and_stores_nothing(post, payload):
    response = post("/api/v1/newsletter/", payload)

    assert response.status_code == 400
    assert "email" in response.json()
    assert Subscriber.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_the_ebook_link_downloads_the_ebook(post, get, settings):
    response = post("/api/v1/ebook/", {"email": "Reader@Example.com", "first_name": "Robin"})

    assert response.status_code == 202
    [email] = mail.outbox
    assert email.to == ["reader@example.com"]
    assert "Hello Robin" in email.body
    assert settings.SENDER_POSTAL_ADDRESS in email.body
    assert settings.SENDER_POSTAL_ADDRESS in email.alternatives[0][0]
    download = get(link(email, "/ebook/download/"))

    assert download.status_code == 200
    assert download["Content-Type"] == "text/html; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    assert b"Life after back surgery" in b"".join(download.streaming_content)
    assert EbookRequest.objects.get().downloads == 1


def test_an_ebook_request_repeated_the_same_day_sends_one_email(post):
    post("/api/v1/ebook/", {"email": "reader@example.com", "first_name": "Robin"})
    post("/api/v1/ebook/", {"email": "reader@example.com", "first_name": "Robin"})

    assert len(mail.outbox) == 1


def test_bad_and_expired_ebook_links_are_clear_4xx_pages(post, get, settings):
    post("/api/v1/ebook/", {"email": "reader@example.com", "first_name": "Robin"})
    download = link(mail.outbox[0], "/ebook/download/")

    assert get("/ebook/download/not-a-token/").status_code == 400
    settings.EBOOK_LINK_MAX_AGE_DAYS = -1
    expired = get(download)

    assert expired.status_code == 410
    assert "expired" in expired.content.decode()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "reader@example.com"}, "first_name"),
        ({"email": "reader@example.com", "first_name": ""}, "first_name"),
        ({"email": "reader@example.com", "first_name": 3}, "first_name"),
        ({"email": "not-an-email", "first_name": "Robin"}, "email"),
    ],
)
def test_a_bad_ebook_request_is_400_and_stores_nothing(post, payload, field):
    response = post("/api/v1/ebook/", payload)

    assert response.status_code == 400
    assert field in response.json()
    assert EbookRequest.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_non_json_bodies_are_400_on_every_public_post(api):
    for path in ("/api/v1/newsletter/", "/api/v1/ebook/"):
        response = api.post(path, "{oops", content_type="application/json")
        assert response.status_code == 400
        assert "non_field_errors" in response.json()
