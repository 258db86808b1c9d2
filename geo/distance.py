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


def great_circle_distances(
    lat1: float, lon1: float, latitudes, longitudes, *, unit: str = DEFAULT_UNIT
) -> list[float]:
    """``great_circle_distance`` from one point to each of many, the same arithmetic in the
    same order (equal to the last bit), without a call per point: a search ranks its
    candidates with it."""
    sin, cos, radians = math.sin, math.cos, math.radians
    phi1 = radians(lat1)
    cos_phi1 = cos(phi1)
    radius = EARTH_RADIUS[unit]
    distances = []
    for lat2, lon2 in zip(latitudes, longitudes, strict=True):
        phi2 = radians(lat2)
        h = sin((phi2 - phi1) / 2) ** 2 + cos_phi1 * cos(phi2) * sin(radians(lon2 - lon1) / 2) ** 2
        distances.append(2 * math.asin(math.sqrt(min(1.0, h))) * radius)
    return distances


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


def unit_vector(latitude: float, longitude: float) -> np.ndarray:
    """``unit_vectors`` of one point, without the array machinery (a search's origin)."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    cos_phi = math.cos(phi)
    return np.array((cos_phi * math.cos(lam), cos_phi * math.sin(lam), math.sin(phi)))


def angle_to_chord(angle: float) -> float:
    """Straight-line distance through the unit sphere between points ``angle`` apart."""
    if angle >= math.pi:
        return 2.0
    return 2.0 * math.sin(angle / 2.0)
