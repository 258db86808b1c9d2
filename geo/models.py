from django.db import models


class GeocodedAddress(models.Model):
    """Street-address geocoder answers, so each address costs the remote service once."""

    address_key = models.CharField(max_length=400, unique=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    geocoder = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "geocoded addresses"

    def __str__(self):
        return self.address_key
