from django.contrib import admin

from .models import GeocodedAddress


@admin.register(GeocodedAddress)
class GeocodedAddressAdmin(admin.ModelAdmin):
    """The street-geocoder cache, for checking an address; rows are written by imports."""

    list_display = ["address_key", "latitude", "longitude", "geocoder", "created_at"]
    search_fields = ["address_key"]
    list_filter = ["geocoder"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
