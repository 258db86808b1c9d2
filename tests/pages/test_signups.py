"""The newsletter and e-book forms every content page carries, posting to the page itself."""

import pytest
from django.core import mail
from django.test import Client

from leads.models import EbookRequest, Subscriber

from .html import post_form

PAGES = [
    "/",
    "/treatments/spinal-cord-stimulation/",
    "/conditions/failed-back-surgery-syndrome/",
]


@pytest.mark.parametrize("page", PAGES)
def test_newsletter_sign_up_confirms_inline_on_the_same_page(
    client, db, page, django_capture_on_commit_callbacks
):
    form = post_form(client.get(page), "newsletter")
    assert form.attrs["action"] == f"{page}#newsletter"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"form": "newsletter", "email": "reader@example.com"})
    assert response.status_code == 302
    assert response["Location"] == f"{page}#newsletter"
    assert Subscriber.objects.get().email == "reader@example.com"
    assert [message.to for message in mail.outbox] == [["reader@example.com"]]
    html = client.get(page).content.decode()
    assert "Please check your inbox" in html
    # The confirmation shows once, not on every later visit.
    assert "Please check your inbox" not in client.get(page).content.decode()


def test_ebook_request_confirms_inline(client, db, django_capture_on_commit_callbacks):
    page = "/treatments/discectomy/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page,
            {"form": "ebook", "first_name": "Robin", "email": "robin@example.com"},
            follow=True,
        )
    assert response.status_code == 200
    assert "We have emailed you a link to download the e-book." in response.content.decode()
    assert EbookRequest.objects.get().first_name == "Robin"
    assert [message.to for message in mail.outbox] == [["robin@example.com"]]


def test_bad_sign_up_input_shows_the_field_error_with_the_value_kept(client, db):
    page = "/conditions/failed-back-surgery-syndrome/"
    response = client.post(page, {"form": "ebook", "first_name": "", "email": "robin@"})
    assert response.status_code == 400
    form = post_form(response, "ebook")
    assert form.inputs["email"]["value"] == "robin@"
    assert form.inputs["email"]["aria-invalid"] == "true"
    assert form.inputs["first_name"]["aria-invalid"] == "true"
    html = response.content.decode()
    assert 'id="ebook-email-error">Enter a valid email address.' in html
    assert 'id="ebook-first_name-error">' in html
    # The rest of the page is still there, and the other form is untouched.
    assert "Causes" in html
    assert "aria-invalid" not in str(post_form(response, "newsletter").inputs["email"])
    assert EbookRequest.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"form": "unknown"},
        {"form": "newsletter"},
        {"form": "newsletter", "email": "x" * 5000 + "@example.com"},
        {"form": "newsletter", "email": "a\x00b@example.com"},
        {"form": "ebook", "first_name": "\x00", "email": "ok@example.com"},
    ],
)
def test_junk_sign_up_posts_are_400_never_500(client, db, data):
    response = client.post("/treatments/nerve-block/", data)
    assert response.status_code == 400
    assert Subscriber.objects.count() == 0
    assert "\x00" not in response.content.decode()


def test_sign_up_forms_work_on_profile_pages_too(client, directory):
    page = directory["near"].get_absolute_url()
    response = client.post(page, {"form": "newsletter", "email": "reader@example.com"})
    assert response["Location"] == f"{page}#newsletter"


def test_a_form_without_its_csrf_cookie_gets_a_plain_explanation(db):
    response = Client(enforce_csrf_checks=True).post(
        "/", {"form": "newsletter", "email": "reader@example.com"}
    )
    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()
    assert Subscriber.objects.count() == 0
