"""sitemap.xml and robots.txt."""

import re

from specialists.models import Condition

from .test_content_pages import CATALOG


def sitemap_locations(client) -> set[str]:
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    sections = re.findall(r"<loc>(.*?)</loc>", index.content.decode())
    assert len(sections) == 5
    locations = set()
    for section in sections:
        response = client.get(section.removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/xml")
        locations |= set(re.findall(r"<loc>(.*?)</loc>", response.content.decode()))
    return {location.removeprefix("http://testserver") for location in locations}


def test_the_sitemap_lists_every_public_page_and_nothing_private(client, directory):
    locations = sitemap_locations(client)
    assert "/conditions/failed-back-surgery-syndrome/" in locations
    expected = {
        "/",
        *(condition.get_absolute_url() for condition in Condition.objects.all()),
        *(f"/treatments/{slug}/" for slug in CATALOG),
        directory["near"].get_absolute_url(),
        directory["independent"].get_absolute_url(),
        directory["far"].get_absolute_url(),
        directory["institute"].get_absolute_url(),
    }
    # Each page in English and, under /es/, in Spanish.
    expected |= {f"/es{location}" for location in expected}
    assert locations == expected
    for location in locations:
        assert client.get(location).status_code == 200, location


def test_robots_txt_allows_content_and_points_to_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for private in ("/admin/", "/api/", "/find/", "/thanks/"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
