from django.core.cache import cache

from .models import Treatment

TREATMENT_MENU_CACHE_KEY = "treatment-menu-v1"


def treatment_menu() -> list[dict]:
    """Slug and name of every treatment, in catalog order; cached for a minute."""
    menu = cache.get(TREATMENT_MENU_CACHE_KEY)
    if menu is None:
        menu = list(Treatment.objects.order_by("sort_order", "name").values("slug", "name"))
        cache.set(TREATMENT_MENU_CACHE_KEY, menu, 60)
    return menu


def treatment_by_slug(slug: str) -> Treatment | None:
    return Treatment.objects.filter(slug=slug).first()
