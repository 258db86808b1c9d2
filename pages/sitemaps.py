"""The sitemap: home, every content page, every active specialist and institute, each in
every language, with its hreflang alternates (en, es and x-default, the English page)."""

from django.contrib import sitemaps
from django.urls import reverse
from django.utils.functional import cached_property

from specialists.models import Condition, Institute, Specialist, Treatment


class PagesInEveryLanguage:
    """``(item, language)`` for every item of a queryset and every language, sliced in the
    database: Django's own i18n sitemap lists every item in memory first, which a
    directory of a million specialists cannot afford."""

    def __init__(self, items, languages: list[str]):
        self.items = items
        self.languages = languages

    @cached_property
    def total(self) -> int:
        items = len(self.items) if isinstance(self.items, list) else self.items.count()
        return items * len(self.languages)

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple]:
        start, stop, _ = index.indices(self.total)
        per_item = len(self.languages)
        first, last = start // per_item, -(-stop // per_item)
        pairs = [
            (item, language)
            for item in self.items[first:last]
            for language in self.languages
        ]
        offset = first * per_item
        return pairs[start - offset : stop - offset]


class Sitemap(sitemaps.Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def _items(self):
        return PagesInEveryLanguage(self.items(), self._languages())


class HomeSitemap(Sitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self):
        return ["home"]

    def location(self, item):
        return reverse(item)


class ContentSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    model = None

    def items(self):
        return self.model.objects.order_by("sort_order", "slug")

    def lastmod(self, item):
        return item.updated_at


class TreatmentSitemap(ContentSitemap):
    model = Treatment


class ConditionSitemap(ContentSitemap):
    model = Condition


class ListingSitemap(Sitemap):
    """Active listings, oldest first, read with only what a sitemap entry needs."""

    changefreq = "weekly"
    model = None

    def items(self):
        return self.model.objects.filter(active=True).only("slug", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


class SpecialistSitemap(ListingSitemap):
    model = Specialist
    priority = 0.5


class InstituteSitemap(ListingSitemap):
    model = Institute
    priority = 0.6


SITEMAPS = {
    "pages": HomeSitemap,
    "treatments": TreatmentSitemap,
    "conditions": ConditionSitemap,
    "specialists": SpecialistSitemap,
    "institutes": InstituteSitemap,
}
