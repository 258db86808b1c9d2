"""Content and profile pages: the widget, SEO basics, structured data, safe Markdown."""

import pytest

from specialists.models import Condition, Treatment
from tests.contract import CATALOG_TREATMENT_SLUGS

from .html import read, widget

CATALOG = CATALOG_TREATMENT_SLUGS
FBSS = "/conditions/failed-back-surgery-syndrome/"


def public_urls(directory):
    return [
        "/",
        "/find/",
        *(condition.get_absolute_url() for condition in Condition.objects.all()),
        *(f"/treatments/{slug}/" for slug in CATALOG),
        directory["near"].get_absolute_url(),
        directory["independent"].get_absolute_url(),
        directory["far"].get_absolute_url(),
        directory["institute"].get_absolute_url(),
    ]


def test_every_page_answers_with_the_zip_widget_and_the_call_us_link(client, directory):
    for url in public_urls(directory):
        response = client.get(url)
        assert response.status_code == 200, url
        assert widget(response).attrs["method"] == "get"
        assert 'href="tel:+18005550199"' in response.content.decode(), url


def test_every_treatment_page_preselects_its_treatment(client, db):
    for slug in CATALOG:
        assert widget(client.get(f"/treatments/{slug}/")).selects["treatment"] == slug


def test_other_pages_preselect_no_treatment(client, directory):
    for url in ("/", FBSS, directory["near"].get_absolute_url()):
        assert widget(client.get(url)).selects["treatment"] in (None, "")


def test_treatment_menu_lists_the_whole_catalog(client, db):
    html = client.get("/").content.decode()
    for slug in CATALOG:
        assert f'href="/treatments/{slug}/"' in html


def test_titles_and_descriptions_are_unique_and_canonical_urls_are_absolute(client, directory):
    titles, descriptions = set(), set()
    for url in public_urls(directory):
        page = read(client.get(url))
        assert page.title and page.title not in titles, url
        titles.add(page.title)
        description = page.meta["description"]
        assert 50 <= len(description) <= 200, url
        assert description not in descriptions, url
        descriptions.add(description)
        canonical = [link["href"] for link in page.links if link.get("rel") == "canonical"]
        assert canonical == [f"http://testserver{url}"]


def test_treatment_page_carries_content_review_date_and_procedure_markup(client, directory):
    response = client.get("/treatments/spinal-cord-stimulation/")
    html = response.content.decode()
    for section in ("What it treats", "How to prepare", "The procedure", "Recovery"):
        assert f">{section}</h2>" in html
    assert "Last reviewed" in html
    (data,) = read(response).json_ld
    assert data["@type"] == "MedicalWebPage"
    assert data["about"]["@type"] == "MedicalProcedure"
    assert data["about"]["name"] == "Spinal cord stimulation"
    assert data["lastReviewed"]
    # Where it is offered: the two qualifying Manhattan specialists, the institute by name.
    assert "2 board-certified specialists" in html
    assert "Midtown Spine Institute" in html


def test_the_conditions_written_so_far_are_published(db):
    assert set(Condition.objects.values_list("slug", flat=True)) >= {
        "failed-back-surgery-syndrome",
        "epidural-fibrosis",
    }
    assert not Condition.objects.filter(body="").exists()
    assert not Treatment.objects.filter(body="").exists()
    assert not Treatment.objects.filter(last_reviewed=None).exists()


def test_condition_page_links_every_treatment_option_and_carries_condition_markup(client, db):
    response = client.get(FBSS)
    html = response.content.decode()
    for section in (
        "Causes",
        "Signs and symptoms",
        "Diagnosis",
        "Treatment options",
        "When to request an evaluation",
        "Preparing for an appointment",
    ):
        assert f">{section}</h2>" in html
    for slug in ("spinal-cord-stimulation", "revision-spine-surgery", "physical-therapy"):
        assert f'href="/treatments/{slug}/"' in html
    (data,) = read(response).json_ld
    assert data["about"]["@type"] == "MedicalCondition"
    assert {item["name"] for item in data["about"]["possibleTreatment"]} >= {
        "Spinal cord stimulation",
        "Revision spine surgery",
    }


def test_specialist_profile_shows_certification_treatments_address_and_physician_markup(
    client, directory
):
    specialist = directory["independent"]
    response = client.get(specialist.get_absolute_url())
    html = response.content.decode()
    assert "Ben Brooks, DO" in html
    assert "American Board of Anesthesiology" in html
    assert "December 31, 2031" in html
    assert 'href="/treatments/spinal-cord-stimulation/"' in html
    assert 'href="tel:+12125550100"' in html
    # Step 2 opens with this specialist chosen.
    assert f'href="/find/?zip=10001&amp;specialist={specialist.pk}#step-2"' in html
    (data,) = read(response).json_ld
    assert data["@type"] == "Physician"
    assert data["address"]["postalCode"] == "10001"
    assert data["hasCredential"][0]["expires"] == "2031-12-31"


def test_institute_page_lists_its_active_specialists(client, directory):
    html = client.get(directory["institute"].get_absolute_url()).content.decode()
    assert "Ada Alvarez, MD" in html
    assert "Dan Dormant" not in html
    assert 'href="tel:+12125550123"' in html


def test_inactive_specialist_and_unknown_slugs_are_not_found(client, directory):
    assert client.get(directory["inactive"].get_absolute_url()).status_code == 404
    assert client.get("/treatments/no-such-thing/").status_code == 404
    assert client.get("/conditions/no-such-thing/").status_code == 404
    assert client.get("/institutes/no-such-thing/").status_code == 404


def test_markdown_from_the_admin_is_sanitised(client, db):
    Treatment.objects.filter(slug="nerve-block").update(
        body=(
            "## Safe heading\n\n<script>alert(1)</script>\n\n"
            '<a href="javascript:alert(2)" onclick="steal()">click</a> '
            '<img src=x onerror="alert(3)"> <iframe src="https://evil.example"></iframe>\n\n'
            "[fine](/treatments/discectomy/)"
        )
    )
    html = client.get("/treatments/nerve-block/").content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onclick" not in html and "onerror" not in html
    assert "<iframe" not in html and "<img" not in html
    assert '<h2 id="safe-heading">Safe heading</h2>' in html
    assert '<a href="/treatments/discectomy/" rel="noopener">fine</a>' in html


def test_json_ld_cannot_be_broken_out_of_by_content(client, db):
    Condition.objects.filter(slug="failed-back-surgery-syndrome").update(
        summary="</script><script>alert(1)</script>"
    )
    response = client.get(FBSS)
    assert "</script><script>alert(1)" not in response.content.decode()
    (data,) = read(response).json_ld
    assert data["about"]["description"] == "</script><script>alert(1)</script>"


def test_no_third_party_assets_on_any_page(client, directory):
    for url in public_urls(directory):
        html = client.get(url).content.decode()
        for marker in ('src="http', 'src="//', 'href="//', "googletagmanager", "fonts.g"):
            assert marker not in html, (url, marker)
        stylesheets = [
            link["href"] for link in read(client.get(url)).links if link.get("rel") == "stylesheet"
        ]
        assert stylesheets and all(href.startswith("/static/") for href in stylesheets)


@pytest.mark.parametrize(
    "path", ["/treatments/spinal-fusion/", FBSS, "/"], ids=["treatment", "condition", "home"]
)
def test_content_pages_answer_head(client, db, path):
    assert client.head(path).status_code == 200
