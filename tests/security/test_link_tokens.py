"""Tokens in links used to carry the sequential row id, which tells anyone holding one
link how many people subscribed before them. They carry a random public id now."""

import re

import pytest
from django.core import mail, signing

from leads.models import EbookRequest, Subscriber
from leads.tokens import CONFIRM_SALT, EBOOK_SALT, UNSUBSCRIBE_SALT

pytestmark = pytest.mark.django_db


def tokens_in(email) -> dict[str, str]:
    return dict(re.findall(r"/(confirm|unsubscribe|download)/([^/\s\"<>]+)/", email.body))


def test_link_tokens_carry_a_random_public_id_not_the_row_id(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/newsletter/", {"email": "reader@example.com"}, format="json")
        api.post(
            "/api/v1/ebook/", {"email": "reader@example.com", "first_name": "R"}, format="json"
        )
    subscriber, ebook = Subscriber.objects.get(), EbookRequest.objects.get()
    newsletter_mail, ebook_mail = sorted(mail.outbox, key=lambda m: "e-book" in m.subject)

    found = {**tokens_in(newsletter_mail), **tokens_in(ebook_mail)}
    assert signing.loads(found["confirm"], salt=CONFIRM_SALT) == subscriber.public_id.hex
    assert signing.loads(found["unsubscribe"], salt=UNSUBSCRIBE_SALT) == subscriber.public_id.hex
    assert signing.loads(found["download"], salt=EBOOK_SALT) == ebook.public_id.hex


@pytest.mark.parametrize(
    ("path", "salt"),
    [
        ("/newsletter/confirm/", CONFIRM_SALT),
        ("/newsletter/unsubscribe/", UNSUBSCRIBE_SALT),
    ],
)
def test_an_old_style_row_id_token_no_longer_opens_anything(client, path, salt):
    subscriber = Subscriber.objects.create(email="reader@example.com")

    response = client.get(f"{path}{signing.dumps(subscriber.pk, salt=salt)}/")

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"
