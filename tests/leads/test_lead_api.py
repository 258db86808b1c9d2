import datetime
import json
import uuid

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from core.api import PublicPostThrottle
from core.i18n import in_default_language
from leads.apis import LeadCreateApi, LeadInputSerializer
from leads.consent import CONSENT_TEXT, CONSENT_VERSION
from leads.models import Lead, LeadMatch, OutboundMessage

from .conftest import specialist_at

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind


def test_a_lead_is_stored_routed_and_owes_its_emails(post_lead, lead_payload):
    near = specialist_at(1, email="near@clinic.example")
    nearer = specialist_at(0.2, email="nearer@clinic.example")
    far = specialist_at(30)
    specialist_at(49)  # fourth nearest: only 3 are routed
    specialist_at(60)  # beyond 50 miles

    response = post_lead(lead_payload, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get()
    assert body["id"] == str(lead.id)
    assert body["status"] == "new"
    assert [m["id"] for m in body["matches"]] == [nearer.id, near.id, far.id]
    assert body["matches"][0] == {
        "id": nearer.id,
        "name": nearer.display_name,
        "distance": 0.2,
        "url": f"/specialists/{nearer.slug}/",
    }
    assert lead.phone == "+12125550142"
    assert (lead.zip, lead.city, lead.state) == ("10001", "New York", "NY")
    assert lead.treatment.slug == "spinal-cord-stimulation"
    assert lead.consent is True
    assert lead.consent_text == CONSENT_TEXT
    assert lead.consent_version == CONSENT_VERSION
    assert abs((timezone.now() - lead.consented_at).total_seconds()) < 60
    assert lead.consent_ip == "203.0.113.9"
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "fbss")
    assert (lead.utm_term, lead.utm_content) == ("back pain after surgery", "ad-1")
    assert lead.referrer == "https://www.google.com/"
    assert lead.needs_network_attention is False
    assert list(LeadMatch.objects.order_by("rank").values_list("specialist", "rank")) == [
        (nearer.id, 1),
        (near.id, 2),
        (far.id, 3),
    ]

    kinds = sorted(OutboundMessage.objects.filter(lead=lead).values_list("kind", flat=True))
    assert kinds == sorted(
        [Kind.PROVIDER_NOTIFICATION] * 3
        + [Kind.PATIENT_CONFIRMATION, Kind.PATIENT_FOLLOWUP_2D, Kind.PATIENT_FOLLOWUP_7D]
    )
    followup = OutboundMessage.objects.get(kind=Kind.PATIENT_FOLLOWUP_7D)
    assert followup.status == "pending"
    assert followup.due_at - lead.created_at == datetime.timedelta(days=7)
    # Eager mode: what is due now went out right after the commit; follow-ups wait.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [
            "pat@example.com",
            "near@clinic.example",
            "nearer@clinic.example",
            "network@spinematch.example",
        ]
    )


def test_a_lead_without_a_match_is_stored_and_flagged(post_lead, lead_payload):
    specialist_at(80)

    response = post_lead(lead_payload)

    assert response.status_code == 201
    assert response.json()["matches"] == []
    lead = Lead.objects.get()
    assert lead.needs_network_attention is True
    assert not lead.matches.exists()
    alert = OutboundMessage.objects.get(kind=Kind.NETWORK_ALERT)
    assert alert.status == "sent"
    assert [m.to for m in mail.outbox if "without a match" in m.subject] == [
        ["network@spinematch.example"]
    ]


def test_routing_only_counts_qualifying_specialists(post_lead, lead_payload):
    specialist_at(1, active=False)
    specialist_at(2, expires_on=datetime.date(2020, 1, 1))
    specialist_at(3, treatments=("nerve-block",))
    qualifying = specialist_at(4)

    body = post_lead(lead_payload).json()

    assert [m["id"] for m in body["matches"]] == [qualifying.id]


def test_treatment_is_optional(post_lead, lead_payload):
    lead_payload.pop("treatment")
    other = specialist_at(1, treatments=("nerve-block",))

    response = post_lead(lead_payload)

    assert response.status_code == 201
    assert [m["id"] for m in response.json()["matches"]] == [other.id]
    assert Lead.objects.get().treatment is None


REQUIRED = ["zip", "first_name", "last_name", "email", "phone", "consent"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        *[({name: None}, name) for name in REQUIRED],
        ({"consent": False}, "consent"),
        ({"consent": "true"}, "consent"),
        ({"consent": 1}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "pat@example"}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"phone": "+44 20 7946 0958"}, "phone"),
        ({"phone": "555-0142"}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "(212) 555-014"}, "phone"),
        ({"zip": "00000"}, "zip"),
        ({"zip": "1000"}, "zip"),
        ({"zip": "ABCDE"}, "zip"),
        ({"zip": "09001"}, "zip"),
        ({"zip": 10001}, "zip"),
        ({"treatment": "brain-surgery"}, "treatment"),
        ({"treatment": 7}, "treatment"),
        ({"message": "x" * 2001}, "message"),
        ({"message": ["a", "list"]}, "message"),
        ({"first_name": 42}, "first_name"),
        ({"last_name": {"a": 1}}, "last_name"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "x" * 81}, "first_name"),
        ({"email": True}, "email"),
        ({"phone": 2125550142}, "phone"),
        ({"utm_source": 5}, "utm_source"),
        ({"first_name": "Pat\x00"}, "first_name"),
        ({"first_name": "Pat\ud800"}, "first_name"),
        ({"message": "lone \udfff surrogate"}, "message"),
        ({"email": "pat\ud800@example.com"}, "email"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    post_lead, lead_payload, change, field
):
    specialist_at(1)
    payload = {**lead_payload, **change}
    payload = {key: value for key, value in payload.items() if value is not None}

    response = post_lead(payload)

    assert response.status_code == 400
    assert field in response.json()
    assert all(isinstance(message, str) for message in response.json()[field])
    assert Lead.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert mail.outbox == []


def test_consent_messages_explain_what_is_missing(post_lead, lead_payload):
    lead_payload["consent"] = False
    assert post_lead(lead_payload).json()["consent"] == [
        "Please agree to be contacted so a specialist can reach you."
    ]


def test_unknown_zip_message_names_the_problem(post_lead, lead_payload):
    lead_payload["zip"] = "00000"
    assert post_lead(lead_payload).json()["zip"] == ["Unknown ZIP code 00000."]


@pytest.mark.parametrize(
    "body",
    [
        "zip=10001&consent=true",
        "{not json",
        '"a string"',
        "[1, 2]",
        "null",
        "[" * 100_000 + "]" * 100_000,
        b'{"zip": "\xff\xfe"}',
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(api, body):
    response = api.post("/api/v1/leads/", body, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Lead.objects.count() == 0


def test_an_empty_body_names_every_required_field(api):
    response = api.post("/api/v1/leads/", "", content_type="application/json")

    assert response.status_code == 400
    assert set(REQUIRED) <= set(response.json())


def test_a_form_encoded_body_is_refused_by_the_json_api(api, lead_payload):
    response = api.post("/api/v1/leads/", lead_payload)  # multipart

    assert response.status_code == 415
    assert Lead.objects.count() == 0


def test_the_serializer_takes_a_form_querydict_with_a_checked_box():
    from django.http import QueryDict

    form = QueryDict(mutable=True)
    form.update(
        {
            "zip": "10001-1234",
            "first_name": "Pat",
            "last_name": "Example",
            "email": "pat@example.com",
            "phone": "212-555-0142",
            "consent": "on",
            "treatment": "",
        }
    )
    serializer = LeadInputSerializer(data=form)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["consent"] is True
    assert serializer.validated_data["zip"] == "10001"
    assert serializer.validated_data["treatment"] is None
    assert serializer.validated_data["phone"] == "+12125550142"

    del form["consent"]
    serializer = LeadInputSerializer(data=form)
    assert not serializer.is_valid()
    assert "consent" in serializer.errors


def test_overlong_campaign_tags_are_cut_not_refused(post_lead, lead_payload):
    lead_payload["utm_campaign"] = "c" * 500
    lead_payload["referrer"] = "https://example.com/" + "r" * 1000

    assert post_lead(lead_payload).status_code == 201
    lead = Lead.objects.get()
    assert lead.utm_campaign == "c" * 200
    assert len(lead.referrer) == 500


def test_the_honeypot_answers_like_a_success_and_stores_nothing(post_lead, lead_payload):
    specialist_at(1)
    lead_payload["website"] = "http://spam.example"

    response = post_lead(lead_payload)

    assert response.status_code == 201
    body = response.json()
    assert uuid.UUID(body["id"])
    assert body["status"] == "new"
    assert body["matches"] == []
    assert Lead.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert mail.outbox == []


def test_the_same_lead_within_24_hours_is_200_with_the_first_id(post_lead, lead_payload):
    specialist_at(1, email="doc@clinic.example")
    first = post_lead(lead_payload)
    sent = len(mail.outbox)

    again = post_lead(
        {
            **lead_payload,
            "email": "PAT@Example.com",
            "phone": "+1 212 555 0142",
            "zip": "10001-0001",
        }
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Lead.objects.count() == 1
    assert OutboundMessage.objects.filter(kind=Kind.PROVIDER_NOTIFICATION).count() == 1
    assert len(mail.outbox) == sent


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_answer_is_the_documented_serializers_byte_for_byte(post_lead, lead_payload, language):
    specialist_at(0.123456, first_name="José", last_name="Núñez", credentials="MD, PhD")
    specialist_at(2)

    first = post_lead(lead_payload, HTTP_ACCEPT_LANGUAGE=language)
    again = post_lead(lead_payload, HTTP_ACCEPT_LANGUAGE=language)

    lead = Lead.objects.get()
    with in_default_language():
        documented = LeadCreateApi.OutputSerializer(
            {
                "id": lead.id,
                "status": lead.status,
                "matches": list(lead.matches.select_related("specialist").order_by("rank")),
            }
        ).data
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.content == again.content == JSONRenderer().render(documented)


def test_another_treatment_is_the_same_request_but_another_zip_or_a_day_later_is_new(
    post_lead, lead_payload
):
    first = post_lead(lead_payload).json()
    # Another treatment folds into the open request: no answer may tell which one it named.
    folded = post_lead({**lead_payload, "treatment": "nerve-block"})
    assert (folded.status_code, folded.json()["id"]) == (200, first["id"])
    assert post_lead({**lead_payload, "zip": "10002"}).status_code == 201

    Lead.objects.filter(pk=first["id"]).update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )
    again = post_lead(lead_payload)

    assert again.status_code == 201
    assert again.json()["id"] != first["id"]
    assert Lead.objects.count() == 3


def test_too_many_posts_are_429_with_retry_after_shared_by_public_posts(
    api, post_lead, lead_payload, monkeypatch
):
    monkeypatch.setitem(PublicPostThrottle.THROTTLE_RATES, "public_post", "3/minute")

    assert post_lead(lead_payload).status_code == 201
    assert (
        api.post("/api/v1/newsletter/", {"email": "a@example.com"}, format="json").status_code
        == 202
    )
    assert (
        api.post(
            "/api/v1/ebook/", {"email": "a@example.com", "first_name": "A"}, format="json"
        ).status_code
        == 202
    )
    response = post_lead({**lead_payload, "treatment": "nerve-block"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Lead.objects.count() == 1
    # Another client has its own budget.
    assert post_lead(lead_payload, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_public_post_endpoints_are_in_the_openapi_schema(api):
    schema = json.loads(api.get("/api/v1/schema/?format=json").content)

    lead = schema["paths"]["/api/v1/leads/"]["post"]
    assert {"200", "201", "400", "429"} <= set(lead["responses"])
    body = schema["components"]["schemas"]["LeadInput"]
    assert body["properties"]["consent"]["type"] == "boolean"
    assert set(body["required"]) == {"zip", "first_name", "last_name", "email", "phone", "consent"}
    for path in ("/api/v1/newsletter/", "/api/v1/ebook/"):
        assert "202" in schema["paths"][path]["post"]["responses"]
