"""The sitemap: home, every content page, every active specialist and institute."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from specialists.models import Condition, Institute, Specialist, Treatment


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


class SpecialistSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Specialist.objects.filter(active=True).only("slug", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


class InstituteSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Institute.objects.filter(active=True).only("slug", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "pages": HomeSitemap,
    "treatments": TreatmentSitemap,
    "conditions": ConditionSitemap,
    "specialists": SpecialistSitemap,
    "institutes": InstituteSitemap,
}
