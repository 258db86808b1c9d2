"""Directory changes reach the index as deltas: answered within the freshness window
without a rebuild, exactly as a brute-force scan of the database answers, across folds and
date changes; rebuilds run beside searches, never in front of them; cards stay the API's."""

import datetime
import functools
import random
import threading
import tracemalloc

import numpy as np
import orjson
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from rest_framework.renderers import JSONRenderer

from matcher import index as index_module
from matcher.index import (
    SORTS,
    DirectoryIndex,
    SpecialistFacts,
    SpecialistFilter,
    directory_index,
    forget,
)
from matcher.selectors import specialist_cards
from matcher.tables import specialist_rows
from specialists.models import (
    Board,
    BoardCertification,
    DirectoryVersion,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
)
from specialists.services import directory_changed, listings_set_active
from tests.factories import make_institute, make_specialist
from tests.matcher.test_filter_property import brute_force, brute_force_institutes

pytestmark = pytest.mark.django_db

NYC = (40.7484, -73.9967)
CENTRES = [NYC, (40.9, -73.8), (51.8549, -177.0888), (51.5672, 178.8775), (21.3, -157.8)]
SPECIALTIES = ["Neurosurgery", "Pain medicine", "Physical medicine and rehabilitation", "Podiatry"]
LANGUAGES = ["en", "es", "vi", "en;es", "", "es;zh"]
# Enough rows that a copy of a base column stands out from what a change needs.
BASE_ROWS = 200_000


def builds() -> float:
    return REGISTRY.get_sample_value("spine_match_index_build_duration_seconds_count") or 0.0


def match_ids(client, **params):
    return [
        r["id"] for r in client.get("/api/v1/match/", {"zip": "10001", **params}).json()["results"]
    ]


def rendered(card: dict) -> bytes:
    """The card as the API's JSON renderer writes it."""
    return JSONRenderer().render(card)


def search_all(*, treatment=None, radius=500, **filters):
    """Every card the index answers for New York, by the API's rules."""
    return directory_index().specialist_cards_page(
        treatment_id=treatment,
        filters=SpecialistFilter(**filters),
        latitude=NYC[0],
        longitude=NYC[1],
        radius=radius,
        unit="mi",
        limit=50,
    )


# --- Deltas, not rebuilds ------------------------------------------------------------------


def test_every_kind_of_edit_is_answered_without_a_rebuild(client, admin_user):
    near = make_specialist(last_name="Near", latitude=NYC[0] + 0.01, longitude=NYC[1])
    far = make_specialist(last_name="Far", latitude=NYC[0] + 0.3, longitude=NYC[1])
    assert match_ids(client) == [near.id, far.id]
    before = builds()

    far.latitude = NYC[0]
    far.save()
    assert match_ids(client) == [far.id, near.id]

    near.active = False
    near.save()
    assert match_ids(client) == [far.id]

    listings_set_active(
        queryset=Specialist.objects.filter(pk=near.pk), active=True, user=admin_user
    )
    assert match_ids(client) == [far.id, near.id]

    BoardCertification.objects.filter(specialist=far).delete()
    assert match_ids(client) == [near.id]
    BoardCertification.objects.create(specialist=far, board=Board.objects.get(code="ABA"))
    assert match_ids(client) == [far.id, near.id]

    nerve_block = Treatment.objects.get(slug="nerve-block")
    assert match_ids(client, treatment="nerve-block") == []
    nerve_block.specialists.add(near)  # from the treatment's side
    assert match_ids(client, treatment="nerve-block") == [near.id]
    nerve_block.specialists.clear()
    assert match_ids(client, treatment="nerve-block") == []

    medicare = InsurancePlan.objects.get(slug="medicare")
    far.insurance.add(medicare)
    assert match_ids(client, insurance="medicare") == [far.id]
    medicare.delete()  # the links go without signals of their own
    assert (
        client.get("/api/v1/match/", {"zip": "10001", "insurance": "medicare"}).status_code == 400
    )

    added = make_specialist(last_name="Added", latitude=NYC[0] + 0.005, longitude=NYC[1])
    assert match_ids(client) == [far.id, added.id, near.id]
    added.delete()
    assert match_ids(client) == [far.id, near.id]
    assert builds() == before


def test_institute_edits_reach_the_institute_search_and_the_cards(client, admin_user):
    institute = make_institute(name="Old Name", latitude=NYC[0], longitude=NYC[1])
    member = make_specialist(institute=institute)
    assert client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()["count"] == 1
    before = builds()

    institute.name = "New Name"
    institute.save()
    card = client.get("/api/v1/match/", {"zip": "10001"}).json()["results"][0]
    assert card["institute"]["name"] == "New Name"

    listings_set_active(
        queryset=Institute.objects.filter(pk=institute.pk), active=False, user=admin_user
    )
    assert client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()["count"] == 0

    other = make_institute(name="Other", latitude=NYC[0] + 0.1, longitude=NYC[1])
    member.institute = other
    member.save()
    found = client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()["results"]
    assert [(r["id"], r["specialists"]) for r in found] == [(other.id, [member.id])]

    other.delete()  # the member's institute becomes empty without a signal of its own
    card = client.get("/api/v1/match/", {"zip": "10001"}).json()["results"][0]
    assert card["institute"] is None
    assert client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()["count"] == 0
    assert builds() == before


def test_an_approved_provider_correction_is_answered_without_a_rebuild(client, admin_user):
    import uuid

    from specialists.corrections import correction_approve, listing_values
    from specialists.models import ListingCorrection

    doctor = make_specialist(phone="+12125550100", treatments=("nerve-block",))
    assert match_ids(client, treatment="nerve-block") == [doctor.id]
    before = builds()
    proposed = {
        **listing_values(doctor),
        "phone": "+12125550199",
        "treatments": ["discectomy"],
        "accepting_new_patients": False,
    }
    correction = ListingCorrection.objects.create(
        specialist=doctor, link_id=uuid.uuid4(), proposed=proposed, submitted_at=timezone.now()
    )
    correction_approve(correction=correction, user=admin_user)

    assert match_ids(client, treatment="nerve-block") == []
    assert match_ids(client, treatment="discectomy", accepting="false") == [doctor.id]
    assert match_ids(client, accepting="true") == []
    card = client.get("/api/v1/match/", {"zip": "10001"}).json()["results"][0]
    assert (card["phone"], card["treatments"]) == ("+12125550199", ["discectomy"])
    assert builds() == before


def test_cards_after_edits_equal_fresh_cards_byte_for_byte(client):
    institute = make_institute(name='The "Spine" Clinic \\ Annex')
    made = [
        make_specialist(
            first_name="Zoë\u2028", last_name='O"Brien\\', institute=institute,
            boards=("ABOS", "ABA"), latitude=1e-05, longitude=-73.9967,
            treatments=("nerve-block", "spinal-cord-stimulation"),
        ),
        make_specialist(credentials="", address_line2="Fl 2\t\x01", latitude=40.7, longitude=-74),
    ]  # fmt: skip
    search_all()
    made[1].first_name = "Ana 🦴"
    made[1].save()
    BoardCertification.objects.filter(specialist=made[0], board__code="ABA").update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    directory_changed(specialists=[made[0].pk])
    Board.objects.filter(code="ABOS").update(name="Renamed board")
    directory_changed(catalog=True)
    Treatment.objects.filter(slug="nerve-block").update(sort_order=0)
    directory_changed(catalog=True)

    found = search_all(radius=None).found
    fresh = specialist_cards(ids=[s.pk for s in made])
    assert sorted(card for card, _ in found) == sorted(rendered(c) for c in fresh.values())
    cards = {orjson.loads(card)["id"]: orjson.loads(card) for card, _ in found}
    assert [c["board"] for c in cards[made[0].pk]["board_certifications"]] == ["ABOS"]
    assert cards[made[0].pk]["treatments"] == ["nerve-block", "spinal-cord-stimulation"]


def test_certifications_lapse_at_midnight_without_a_rebuild(client, monkeypatch):
    today = timezone.localdate()
    lapsing = make_specialist(expires_on=today, boards=("ABOS",))
    mixed = make_specialist(boards=("ABOS", "ABA"), expires_on=today)
    BoardCertification.objects.filter(specialist=mixed, board__code="ABA").update(expires_on=None)
    directory_changed(specialists=[mixed.pk])
    assert sorted(match_ids(client)) == sorted([lapsing.id, mixed.id])
    before = builds()

    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    body = client.get("/api/v1/match/", {"zip": "10001"}).json()
    assert [r["id"] for r in body["results"]] == [mixed.id]
    assert [c["board"] for c in body["results"][0]["board_certifications"]] == ["ABA"]
    assert builds() == before


def test_a_change_naming_nothing_rebuilds_and_a_full_overlay_folds(client, settings):
    first = make_specialist()
    assert match_ids(client) == [first.id]
    before = builds()
    directory_changed()  # a writer that cannot say what it touched
    assert match_ids(client) == [first.id]
    assert builds() == before + 1

    settings.MATCH_INDEX_OVERLAY_MAX = 2
    made = [make_specialist() for _ in range(2)]
    assert len(match_ids(client)) == 3
    made[0].save()  # the same rows changed again: the overlay does not grow
    assert len(match_ids(client)) == 3
    assert (builds(), directory_index().overlay_size) == (before + 1, 2)
    make_specialist()
    assert len(match_ids(client)) == 4
    assert (builds(), directory_index().overlay_size) == (before + 2, 0)


def test_a_change_rolled_back_leaves_nothing_to_apply(client):
    first = make_specialist()
    assert match_ids(client) == [first.id]
    before = builds()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_specialist(last_name="Rolled back")
        raise RuntimeError
    assert match_ids(client) == [first.id]
    kept = make_specialist(last_name="Kept")  # reuses the rolled-back version numbers
    assert sorted(match_ids(client)) == sorted([first.id, kept.id])
    assert builds() == before


def test_a_gap_in_the_change_log_rebuilds(client):
    from specialists.models import DirectoryChange, DirectoryVersion

    first = make_specialist()
    assert match_ids(client) == [first.id]
    seen = DirectoryVersion.objects.get().number
    second = make_specialist()
    DirectoryChange.objects.filter(version__gt=seen).delete()  # pruned, say
    before = builds()
    assert sorted(match_ids(client)) == sorted([first.id, second.id])
    assert builds() == before + 1


# --- Rebuilds beside searches ---------------------------------------------------------------


def test_a_rebuild_in_progress_never_blocks_a_search(client, settings, monkeypatch):
    settings.MATCH_INDEX_BACKGROUND = True
    first = make_specialist(latitude=NYC[0] + 0.1, longitude=NYC[1])
    assert match_ids(client) == [first.id]

    second = make_specialist(latitude=NYC[0], longitude=NYC[1])
    directory_changed()  # named nothing: a rebuild
    # The build thread reads what this test's transaction holds, read here ahead: its own
    # connection would see none of it. It waits until released.
    read = index_module.base_read(on=timezone.localdate())
    started, release = threading.Event(), threading.Event()

    def held_read(**kwargs):
        started.set()
        assert release.wait(30)
        return read

    monkeypatch.setattr(index_module, "base_read", held_read)
    assert match_ids(client) == [first.id]
    assert started.wait(30)
    for _ in range(5):  # answered from the snapshot it has while the build waits
        assert match_ids(client) == [first.id]
    third = make_specialist(latitude=NYC[0] + 0.2, longitude=NYC[1])
    assert match_ids(client) == [first.id]

    release.set()
    index_module._state.worker.join(30)
    assert match_ids(client) == [second.id, first.id, third.id]


def test_a_new_bases_institutes_are_read_beside_searches(client, settings, monkeypatch):
    from matcher import selectors

    settings.MATCH_INDEX_BACKGROUND = True
    near = make_institute(name="Near Spine Institute", latitude=NYC[0], longitude=NYC[1])
    far = make_institute(name="Far Spine Institute", latitude=NYC[0] + 0.2, longitude=NYC[1])
    members = [make_specialist(institute=near), make_specialist(institute=far)]
    # The thread reads every institute once per base; read here ahead (its own connection
    # would see none of this test's rows), it waits until released.
    rows = selectors._institute_rows()
    started, release = threading.Event(), threading.Event()

    def held_rows():
        started.set()
        assert release.wait(30)
        return rows

    monkeypatch.setattr(selectors, "_institute_rows", held_rows)

    def nearest():
        found = client.get("/api/v1/institutes/nearest/", {"zip": "10001"}).json()["results"]
        return [(r["name"], r["specialists"]) for r in found]

    expected = [("Near Spine Institute", [members[0].id]), ("Far Spine Institute", [members[1].id])]
    assert nearest() == expected  # the new base's first search: read by id, not waiting
    assert started.wait(30)
    for _ in range(3):
        assert nearest() == expected
    (reader,) = [t for t in threading.enumerate() if t.name == "institutes-read"]
    release.set()
    reader.join(30)
    assert set(selectors._institutes_kept[1]) == {near.id, far.id}
    assert nearest() == expected

    near.name = "Renamed Spine Institute"
    near.save()  # changed since the base: read each time, not from the kept rows
    assert nearest()[0] == ("Renamed Spine Institute", [members[0].id])


# --- The snapshot file ---------------------------------------------------------------------


def test_a_process_starts_from_the_snapshot_file_and_catches_up(client, settings, tmp_path):
    settings.MATCH_INDEX_DIR = str(tmp_path)
    first = make_specialist(latitude=NYC[0] + 0.1, longitude=NYC[1])
    call_command("match_index_build", verbosity=0)
    (written,) = tmp_path.glob("snapshot-*.idx")
    forget()
    second = make_specialist(latitude=NYC[0], longitude=NYC[1])
    before = builds()

    assert match_ids(client) == [second.id, first.id]
    assert builds() == before
    index = directory_index()
    assert not index.base.vectors.flags.writeable  # mapped from the file, read-only
    assert index.overlay_size == 1

    written.rename(tmp_path / written.name.replace("snapshot-", "snapshot-x"))
    forget()
    assert match_ids(client) == [second.id, first.id]  # no file of this database: built here
    assert builds() == before + 1


def test_a_version_bumped_without_its_change_row_still_gets_a_usable_file(
    client, settings, tmp_path
):
    from specialists.models import DirectoryVersion

    settings.MATCH_INDEX_DIR = str(tmp_path)
    first = make_specialist()
    DirectoryVersion.objects.update(number=F("number") + 1)  # as code before the log did
    call_command("match_index_build", verbosity=0)
    forget()
    before = builds()
    assert match_ids(client) == [first.id]
    assert builds() == before


def test_a_snapshot_file_of_another_database_is_never_used(client, settings, tmp_path):
    from specialists.models import DirectoryChange

    settings.MATCH_INDEX_DIR = str(tmp_path)
    first = make_specialist()
    call_command("match_index_build", verbosity=0)
    DirectoryChange.objects.update(token="restored")  # same numbers, other data
    forget()
    before = builds()
    assert match_ids(client) == [first.id]
    assert builds() == before + 1


# --- Interleaved edits against the database --------------------------------------------------


def database_answers(today):
    """The database read literally, in the shape the brute-force scans take."""
    qualifying = list(Specialist.objects.qualifying(on=today).order_by("id"))
    dataset = (
        [(s.id, s.latitude, s.longitude, s.last_name, s.institute_id) for s in qualifying],
        list(Specialist.treatments.through.objects.values_list("treatment_id", "specialist_id")),
        [
            (i.id, i.latitude, i.longitude, i.name)
            for i in Institute.objects.filter(active=True).order_by("id")
        ],
    )
    facts = [
        SpecialistFacts(
            first_name=s.first_name,
            accepting=s.accepting_new_patients,
            telehealth=s.telehealth,
            gender=s.gender,
            specialty=s.specialty,
            languages=s.languages,
        )
        for s in qualifying
    ]
    plans = list(
        Specialist.insurance.through.objects.values_list("insuranceplan_id", "specialist_id")
    )
    return dataset, facts, plans


def position(rng):
    lat, lon = rng.choice(CENTRES)
    spread = rng.choice([0.0, 0.0, 1e-5, 0.05, 1.0])
    return lat + rng.uniform(-spread, spread), (
        lon + rng.uniform(-spread, spread) + 180
    ) % 360 - 180


def random_query(rng, treatments, plans):
    latitude, longitude = position(rng)
    radius = rng.choice([None, 500.0, 50.0, rng.uniform(1, 300)])
    facts = ["accepting", "telehealth", "language", "gender", "insurance", "specialty"]
    chosen = rng.sample(facts, rng.choice([0, 0, 1, 2]))
    return {
        "latitude": latitude,
        "longitude": longitude,
        "treatment_id": rng.choice([None, None, *treatments]),
        "radius": radius,
        "unit": rng.choice(["mi", "km"]),
        "limit": rng.choice([1, 3, 10, 50]),
        "offset": rng.choice([0, 0, 1, 4]),
        "sort": rng.choice(SORTS) if radius is not None else "distance",
        "filters": SpecialistFilter(
            accepting="accepting" in chosen,
            telehealth="telehealth" in chosen,
            language=rng.choice(["es", "vi", "en"]) if "language" in chosen else None,
            gender=rng.choice(["F", "M"]) if "gender" in chosen else None,
            insurance_id=rng.choice(plans) if "insurance" in chosen else None,
            specialty=rng.choice(["surgery", "pain-medicine"]) if "specialty" in chosen else None,
        ),
    }


def new_specialist(rng, institutes):
    latitude, longitude = position(rng)
    today = timezone.localdate()
    offered = ["nerve-block", "discectomy", "spinal-cord-stimulation"]
    return make_specialist(
        first_name=rng.choice(["Ana", "ana", "Ben", "Zoe"]),
        last_name=rng.choice(["Adams", "Baker", "Baker", "Chen"]),
        latitude=latitude,
        longitude=longitude,
        boards=rng.sample(["ABOS", "ABA", "ABNS"], rng.randint(1, 2)),
        expires_on=rng.choice([None, today, today + datetime.timedelta(days=1)]),
        treatments=rng.sample(offered, rng.randint(0, 2)),
        insurance=rng.sample(["medicare", "medicaid", "tricare"], rng.randint(0, 2)),
        specialty=rng.choice(SPECIALTIES),
        languages=rng.choice(LANGUAGES),
        gender=rng.choice(["F", "M", ""]),
        telehealth=rng.random() < 0.4,
        accepting_new_patients=rng.random() < 0.8,
        institute=rng.choice([*institutes, None]),
    )  # fmt: skip


def edit(operation, rng, day, user):
    """Change the directory the way the site does: models saved, links set, admin actions."""
    people = list(Specialist.objects.order_by("id"))
    institutes = list(Institute.objects.order_by("id"))
    person = rng.choice(people)
    if operation == "add":
        new_specialist(rng, institutes)
    elif operation == "move":
        person.latitude, person.longitude = position(rng)
        person.save()
    elif operation == "deactivate":
        listings_set_active(
            queryset=Specialist.objects.filter(pk=person.pk), active=not person.active, user=user
        )
    elif operation == "lapse":
        certificate = BoardCertification.objects.filter(specialist=person).first()
        if certificate is not None:
            certificate.expires_on = rng.choice([day - datetime.timedelta(days=1), day, None])
            certificate.save()
    elif operation == "treatments":
        treatment = Treatment.objects.get(slug=rng.choice(["nerve-block", "discectomy"]))
        if rng.random() < 0.5:
            person.treatments.set(Treatment.objects.filter(pk=treatment.pk))
        else:
            treatment.specialists.remove(*rng.sample(people, min(3, len(people))))
    elif operation == "facts":
        person.accepting_new_patients = not person.accepting_new_patients
        person.telehealth = rng.random() < 0.5
        person.languages = rng.choice(LANGUAGES)
        person.gender = rng.choice(["F", "M", ""])
        person.specialty = rng.choice(SPECIALTIES)
        person.last_name = rng.choice(["Adams", "baker", "Chen", "Diaz"])
        person.save()
        accepted = rng.sample(["medicare", "medicaid"], rng.randint(0, 2))
        person.insurance.set(InsurancePlan.objects.filter(slug__in=accepted))
    elif operation == "institute":
        institute = rng.choice(institutes)
        institute.latitude, institute.longitude = position(rng)
        institute.name = rng.choice(["Alpha", "beta", "Gamma"]) + f" {institute.pk}"
        institute.active = rng.random() < 0.8
        institute.save()
        person.institute = rng.choice([*institutes, None])
        person.save()
    elif operation == "delete":
        person.delete()


OPERATIONS = [
    "add",
    "move",
    "deactivate",
    "lapse",
    "treatments",
    "facts",
    "institute",
    "delete",
    "day",
]


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=10),
    seed=st.integers(0, 2**32),
    overlay_max=st.sampled_from([3, 2000]),
)
def test_searches_match_the_database_across_interleaved_edits(
    operations, seed, overlay_max, settings, monkeypatch, admin_user
):
    settings.MATCH_INDEX_OVERLAY_MAX = overlay_max  # 3: folds come often
    rng = random.Random(seed)
    day = [timezone.localdate()]
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day[0])
    treatments = list(
        Treatment.objects.filter(slug__in=["nerve-block", "discectomy"]).values_list(
            "pk", flat=True
        )
    )
    plans = list(
        InsurancePlan.objects.filter(slug__in=["medicare", "medicaid"]).values_list("pk", flat=True)
    )
    with transaction.atomic():
        forget()
        institutes = [
            make_institute(name=f"Institute {n}", latitude=lat, longitude=lon)
            for n, (lat, lon) in enumerate(position(rng) for _ in range(3))
        ]
        for _ in range(25):
            new_specialist(rng, institutes)
        directory_index()
        # Asked again after every edit: a base's remembered totals must stay true.
        repeated = [random_query(rng, treatments, plans) for _ in range(2)]
        for operation in operations:
            if operation == "day":
                day[0] += datetime.timedelta(days=1)
            else:
                edit(operation, rng, day[0], admin_user)
            index = directory_index()
            dataset, facts, plan_links = database_answers(day[0])
            for query in [*repeated, *(random_query(rng, treatments, plans) for _ in range(3))]:
                page = index.specialists_page(**query)
                assert (page.found, page.total) == brute_force(dataset, facts, plan_links, query)
                institutes_page = index.institutes_page(**query)
                expected = brute_force_institutes(dataset, facts, plan_links, query)
                assert (institutes_page.found, institutes_page.total) == expected
                counted = index.institutes_page(**query, members_counted=True)
                assert counted.found == [(pk, d, len(ids)) for pk, d, ids in expected[0]]
            shown = index.specialist_cards_page(**{**query, "limit": 5}).found
            ids = [orjson.loads(card)["id"] for card, _ in shown]
            fresh = specialist_cards(ids=ids)
            assert [card for card, _ in shown] == [rendered(fresh[pk]) for pk in ids]
        transaction.set_rollback(True)
    forget()


# --- What a change costs -------------------------------------------------------------------


def test_applying_a_change_allocates_nothing_the_size_of_the_base(admin_user):
    """A change costs time proportional to itself, not to the base: on a base of BASE_ROWS
    specialists (its narrowest column holds a byte per row), applying a change and each
    search after it never holds a fifth of that in Python's allocator (numpy's arrays
    included) beyond what it held before. A copy or mask of any base column would."""
    institute = make_institute(latitude=NYC[0], longitude=NYC[1])
    real = [
        make_specialist(latitude=NYC[0] + 0.01 * n, longitude=NYC[1], institute=institute)
        for n in range(4)
    ]
    treatment = Treatment.objects.get(slug="spinal-cord-stimulation")
    rng = np.random.default_rng(7)
    fake_ids = np.arange(BASE_ROWS) + max(person.pk for person in real) + 1
    rows = [
        (person.pk, person.latitude, person.longitude, person.last_name, institute.pk)
        for person in real
    ] + [
        (pk, lat, lon, "Base", None)
        for pk, lat, lon in zip(
            fake_ids.tolist(),
            rng.uniform(25, 49, BASE_ROWS).tolist(),
            rng.uniform(-124, -67, BASE_ROWS).tolist(),
            strict=True,
        )
    ]
    index = DirectoryIndex.from_rows(
        version=DirectoryVersion.objects.get().number,
        on=timezone.localdate(),
        specialists=rows,
        links=[(treatment.pk, pk) for pk, *_ in rows[::2]],
        institutes=[(institute.pk, institute.latitude, institute.longitude, institute.name)],
        treatments=[treatment],
    )
    base, columns = index.base, dict(index.base.columns)
    search = {"latitude": NYC[0], "longitude": NYC[1], "radius": 10, "unit": "mi", "limit": 10}
    steps = [
        lambda index, sort: index.specialist_cards_page(treatment_id=None, sort=sort, **search),
        lambda index, sort: index.specialists_page(
            treatment_id=treatment.pk, filters=SpecialistFilter(accepting=True), sort=sort, **search
        ),
        lambda index, sort: index.institutes_page(treatment_id=treatment.pk, sort=sort, **search),
    ]

    def held(step):
        """What ``step()`` returns, and the most it held at once beyond what was held before
        it."""
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = step()
        return result, tracemalloc.get_traced_memory()[1] - before

    today, costs = timezone.localdate(), []
    tracemalloc.start()
    for person in real:
        listings_set_active(
            queryset=Specialist.objects.filter(pk=person.pk), active=False, user=admin_user
        )
        changes = index_module._log_since(index.version)
        index, cost = held(functools.partial(index.applied, changes, on=today))
        costs.append(cost)
        costs += [held(functools.partial(step, index, sort))[1] for step in steps for sort in SORTS]
    tracemalloc.stop()
    costs = costs[1 + len(steps) * len(SORTS) :]  # the first fills the base's caches
    assert max(costs) < BASE_ROWS // 5, costs
    assert index.base is base
    assert all(base.columns[name] is column for name, column in columns.items())
    assert index.overlay_size == len(real)


def test_changed_rows_read_with_cached_statements_equal_the_full_read():
    people = [
        make_specialist(
            treatments=["nerve-block", "discectomy"][: n % 3],
            insurance=["medicare"] * (n % 2),
            boards=["ABOS", "ABA"][: 1 + n % 2],
            expires_on=[None, timezone.localdate()][n % 2],
        )
        for n in range(5)
    ]
    make_specialist(active=False)
    today = timezone.localdate()
    everyone = specialist_rows(on=today)

    def among(read, ids):
        return (
            [row for row in read.rows if row[0] in ids],
            sorted(c for c in read.certifications if c[0] in ids),
            sorted(map(tuple, read.treatment_links[np.isin(read.treatment_links[:, 1], ids)])),
            sorted(map(tuple, read.plan_links[np.isin(read.plan_links[:, 1], ids)])),
        )

    ids = [person.pk for person in people]
    unknown = list(range(max(ids) + 1, max(ids) + 1000))  # past one query's 900 ids
    for wanted in ([ids[2]], ids[:3], ids, ids + unknown, [*unknown[:5], ids[4]]):
        read = specialist_rows(on=today, ids=wanted)
        assert among(read, set(wanted)) == among(everyone, set(wanted))
        assert [row[0] for row in read.rows] == sorted(set(wanted) & set(ids))
