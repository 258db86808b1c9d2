import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached menus must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_match_index(settings):
    """Each test rolls its rows back, which rewinds the directory version the in-memory
    match index is keyed on; drop the index so no test sees another test's specialists,
    and have every search read the version so a test sees its own changes at once."""
    from matcher.index import forget

    settings.MATCH_INDEX_RECHECK_SECONDS = 0
    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def _default_language_between_tests():
    """The locale middleware leaves a request's language active in its thread after the
    response, as in any server; each test starts in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()
