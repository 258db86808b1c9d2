"""The built-in catalog comes from the content files under specialists/content/."""

import io
import shutil

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from specialists.catalog import CONTENT_DIR, ContentError, catalog_load
from specialists.models import Board, Condition, DirectoryVersion, InsurancePlan, Treatment
from tests.contract import CATALOG_BOARDS, CATALOG_TREATMENT_SLUGS

pytestmark = pytest.mark.django_db

FBSS = CONTENT_DIR / "conditions" / "failed-back-surgery-syndrome.md"


def _empty_catalog():
    Condition.objects.all().delete()
    Treatment.objects.all().delete()
    Board.objects.all().delete()


def _body(path) -> str:
    return path.read_text(encoding="utf-8").split("\n+++\n", 1)[1]


def _load_content() -> str:
    out = io.StringIO()
    call_command("load_content", stdout=out)
    return out.getvalue()


@pytest.fixture
def content(tmp_path):
    """A copy of the content files a test may change."""
    return shutil.copytree(CONTENT_DIR, tmp_path / "content")


def _rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_loader_fills_an_empty_database():
    _empty_catalog()

    assert _load_content() == "20 catalog rows written.\n"

    assert sorted(Treatment.objects.values_list("slug", flat=True)) == sorted(
        CATALOG_TREATMENT_SLUGS
    )
    assert dict(Board.objects.values_list("code", "name")) == CATALOG_BOARDS
    fbss = Condition.objects.get(slug="failed-back-surgery-syndrome")
    assert fbss.body == _body(FBSS)
    assert str(fbss.last_reviewed) == "2026-11-22"
    assert "spinal-cord-stimulation" in fbss.treatments.values_list("slug", flat=True)
    assert Treatment.objects.get(slug="spinal-fusion").body == _body(
        CONTENT_DIR / "treatments" / "spinal-fusion.md"
    )


def test_migrate_loads_the_catalog_through_post_migrate():
    _empty_catalog()

    call_command("migrate", verbosity=0)

    assert Treatment.objects.count() == len(CATALOG_TREATMENT_SLUGS)
    assert Condition.objects.get(slug="failed-back-surgery-syndrome").body == _body(FBSS)


def test_a_second_run_changes_nothing():
    _empty_catalog()
    _load_content()
    version = DirectoryVersion.objects.get().number
    stamps = dict(Treatment.objects.values_list("slug", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        assert _load_content() == "0 catalog rows written.\n"

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert all("SAVEPOINT" in sql.upper() for sql in writes), writes
    assert DirectoryVersion.objects.get().number == version
    assert dict(Treatment.objects.values_list("slug", "updated_at")) == stamps


def test_an_admin_edit_survives_a_rerun_even_when_the_file_changed(content):
    fusion = Treatment.objects.get(slug="spinal-fusion")
    fusion.body = "Our own words about fusion."
    fusion.save()
    fbss = Condition.objects.get(slug="failed-back-surgery-syndrome")
    fbss.treatments.remove(Treatment.objects.get(slug="nerve-block"))
    _rewrite(content / "treatments" / "spinal-fusion.md", "Surgery that joins", "Joining")
    _rewrite(content / "conditions" / "failed-back-surgery-syndrome.md", "You had", "You've had")

    _load_content()
    catalog_load(directory=content)

    fusion.refresh_from_db()
    assert fusion.body == "Our own words about fusion."
    assert fusion.summary.startswith("Surgery that joins")
    fbss.refresh_from_db()
    assert fbss.body == _body(FBSS)
    assert "nerve-block" not in fbss.treatments.values_list("slug", flat=True)


def test_a_changed_file_updates_a_row_nobody_edited(content):
    _rewrite(content / "treatments" / "nerve-block.md", "sort_order = 60", "sort_order = 65")
    _rewrite(content / "treatments" / "nerve-block.md", "+++\nA nerve", "+++\nOne nerve")
    _rewrite(content / "conditions" / "epidural-fibrosis.md", '    "nerve-block",\n', "")
    version = DirectoryVersion.objects.get().number

    assert catalog_load(directory=content) == 2

    nerve_block = Treatment.objects.get(slug="nerve-block")
    assert nerve_block.sort_order == 65
    assert nerve_block.body.startswith("One nerve block is an injection")
    fibrosis = Condition.objects.get(slug="epidural-fibrosis")
    assert "nerve-block" not in fibrosis.treatments.values_list("slug", flat=True)
    assert DirectoryVersion.objects.get().number == version + 1
    assert catalog_load(directory=content) == 0


def test_a_board_renamed_in_the_file_is_renamed_in_the_database(content):
    _rewrite(content / "boards.toml", '"American Board of Anesthesiology"', '"ABA board"')

    assert catalog_load(directory=content) == 1
    assert Board.objects.get(code="ABA").name == "ABA board"


@pytest.mark.parametrize(
    ("relative", "old", "new", "problem"),
    [
        ("treatments/nerve-block.md", "+++\nA nerve", "A nerve", "two '+++' lines"),
        ("treatments/nerve-block.md", 'name = "Nerve block"', 'name = "Nerve', "not valid TOML"),
        ("treatments/nerve-block.md", "sort_order = 60\n", "", "lacks 'sort_order'"),
        ("treatments/nerve-block.md", "sort_order = 60", "sort_order = 60\nslug = 'x'", "'slug'"),
        ("treatments/nerve-block.md", "sort_order = 60", 'sort_order = "60"', "'sort_order'"),
        ("treatments/nerve-block.md", "last_reviewed = 2026-11-22", "last_reviewed = 2026-11-22T10:00:00", "'last_reviewed'"),  # noqa: E501
        ("treatments/nerve-block.md", 'summary = "An', 'summary = "' + "x" * 300, "'summary'"),
        ("conditions/epidural-fibrosis.md", '"nerve-block"', '"nerve-blocks"', "'treatments'"),
        ("boards.toml", '"American Board of Anesthesiology"', "1", "'ABA'"),
        ("treatments/nerve-block.es.md", 'name = "Bloqueo', 'name = "Bloqueo"\nsort_order = 1\n#', "'sort_order'"),  # noqa: E501
        ("treatments/nerve-block.es.md", 'summary = "', 'summaryy = "', "'summaryy'"),
        ("treatments/nerve-block.es.md", 'meta_description = "', 'meta_description = "' + "x" * 170, "'meta_description'"),  # noqa: E501
        ("treatments/nerve-block.es.md", "+++\nUn bloqueo", "Un bloqueo", "two '+++' lines"),
        ("treatments/nerve-block.es.md", 'name = "Bloqueo nervioso"', "name = Bloqueo", "not valid TOML"),  # noqa: E501
    ],
)
def test_a_malformed_file_fails_naming_the_file_and_writes_nothing(
    content, relative, old, new, problem
):
    _empty_catalog()
    _rewrite(content / relative, old, new)

    with pytest.raises(ContentError) as raised:
        catalog_load(directory=content)

    assert str(content / relative) in str(raised.value)
    assert problem in str(raised.value)
    assert not Treatment.objects.exists()


def test_a_body_less_page_is_malformed(content):
    path = content / "treatments" / "nerve-block.md"
    path.write_text(path.read_text(encoding="utf-8").split("\n+++\n")[0] + "\n+++\n\n")

    with pytest.raises(ContentError, match="no Markdown body"):
        catalog_load(directory=content)


# Spanish: <slug>.es.md next to each page, each language of a row owned apart -------------

SPANISH_FIELDS = ("name_es", "summary_es", "meta_description_es", "body_es")


def test_every_page_loads_its_spanish_file():
    fusion = Treatment.objects.get(slug="spinal-fusion")
    assert fusion.name_es == "Fusión espinal"
    assert fusion.body_es == _body(CONTENT_DIR / "treatments" / "spinal-fusion.es.md")
    assert Condition.objects.get(slug="failed-back-surgery-syndrome").name_es == (
        "Síndrome de cirugía de espalda fallida"
    )
    for page in (*Treatment.objects.all(), *Condition.objects.all()):
        assert all(getattr(page, name) for name in SPANISH_FIELDS), page.slug
        assert page.content_hash_es


def test_rows_from_before_spanish_get_it_on_the_next_load():
    # As the migration that added the Spanish fields leaves the rows.
    Treatment.objects.update(**dict.fromkeys((*SPANISH_FIELDS, "content_hash_es"), ""))
    Condition.objects.update(**dict.fromkeys((*SPANISH_FIELDS, "content_hash_es"), ""))

    assert catalog_load() == 14

    assert Treatment.objects.get(slug="nerve-block").name_es == "Bloqueo nervioso"
    assert catalog_load() == 0


def test_an_admin_owns_each_language_apart(content):
    block = Treatment.objects.get(slug="nerve-block")
    block.summary_es = "Nuestras propias palabras."
    block.save()
    fusion = Treatment.objects.get(slug="spinal-fusion")
    fusion.summary = "Our own words."
    fusion.save()
    _rewrite(content / "treatments" / "nerve-block.es.md", "Un bloqueo nervioso", "El bloqueo")
    _rewrite(content / "treatments" / "nerve-block.md", "+++\nA nerve", "+++\nOne nerve")
    _rewrite(content / "treatments" / "spinal-fusion.es.md", "La fusión espinal es", "Es")
    _rewrite(content / "treatments" / "spinal-fusion.md", "sort_order = 90", "sort_order = 95")

    assert catalog_load(directory=content) == 2

    block.refresh_from_db()
    assert block.summary_es == "Nuestras propias palabras."
    assert block.body_es.startswith("Un bloqueo nervioso")  # the admin's language: kept
    assert block.body.startswith("One nerve block")  # English: still the file's
    fusion.refresh_from_db()
    assert (fusion.summary, fusion.sort_order) == ("Our own words.", 90)
    assert fusion.body_es.startswith("Es una cirugía")


def test_a_spanish_field_an_admin_emptied_stays_empty():
    block = Treatment.objects.get(slug="nerve-block")
    block.body_es = ""
    block.save()

    assert catalog_load() == 0
    block.refresh_from_db()
    assert block.body_es == ""
    assert block.text_in("es").body_language == "en"


def test_a_page_without_a_spanish_file_shows_english_in_spanish(content):
    (content / "treatments" / "laminectomy.es.md").unlink()
    shutil.copy(content / "treatments" / "laminectomy.md", content / "treatments" / "x-ray.md")

    catalog_load(directory=content)

    added = Treatment.objects.get(slug="x-ray")
    assert [getattr(added, name) for name in SPANISH_FIELDS] == ["", "", "", ""]
    assert added.text_in("es").name == "Laminectomy"
    assert Treatment.objects.get(slug="laminectomy").name_es == "Laminectomía"


def test_a_spanish_file_without_its_english_page_is_malformed(content):
    shutil.copy(content / "treatments" / "discectomy.es.md", content / "treatments" / "x.es.md")

    with pytest.raises(ContentError, match=r"x\.es\.md: there is no English page x\.md"):
        catalog_load(directory=content)


def test_boards_and_insurance_plans_load_their_spanish_names():
    assert Board.objects.get(code="ABOS").name_es == "Junta Estadounidense de Cirugía Ortopédica"
    plan = InsurancePlan.objects.get(slug="workers-compensation")
    assert (plan.name, plan.name_es) == ("Workers' compensation", "Compensación de trabajadores")
    assert InsurancePlan.objects.get(slug="aetna").name_es == "Aetna"
    for row in (*Board.objects.all(), *InsurancePlan.objects.all()):
        assert row.name_es and row.content_hash_es, row
    assert plan.name_in("es") == "Compensación de trabajadores"
    assert plan.name_in("en") == "Workers' compensation"


def test_boards_and_plans_from_before_spanish_get_their_names_on_the_next_load():
    # As the migration that added ``name_es`` leaves the rows.
    Board.objects.update(name_es="", content_hash_es="")
    InsurancePlan.objects.update(name_es="", content_hash_es="")

    assert catalog_load() == Board.objects.count() + InsurancePlan.objects.count()

    assert Board.objects.get(code="ABA").name_es == "Junta Estadounidense de Anestesiología"
    assert catalog_load() == 0


def test_an_admin_owns_a_plans_spanish_name_apart_from_its_english_one(content):
    plan = InsurancePlan.objects.get(slug="self-pay")
    plan.name_es = "Pago directo (sin seguro)"
    plan.save()
    _rewrite(content / "insurance.es.toml", '"Pago por cuenta propia', '"Pago propio')
    _rewrite(content / "insurance.toml", '"Self-pay (no insurance)"', '"Self-pay"')

    assert catalog_load(directory=content) == 1

    plan.refresh_from_db()
    assert (plan.name, plan.name_es) == ("Self-pay", "Pago directo (sin seguro)")


def test_a_spanish_name_for_a_board_the_english_file_lacks_is_malformed(content):
    with (content / "boards.es.toml").open("a", encoding="utf-8") as names:
        names.write('XYZ = "Junta de nada"\n')

    with pytest.raises(ContentError, match=r"boards\.es\.toml: 'XYZ' is not in boards\.toml"):
        catalog_load(directory=content)
