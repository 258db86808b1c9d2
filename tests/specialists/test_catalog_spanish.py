"""The Spanish pages of the catalog come from <slug>.es.md next to each English file, and
an admin owns each language of a row apart."""

import shutil

import pytest

from specialists.catalog import CONTENT_DIR, ContentError, catalog_load
from specialists.models import Condition, Treatment

pytestmark = pytest.mark.django_db

SPANISH_FIELDS = ("name_es", "summary_es", "meta_description_es", "body_es")


@pytest.fixture
def content(tmp_path):
    return shutil.copytree(CONTENT_DIR, tmp_path / "content")


def _rewrite(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _spanish_body(path) -> str:
    return path.read_text(encoding="utf-8").split("\n+++\n", 1)[1]


def test_every_page_loads_its_spanish_file():
    fusion = Treatment.objects.get(slug="spinal-fusion")
    assert fusion.name_es == "Fusión espinal"
    assert fusion.body_es == _spanish_body(CONTENT_DIR / "treatments" / "spinal-fusion.es.md")
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


@pytest.mark.parametrize(
    ("relative", "old", "new", "problem"),
    [
        ("treatments/nerve-block.es.md", 'name = "Bloqueo', 'name = "Bloqueo"\nsort_order = 1\n#', "'sort_order'"),  # noqa: E501
        ("treatments/nerve-block.es.md", 'summary = "', 'summaryy = "', "'summaryy'"),
        ("treatments/nerve-block.es.md", 'meta_description = "', 'meta_description = "' + "x" * 170, "'meta_description'"),  # noqa: E501
        ("treatments/nerve-block.es.md", "+++\nUn bloqueo", "Un bloqueo", "two '+++' lines"),
        ("treatments/nerve-block.es.md", 'name = "Bloqueo nervioso"', "name = Bloqueo", "not valid TOML"),  # noqa: E501
    ],
)
def test_a_malformed_spanish_file_fails_naming_it_and_writes_nothing(
    content, relative, old, new, problem
):
    Condition.objects.all().delete()
    Treatment.objects.all().delete()
    _rewrite(content / relative, old, new)

    with pytest.raises(ContentError) as raised:
        catalog_load(directory=content)

    assert str(content / relative) in str(raised.value)
    assert problem in str(raised.value)
    assert not Treatment.objects.exists()


def test_a_spanish_file_without_its_english_page_is_malformed(content):
    shutil.copy(content / "treatments" / "discectomy.es.md", content / "treatments" / "x.es.md")

    with pytest.raises(ContentError, match=r"x\.es\.md: there is no English page x\.md"):
        catalog_load(directory=content)
