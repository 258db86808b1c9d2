import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from geo.gazetteer import zip_place
from specialists.models import Board, DirectoryVersion, Institute, Specialist, Treatment
from tests.factories import make_institute, make_specialist, valid_npi

from .conftest import csv_text, provider_row

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:specialists_specialist_changelist")
UPLOAD = reverse("admin:specialists_specialist_upload")


def _today():
    return timezone.localdate()


def _names(response) -> set[str]:
    return {s.last_name for s in response.context["cl"].result_list}


def test_changelist_lists_and_searches(admin_client):
    make_specialist(last_name="Findme", city="Boston", state="MA", zip="02110")
    make_specialist(last_name="Other")
    found = make_specialist(last_name="ByNpi")

    assert admin_client.get(CHANGELIST).status_code == 200
    assert _names(admin_client.get(CHANGELIST, {"q": "findme"})) == {"Findme"}
    assert _names(admin_client.get(CHANGELIST, {"q": "Boston"})) == {"Findme"}
    assert _names(admin_client.get(CHANGELIST, {"q": "02110"})) == {"Findme"}
    assert _names(admin_client.get(CHANGELIST, {"q": found.npi})) == {"ByNpi"}


def test_certification_status_filter(admin_client):
    today = _today()
    make_specialist(last_name="Lifetime")
    make_specialist(last_name="Lapsing", expires_on=today + datetime.timedelta(days=30))
    make_specialist(last_name="Expired", expires_on=today - datetime.timedelta(days=1))
    make_specialist(last_name="Nothing", boards=())

    def filtered(value):
        response = admin_client.get(CHANGELIST, {"certification": value})
        assert response.status_code == 200
        return _names(response)

    assert filtered("current") == {"Lifetime", "Lapsing"}
    assert filtered("expiring") == {"Lapsing"}
    assert filtered("expired") == {"Expired"}
    assert filtered("none") == {"Nothing"}
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Lapsing soon" in page and "Expired" in page


def test_every_filter_renders(admin_client):
    specialist = make_specialist(state="NY", institute=make_institute())
    board = Board.objects.get(code="ABOS")
    treatment = specialist.treatments.get()
    for params in [
        {"state": "NY"},
        {"specialty": specialist.specialty},
        {"treatments__id__exact": treatment.pk},
        {"certifications__board__id__exact": board.pk},
        {"active__exact": "1"},
        {"accepting_new_patients__exact": "1"},
        {"source__exact": "admin"},
    ]:
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200, params
        assert response.context["cl"].result_count == 1, params
    for name in [
        "specialists_institute",
        "specialists_treatment",
        "specialists_condition",
        "specialists_board",
        "geo_geocodedaddress",
    ]:
        response = admin_client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
    assert admin_client.get(reverse("admin:specialists_specialist_add")).status_code == 200
    change = reverse("admin:specialists_specialist_change", args=[specialist.pk])
    assert admin_client.get(change).status_code == 200


def test_bulk_deactivate_and_activate_record_who_and_bump_the_directory(admin_client, admin_user):
    first, second = make_specialist(), make_specialist()
    version = DirectoryVersion.objects.get().number

    response = admin_client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": [first.pk, second.pk]}
    )

    assert response.status_code == 302
    assert not Specialist.objects.filter(active=True).exists()
    assert set(Specialist.objects.values_list("updated_by", flat=True)) == {admin_user.pk}
    assert DirectoryVersion.objects.get().number == version + 1
    assert LogEntry.objects.filter(object_id=str(first.pk), user=admin_user).exists()

    admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": [first.pk]})
    assert list(Specialist.objects.filter(active=True)) == [first]


def _change_form_data(specialist, **overrides):
    data = {
        "first_name": specialist.first_name,
        "last_name": specialist.last_name,
        "credentials": specialist.credentials,
        "npi": specialist.npi,
        "slug": specialist.slug,
        "specialty": specialist.specialty,
        "institute": "",
        "active": "on",
        "accepting_new_patients": "on",
        "phone": "(212) 555-0111",
        "email": "",
        "address_line1": specialist.address_line1,
        "address_line2": "",
        "city": specialist.city,
        "state": specialist.state,
        "zip": specialist.zip,
        "latitude": specialist.latitude,
        "longitude": specialist.longitude,
        "treatments": [t.pk for t in specialist.treatments.all()],
        "certifications-TOTAL_FORMS": "0",
        "certifications-INITIAL_FORMS": "0",
        "certifications-MIN_NUM_FORMS": "0",
        "certifications-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_save_records_who_changed_it_and_normalises_the_phone(admin_client, admin_user):
    specialist = make_specialist(boards=())
    url = reverse("admin:specialists_specialist_change", args=[specialist.pk])

    response = admin_client.post(url, _change_form_data(specialist))

    assert response.status_code == 302, response.context["adminform"].form.errors
    specialist.refresh_from_db()
    assert specialist.updated_by == admin_user
    assert specialist.phone == "+12125550111"
    assert LogEntry.objects.filter(object_id=str(specialist.pk)).exists()


def test_admin_places_a_listing_from_its_zip_and_checks_the_state(admin_client):
    specialist = make_specialist(boards=(), location_source="zip")
    url = reverse("admin:specialists_specialist_change", args=[specialist.pk])

    response = admin_client.post(
        url, _change_form_data(specialist, zip="02110", state="NY", latitude="", longitude="")
    )
    assert response.status_code == 200
    assert "ZIP 02110 is in MA, not NY." in response.content.decode()

    response = admin_client.post(url, _change_form_data(specialist, zip="02110", state="ma"))
    assert response.status_code == 302
    specialist.refresh_from_db()
    assert (specialist.state, specialist.location_source) == ("MA", "zip")
    place = zip_place("02110")
    assert (specialist.latitude, specialist.longitude) == (place.latitude, place.longitude)


def test_admin_rejects_half_or_impossible_coordinates(admin_client):
    specialist = make_specialist(boards=())
    url = reverse("admin:specialists_specialist_change", args=[specialist.pk])

    half = admin_client.post(url, _change_form_data(specialist, longitude=""))
    impossible = admin_client.post(url, _change_form_data(specialist, latitude="91"))

    assert "Give both latitude and longitude, or neither." in half.content.decode()
    assert "Latitude must be within ±90" in impossible.content.decode()


def test_admin_rejects_a_non_us_phone(admin_client):
    specialist = make_specialist(boards=())
    url = reverse("admin:specialists_specialist_change", args=[specialist.pk])

    response = admin_client.post(url, _change_form_data(specialist, phone="+44 20 7946 0958"))

    assert response.status_code == 200
    assert "Enter a valid US phone number" in response.content.decode()


def test_upload_button_and_page(admin_client):
    assert UPLOAD in admin_client.get(CHANGELIST).content.decode()
    page = admin_client.get(UPLOAD)
    assert page.status_code == 200
    assert "Upload provider CSV" in page.content.decode()


def test_upload_imports_good_rows_and_lists_rejected_ones(admin_client, admin_user):
    text = csv_text([provider_row(1), provider_row(2, zip="00000"), provider_row(3, boards="X")])

    response = admin_client.post(
        UPLOAD, {"file": SimpleUploadedFile("providers.csv", text.encode("utf-8"))}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Import finished" in page
    assert "<td>3</td><td>zip: Unknown ZIP code 00000.</td>" in page
    assert "<td>4</td><td>boards: unknown board code &#x27;X&#x27;</td>" in page
    specialist = Specialist.objects.get()
    assert specialist.npi == valid_npi(900_001)
    assert specialist.updated_by == admin_user
    assert specialist.source == "import"


def test_upload_dry_run_writes_nothing(admin_client):
    text = csv_text([provider_row(1)])

    response = admin_client.post(
        UPLOAD,
        {"file": SimpleUploadedFile("p.csv", text.encode("utf-8")), "dry_run": "on"},
    )

    assert "Dry run: nothing was written" in response.content.decode()
    assert not Specialist.objects.exists()
    assert not Institute.objects.exists()


def test_upload_with_bad_header_shows_the_error(admin_client):
    response = admin_client.post(
        UPLOAD, {"file": SimpleUploadedFile("p.csv", b"name,phone\r\nJane,1\r\n")}
    )

    assert response.status_code == 200
    assert "Missing required columns: npi" in response.content.decode()


def test_upload_needs_add_and_change_permission(client):
    staff = User.objects.create_user("viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_specialist"))
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 200
    assert UPLOAD not in client.get(CHANGELIST).content.decode()
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {}).status_code == 403


def test_a_page_is_edited_in_english_and_spanish_and_spanish_shows_at_once(admin_client, client):
    treatment = Treatment.objects.get(slug="nerve-block")
    url = f"/admin/specialists/treatment/{treatment.pk}/change/"
    form = admin_client.get(url).content.decode()
    for name in ("name", "body", "name_es", "summary_es", "meta_description_es", "body_es"):
        assert f'name="{name}"' in form
    data = {
        "slug": treatment.slug,
        "sort_order": treatment.sort_order,
        "last_reviewed": treatment.last_reviewed.isoformat(),
        "name": treatment.name,
        "summary": treatment.summary,
        "meta_description": treatment.meta_description,
        "body": treatment.body,
        "name_es": "Bloqueo de nervios",
        "summary_es": treatment.summary_es,
        "meta_description_es": treatment.meta_description_es,
        "body_es": "## Nuevo\n\nTexto nuevo.",
    }
    assert admin_client.post(url, data).status_code == 302
    html = client.get("/es/treatments/nerve-block/").content.decode()
    assert "<h1>Bloqueo de nervios</h1>" in html
    assert "Texto nuevo." in html
    assert "<h1>Nerve block</h1>" in client.get("/treatments/nerve-block/").content.decode()
