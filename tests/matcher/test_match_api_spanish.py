"""The read APIs answer in the client's Accept-Language: Spanish messages, the same keys,
statuses and JSON; anything the site does not serve gets English."""

import pytest

from tests.factories import make_specialist

pytestmark = pytest.mark.django_db

BAD_SEARCHES = [
    ({"zip": "1000"}, "zip", "Escriba un código postal (ZIP) de EE. UU. de 5 dígitos."),
    ({"zip": "00000"}, "zip", "No reconocemos el código postal 00000."),
    ({"zip": "09001"}, "zip", "No tenemos la ubicación del código postal 09001."),
    (
        {"zip": "10001", "treatment": "unicorn-therapy"},
        "treatment",
        "No reconocemos el tratamiento 'unicorn-therapy'.",
    ),
    ({"zip": "10001", "radius": "501"}, "radius", "Escriba un valor menor o igual a 500."),
    ({"zip": "10001", "radius": "ten"}, "radius", "Escriba un número válido."),
    ({"zip": "10001", "limit": "2.5"}, "limit", "Escriba un número entero válido."),
    ({"zip": "10001", "unit": "furlong"}, "unit", "Escriba mi o km."),
]


@pytest.mark.parametrize("path", ["/api/v1/match/", "/api/v1/institutes/nearest/"])
@pytest.mark.parametrize(("params", "field", "spanish"), BAD_SEARCHES)
def test_accept_language_es_gives_spanish_messages_with_the_same_shape(
    client, path, params, field, spanish
):
    english = client.get(path, params)
    response = client.get(path, params, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == english.status_code == 400
    assert response.json() == {field: [spanish]}
    assert english.json().keys() == response.json().keys()
    assert english.json()[field] != [spanish]
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("accept", ["es-MX,es;q=0.9,en;q=0.8", "es-419", "es-US", "ES"])
def test_every_spanish_variant_is_spanish(client, accept):
    response = client.get("/api/v1/match/", {"zip": "00000"}, HTTP_ACCEPT_LANGUAGE=accept)
    assert response.json() == {"zip": ["No reconocemos el código postal 00000."]}


@pytest.mark.parametrize("accept", ["fr", "de-DE,fr;q=0.9", "xx", "*", ""])
def test_a_language_the_site_does_not_serve_falls_back_to_english(client, accept):
    response = client.get("/api/v1/match/", {"zip": "00000"}, HTTP_ACCEPT_LANGUAGE=accept)
    assert response.json() == {"zip": ["Unknown ZIP code 00000."]}
    assert response["Content-Language"] == "en"


def test_a_good_search_answers_the_same_json_in_any_language(client):
    make_specialist(first_name="Ada", last_name="Alvarez")
    params = {"zip": "10001", "treatment": "spinal-cord-stimulation"}
    # Spanish first: the result cards it builds are kept for every later search.
    spanish = client.get("/api/v1/match/", params, HTTP_ACCEPT_LANGUAGE="es")
    english = client.get("/api/v1/match/", params)
    assert spanish.status_code == english.status_code == 200
    assert spanish.json() == english.json()
    assert english.json()["results"][0]["url"].startswith("/specialists/")
    institutes = client.get("/api/v1/institutes/nearest/", params, HTTP_ACCEPT_LANGUAGE="es")
    assert institutes.json() == client.get("/api/v1/institutes/nearest/", params).json()
    treatments = client.get("/api/v1/treatments/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert treatments == client.get("/api/v1/treatments/").json()


def test_the_api_has_no_language_prefix(client):
    for path in ("/es/api/v1/match/?zip=10001", "/es/api/v1/treatments/", "/es/healthz"):
        assert client.get(path).status_code == 404, path
