"""Great-circle distance: the one definition of "distance" the site uses.

Distances are computed on a sphere with the IUGG mean Earth radius, by the haversine
formula (accurate at every scale, including points a few metres apart). The search index
works on 3-D unit vectors, where the straight-line (chord) distance grows monotonically
with the great-circle distance, so the 180th meridian and the poles need no special case.
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS = {"mi": 3958.7613, "km": 6371.0088}
UNITS = tuple(EARTH_RADIUS)
DEFAULT_UNIT = "mi"


def central_angle(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The angle in radians between two points given in degrees (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * math.asin(math.sqrt(min(1.0, h)))


def great_circle_distance(
    lat1: float, lon1: float, lat2: float, lon2: float, *, unit: str = DEFAULT_UNIT
) -> float:
    """Exact (unrounded) great-circle distance in ``unit`` ("mi" or "km")."""
    return central_angle(lat1, lon1, lat2, lon2) * EARTH_RADIUS[unit]


def distance_to_angle(distance: float, *, unit: str = DEFAULT_UNIT) -> float:
    return distance / EARTH_RADIUS[unit]


def rounded(distance: float) -> float:
    """A distance as shown to people and in the API: to 0.1 of its unit."""
    return round(distance, 1)


def convert(distance: float, *, from_unit: str, to_unit: str) -> float:
    return distance / EARTH_RADIUS[from_unit] * EARTH_RADIUS[to_unit]


def unit_vectors(latitudes, longitudes) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3), for arrays of degrees."""
    phi = np.radians(np.asarray(latitudes, dtype=np.float64))
    lam = np.radians(np.asarray(longitudes, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def angle_to_chord(angle: float) -> float:
    """Straight-line distance through the unit sphere between points ``angle`` apart."""
    if angle >= math.pi:
        return 2.0
    return 2.0 * math.sin(angle / 2.0)
