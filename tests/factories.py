"""Builders for test data. Each returns saved rows with sensible, valid defaults."""

import datetime
import itertools

from django.utils.text import slugify

from specialists.models import (
    Board,
    BoardCertification,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
)
from specialists.validators import npi_check_digit_is_valid

_sequence = itertools.count(1)


def valid_npi(stem: int) -> str:
    """A 10-digit NPI with a correct check digit, unique for each ``stem`` below 10**8."""
    base = f"1{stem:08d}"
    for check in range(10):
        candidate = f"{base}{check}"
        if npi_check_digit_is_valid(candidate):
            return candidate
    raise AssertionError("unreachable: one check digit always fits")


def make_institute(*, name=None, latitude=40.7484, longitude=-73.9967, active=True, **fields):
    n = next(_sequence)
    name = name or f"Test Spine Institute {n}"
    defaults = {
        "slug": slugify(name),
        "address_line1": f"{n} Main St",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "phone": "+12125550123",
    }
    defaults.update(fields)
    return Institute.objects.create(
        name=name, latitude=latitude, longitude=longitude, active=active, **defaults
    )


def make_specialist(
    *,
    latitude=40.7484,
    longitude=-73.9967,
    boards=("ABOS",),
    expires_on=None,
    treatments=("spinal-cord-stimulation",),
    active=True,
    insurance=(),
    **fields,
):
    """A specialist; ``boards`` are certified until ``expires_on`` (None: no expiry);
    ``insurance``: plan slugs accepted."""
    n = next(_sequence)
    defaults = {
        "npi": valid_npi(n),
        "first_name": "Test",
        "last_name": f"Doctor{n:05d}",
        "credentials": "MD",
        "specialty": "Orthopaedic spine surgery",
        "address_line1": f"{n} Broadway",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "phone": "+12125550100",
    }
    defaults.update(fields)
    defaults.setdefault(
        "slug", slugify(f"{defaults['first_name']} {defaults['last_name']} {defaults['npi']}")
    )
    specialist = Specialist.objects.create(
        latitude=latitude, longitude=longitude, active=active, **defaults
    )
    for code in boards:
        BoardCertification.objects.create(
            specialist=specialist,
            board=Board.objects.get(code=code),
            certified_since=datetime.date(2015, 1, 1),
            expires_on=expires_on,
        )
    if treatments:
        specialist.treatments.set(Treatment.objects.filter(slug__in=treatments))
    if insurance:
        specialist.insurance.set(InsurancePlan.objects.filter(slug__in=insurance))
    return specialist
