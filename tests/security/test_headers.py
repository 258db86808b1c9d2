"""Headers: a strict Content-Security-Policy and a Permissions-Policy on every response,
and pages the policy does not break (no inline script, style or event handler)."""

from html.parser import HTMLParser

import pytest

from tests.factories import make_institute, make_specialist
from tests.marketing.conftest import make_lead

pytestmark = pytest.mark.django_db

# Types a browser runs as script; anything else (JSON-LD) is data the CSP leaves alone.
SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


class InlineCode(HTMLParser):
    """What a CSP without 'unsafe-inline' would refuse in a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script_attrs: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.found.append(f"<{tag} style=...>")
        self.found.extend(f"<{tag} {name}=...>" for name in attrs if name.startswith("on"))
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and not attrs.get("src"):
            self._script_attrs = attrs
        if tag in ("a", "form") and (attrs.get("href") or attrs.get("action") or "").startswith(
            "javascript:"
        ):
            self.found.append(f"<{tag} javascript:>")

    def handle_data(self, data):
        attrs = self._script_attrs
        if attrs is not None and data.strip() and (attrs.get("type") or "").lower() in SCRIPT_TYPES:
            self.found.append(f"inline <script>: {data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_attrs = None


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def csp_directives(response) -> dict[str, str]:
    return dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )


@pytest.mark.parametrize(
    "path", ["/", "/find/?zip=10001", "/api/v1/treatments/", "/admin/login/", "/healthz"]
)
def test_every_response_carries_a_strict_csp_and_a_permissions_policy(client, path):
    response = client.get(path)

    policy = csp_directives(response)
    assert policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    permissions = dict(
        part.strip().split("=", 1) for part in response["Permissions-Policy"].split(",")
    )
    assert permissions["geolocation"] == "(self)"
    for feature in ("camera", "microphone", "payment", "usb"):
        assert permissions[feature] == "()"


def test_patient_pages_hold_no_inline_code_but_keep_their_json_ld(client):
    institute = make_institute(name="Midtown Spine Institute")
    specialist = make_specialist(institute=institute)
    paths = [
        "/",
        "/find/?zip=10001",
        "/conditions/failed-back-surgery-syndrome/",
        "/treatments/spinal-cord-stimulation/",
        specialist.get_absolute_url(),
        institute.get_absolute_url(),
        "/thanks/",
        "/newsletter/confirm/bad/",
        "/es/",
        "/es/conditions/failed-back-surgery-syndrome/",
    ]
    for path in paths:
        html = client.get(path).content.decode()
        assert inline_code(html) == [], path
    assert (
        '<script type="application/ld+json">'
        in client.get(specialist.get_absolute_url()).content.decode()
    )


def test_admin_pages_hold_no_inline_code(admin_client):
    lead = make_lead()
    paths = [
        "/admin/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead.pk}/change/",
        "/admin/marketing/exportrecord/",  # a list without actions
        "/admin/marketing/funnel/",
        "/admin/specialists/specialist/",
        "/admin/specialists/specialist/upload-csv/",
        "/admin/specialists/specialist/add/",
    ]
    for path in paths:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert inline_code(response.content.decode()) == [], path
