"""`manage.py seed_demo`: a deterministic demo network, imported through the provider import.

Rows are generated as CSV in memory and fed to ``providers_import`` with source="demo", so
the demo exercises exactly the code path real provider files take. Institute names end in
"(demo)", specialist emails and institute websites use the reserved .example domain, and
phones are 555-01xx numbers (reserved for fiction) wherever the area code's numbering plan
allows it.

The facts patients filter on follow the country: Spanish is spoken in proportion to how
much it is spoken in the practice's state, other languages where their communities live
and with the surnames that suggest them, gender by each specialty's share of women, and
insurance per practice (colleagues at one institute take the same plans).
"""

import csv
import dataclasses
import datetime
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.phones import us_phone_to_e164
from geo.gazetteer import ZipPlace, located_zip_places
from specialists.importing import COLUMNS, OPTIONAL_EXTRA_COLUMNS, providers_import
from specialists.models import Institute, Specialist
from specialists.validators import npi_check_digit_is_valid

# 2020 census resident population (states, DC and the territories).
STATE_POPULATION_2020 = {
    "AL": 5_024_279, "AK": 733_391, "AZ": 7_151_502, "AR": 3_011_524, "CA": 39_538_223,
    "CO": 5_773_714, "CT": 3_605_944, "DE": 989_948, "DC": 689_545, "FL": 21_538_187,
    "GA": 10_711_908, "HI": 1_455_271, "ID": 1_839_106, "IL": 12_812_508, "IN": 6_785_528,
    "IA": 3_190_369, "KS": 2_937_880, "KY": 4_505_836, "LA": 4_657_757, "ME": 1_362_359,
    "MD": 6_177_224, "MA": 7_029_917, "MI": 10_077_331, "MN": 5_706_494, "MS": 2_961_279,
    "MO": 6_154_913, "MT": 1_084_225, "NE": 1_961_504, "NV": 3_104_614, "NH": 1_377_529,
    "NJ": 9_288_994, "NM": 2_117_522, "NY": 20_201_249, "NC": 10_439_388, "ND": 779_094,
    "OH": 11_799_448, "OK": 3_959_353, "OR": 4_237_256, "PA": 13_002_700, "RI": 1_097_379,
    "SC": 5_118_425, "SD": 886_667, "TN": 6_910_840, "TX": 29_145_505, "UT": 3_271_616,
    "VT": 643_077, "VA": 8_631_393, "WA": 7_705_281, "WV": 1_793_716, "WI": 5_893_718,
    "WY": 576_851, "PR": 3_285_874, "GU": 153_836, "VI": 87_146, "AS": 49_710, "MP": 47_329,
}  # fmt: skip

AREA_CODES = {
    "AL": (205, 251, 256, 334), "AK": (907,), "AZ": (480, 520, 602, 928), "AR": (479, 501, 870),
    "CA": (213, 310, 415, 510, 619, 714, 818, 916), "CO": (303, 719, 970), "CT": (203, 860),
    "DE": (302,), "DC": (202,), "FL": (305, 407, 561, 727, 813, 904), "GA": (404, 706, 912),
    "HI": (808,), "ID": (208,), "IL": (217, 312, 618, 847), "IN": (219, 317, 812),
    "IA": (319, 515, 712), "KS": (316, 785, 913), "KY": (270, 502, 859), "LA": (225, 318, 504),
    "ME": (207,), "MD": (301, 410), "MA": (413, 508, 617), "MI": (248, 313, 517, 616),
    "MN": (218, 612, 651), "MS": (228, 601, 662), "MO": (314, 417, 816), "MT": (406,),
    "NE": (308, 402), "NV": (702, 775), "NH": (603,), "NJ": (201, 609, 732, 973),
    "NM": (505, 575), "NY": (212, 518, 585, 716, 718), "NC": (336, 704, 919), "ND": (701,),
    "OH": (216, 513, 614, 937), "OK": (405, 918), "OR": (503, 541), "PA": (215, 412, 717),
    "RI": (401,), "SC": (803, 843, 864), "SD": (605,), "TN": (423, 615, 901), "TX": (210, 214,
    512, 713, 817, 915), "UT": (435, 801), "VT": (802,), "VA": (540, 703, 757, 804),
    "WA": (206, 425, 509), "WV": (304,), "WI": (414, 608, 920), "WY": (307,), "PR": (787, 939),
    "GU": (671,), "VI": (340,), "AS": (684,), "MP": (670,),
}  # fmt: skip


# Share of residents aged 5 and over who speak Spanish at home (American Community Survey,
# 2017-2021 estimates, rounded).
SPANISH_AT_HOME = {
    "AL": 0.04, "AK": 0.04, "AZ": 0.20, "AR": 0.06, "CA": 0.28, "CO": 0.11, "CT": 0.12,
    "DE": 0.07, "DC": 0.08, "FL": 0.22, "GA": 0.08, "HI": 0.02, "ID": 0.07, "IL": 0.13,
    "IN": 0.05, "IA": 0.04, "KS": 0.08, "KY": 0.03, "LA": 0.04, "ME": 0.01, "MD": 0.08,
    "MA": 0.09, "MI": 0.03, "MN": 0.04, "MS": 0.02, "MO": 0.03, "MT": 0.01, "NE": 0.08,
    "NV": 0.21, "NH": 0.02, "NJ": 0.17, "NM": 0.26, "NY": 0.15, "NC": 0.08, "ND": 0.02,
    "OH": 0.03, "OK": 0.07, "OR": 0.09, "PA": 0.05, "RI": 0.12, "SC": 0.05, "SD": 0.02,
    "TN": 0.05, "TX": 0.29, "UT": 0.09, "VT": 0.01, "VA": 0.07, "WA": 0.08, "WV": 0.01,
    "WI": 0.04, "WY": 0.06, "PR": 0.94, "GU": 0.01, "VI": 0.17, "AS": 0.0, "MP": 0.0,
}  # fmt: skip
# Other languages a specialist speaks with patients: (code, chance anywhere, chance in the
# states where its speakers are many).
OTHER_LANGUAGES = (
    ("zh", 0.015, {"CA": 0.06, "NY": 0.05, "MA": 0.03, "WA": 0.03, "NJ": 0.03, "HI": 0.03}),
    ("vi", 0.005, {"CA": 0.03, "TX": 0.02, "WA": 0.02}),
    ("tl", 0.008, {"HI": 0.06, "CA": 0.03, "NV": 0.03, "GU": 0.2, "MP": 0.1}),
    ("ko", 0.006, {"CA": 0.02, "NY": 0.02, "NJ": 0.02, "HI": 0.02}),
    ("ar", 0.012, {"MI": 0.04}),
    ("hi", 0.04, {}),
    ("ru", 0.012, {"NY": 0.04}),
    ("fr", 0.015, {"LA": 0.04, "ME": 0.04}),
    ("ht", 0.002, {"FL": 0.03, "NY": 0.02, "MA": 0.02}),
    ("pt", 0.006, {"MA": 0.04, "RI": 0.04, "NJ": 0.03}),
    ("de", 0.01, {}),
    ("it", 0.008, {}),
    ("pl", 0.004, {"IL": 0.03}),
    ("fa", 0.006, {"CA": 0.02}),
    ("ja", 0.002, {"HI": 0.04}),
    ("ch", 0.0, {"GU": 0.4, "MP": 0.3}),
    ("sm", 0.0, {"AS": 0.9}),
    ("nv", 0.0, {"AZ": 0.005, "NM": 0.01}),
)
HISPANIC_SURNAMES = frozenset({
    "Alvarez", "Cruz", "Diaz", "Flores", "Garcia", "Gomez", "Hernandez", "Lopez", "Martinez",
    "Morales", "Ortiz", "Perez", "Ramirez", "Reyes", "Rivera", "Rodriguez", "Sanchez", "Torres",
})  # fmt: skip
SURNAME_LANGUAGES = {
    "Nguyen": ("vi",), "Chen": ("zh",), "Wang": ("zh",), "Zhang": ("zh",), "Chang": ("zh",),
    "Kim": ("ko",), "Park": ("ko",), "Patel": ("gu", "hi"), "Shah": ("gu", "hi"),
    "Gupta": ("hi",), "Kapoor": ("hi",), "Singh": ("pa", "hi"), "Ahmed": ("ar", "ur"),
    "Tanaka": ("ja",), "Ito": ("ja",), "Rossi": ("it",), "Schmidt": ("de",),
    "Fischer": ("de",), "Okafor": ("ig",), "Novak": ("cs",), "Cohen": ("he",),
}  # fmt: skip
FEMALE_FIRST_NAMES = frozenset({
    "Aisha", "Amelia", "Anjali", "Camila", "Chloe", "Elena", "Emily", "Fatima", "Grace",
    "Hannah", "Isabel", "Jasmine", "Julia", "Laura", "Leila", "Maria", "Maya", "Nadia",
    "Olivia", "Priya", "Rachel", "Rebecca", "Sarah", "Sofia", "Victoria", "Zoe",
})  # fmt: skip
# Insurance a practice takes: (slug, chance). Kaiser Permanente only where it runs plans.
INSURANCE_CHANCES = (
    ("medicare", 0.92), ("medicaid", 0.55), ("tricare", 0.4), ("workers-compensation", 0.6),
    ("self-pay", 0.95), ("aetna", 0.75), ("blue-cross-blue-shield", 0.85), ("cigna", 0.7),
    ("humana", 0.5), ("molina-healthcare", 0.25), ("oscar-health", 0.2),
    ("unitedhealthcare", 0.8),
)  # fmt: skip
KAISER_STATES = frozenset({"CA", "CO", "GA", "HI", "MD", "VA", "DC", "OR", "WA"})
OPENING_HOURS = (
    "Mo-Fr 08:00-17:00",
    "Mo-Fr 07:30-16:30",
    "Mo-Th 08:00-17:00\nFr 08:00-12:00",
    "Mo-Fr 08:00-18:00\nSa 09:00-13:00",
)


@dataclass(frozen=True)
class _Specialty:
    name: str
    weight: int
    md_board: str
    do_board: str
    extra_board: str | None
    treatments: tuple[str, ...]
    # Share of women (AAMC physician workforce figures) and of practices offering telehealth.
    women: float = 0.2
    telehealth: float = 0.4


_SURGERY = (
    "spinal-fusion",
    "discectomy",
    "laminectomy",
    "minimally-invasive-spine-surgery",
    "revision-spine-surgery",
    "spinal-hardware-removal",
)
_INTERVENTIONAL = (
    "epidural-steroid-injection",
    "nerve-block",
    "radiofrequency-ablation",
    "spinal-cord-stimulation",
)
SPECIALTIES = (
    _Specialty(
        "Orthopaedic spine surgery", 30, "ABOS", "AOBOS", None, _SURGERY, women=0.06, telehealth=0.3
    ),
    _Specialty(
        "Neurosurgery",
        20,
        "ABNS",
        "ABNS",
        None,
        (*_SURGERY, "spinal-cord-stimulation", "intrathecal-drug-delivery"),
        women=0.1,
        telehealth=0.35,
    ),
    _Specialty(
        "Pain medicine",
        22,
        "ABA",
        "ABA",
        "ABPMR",
        (*_INTERVENTIONAL, "intrathecal-drug-delivery"),
        women=0.22,
        telehealth=0.5,
    ),
    _Specialty(
        "Physical medicine and rehabilitation",
        20,
        "ABPMR",
        "ABPMR",
        None,
        ("physical-therapy", *_INTERVENTIONAL),
        women=0.38,
        telehealth=0.55,
    ),
    _Specialty(
        "Neurology (pain medicine)",
        8,
        "ABPN",
        "ABPN",
        None,
        ("nerve-block", "epidural-steroid-injection", "radiofrequency-ablation"),
        women=0.35,
        telehealth=0.6,
    ),
)
_SPECIALTY_WEIGHTS = [specialty.weight for specialty in SPECIALTIES]
# The first rows cover every specialty, board and treatment, whatever the network's size.
_COVERAGE = (("MD", 0), ("DO", 0), ("MD", 1), ("MD", 2), ("MD", 3), ("MD", 4))

FIRST_NAMES = (
    "Aisha", "Alejandro", "Amelia", "Andrew", "Anjali", "Benjamin", "Camila", "Carlos", "Chen",
    "Chloe", "Daniel", "David", "Diego", "Elena", "Emily", "Ethan", "Fatima", "Gabriel", "Grace",
    "Hannah", "Hiroshi", "Isabel", "Jacob", "James", "Jasmine", "Javier", "Julia", "Kevin",
    "Laura", "Leila", "Lucas", "Maria", "Mateo", "Maya", "Michael", "Mohammed", "Nadia", "Nathan",
    "Olivia", "Omar", "Priya", "Rachel", "Rafael", "Rebecca", "Samuel", "Sarah", "Sofia", "Thomas",
    "Victoria", "William", "Yusuf", "Zoe"
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Ahmed", "Alvarez", "Anderson", "Baker", "Bennett", "Brooks", "Campbell", "Carter",
    "Chang", "Chen", "Clark", "Cohen", "Collins", "Cruz", "Davis", "Diaz", "Edwards", "Evans",
    "Fischer", "Flores", "Foster", "Garcia", "Gomez", "Gupta", "Hall", "Harris", "Hernandez",
    "Hill", "Hughes", "Ito", "Jackson", "Johnson", "Kapoor", "Kelly", "Kim", "Lee", "Lewis",
    "Lopez", "Martin", "Martinez", "Mitchell", "Moore", "Morales", "Murphy", "Nguyen", "Novak",
    "Okafor", "Ortiz", "Park", "Patel", "Perez", "Phillips", "Ramirez", "Reed", "Reyes", "Rivera",
    "Roberts", "Robinson", "Rodriguez", "Rossi", "Russell", "Sanchez", "Schmidt", "Shah", "Singh",
    "Smith", "Sullivan", "Tanaka", "Taylor", "Thompson", "Torres", "Turner", "Walker", "Wang",
    "Washington", "White", "Williams", "Wilson", "Wright", "Young", "Zhang"
)  # fmt: skip
STREETS = (
    "Medical Center Dr",
    "Hospital Way",
    "Health Pkwy",
    "Main St",
    "Oak Ave",
    "Park Blvd",
    "Wellness Ct",
    "University Ave",
    "Lakeview Dr",
    "Commerce St",
)
INSTITUTE_PATTERNS = (
    "{city} Spine Institute",
    "{city} Spine & Pain Center",
    "Spine Care of {city}",
    "{city} Neurosurgery & Spine",
    "{city} Orthopaedic Spine Associates",
)
NPI_STEM_BASE = 80_000_000


def demo_npi(number: int) -> str:
    """The demo network's ``number``-th NPI: a valid check digit, stable across runs."""
    base = f"1{NPI_STEM_BASE + number:08d}"
    return next(base + str(d) for d in range(10) if npi_check_digit_is_valid(base + str(d)))


@dataclass(frozen=True)
class _Practice:
    place: ZipPlace
    line1: str
    latitude: float
    longitude: float
    institute: str
    phone: str


_FIRST_NAMES_BY_GENDER = {
    "F": [name for name in FIRST_NAMES if name in FEMALE_FIRST_NAMES],
    "M": [name for name in FIRST_NAMES if name not in FEMALE_FIRST_NAMES],
}


def _languages(rng: random.Random, state: str, first_name: str, last_name: str) -> list[str]:
    """English, and what else this specialist plausibly speaks with patients."""
    spoken = {"en"}
    spanish = 0.04 + 0.9 * SPANISH_AT_HOME[state]
    if last_name in HISPANIC_SURNAMES:
        spanish = max(spanish, 0.85)
    if rng.random() < spanish:
        spoken.add("es")
    for code, anywhere, states in OTHER_LANGUAGES:
        if rng.random() < states.get(state, anywhere):
            spoken.add(code)
    for code in SURNAME_LANGUAGES.get(last_name, ()):
        if rng.random() < 0.6:
            spoken.add(code)
    return sorted(spoken)


class _Generator:
    def __init__(self, *, seed: int, today: datetime.date):
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        by_state: dict[str, list[ZipPlace]] = {}
        for place in located_zip_places():
            if place.state in STATE_POPULATION_2020:
                by_state.setdefault(place.state, []).append(place)
        self.states = sorted(by_state)
        self.places = by_state
        self.weights = [STATE_POPULATION_2020[state] for state in self.states]
        self.phone_exchanges: dict[int, str] = {}

    def place(self) -> ZipPlace:
        state = self.rng.choices(self.states, weights=self.weights)[0]
        return self.rng.choice(self.places[state])

    def phone(self, state: str) -> str:
        area = self.rng.choice(AREA_CODES[state])
        line = self.rng.randrange(100, 200)
        if area not in self.phone_exchanges:
            self.phone_exchanges[area] = _exchange_for(area)
        return f"({area}) {self.phone_exchanges[area]}-{line:04d}"

    def practice(self, institute: str = "") -> _Practice:
        place = self.place()
        return _Practice(
            place=place,
            line1=f"{self.rng.randrange(100, 9900)} {self.rng.choice(STREETS)}",
            latitude=round(place.latitude + self.rng.uniform(-0.02, 0.02), 5),
            longitude=round(place.longitude + self.rng.uniform(-0.02, 0.02), 5),
            institute=institute,
            phone=self.phone(place.state),
        )

    def institutes(self, count: int) -> list[_Practice]:
        practices, names = [], set()
        for number in range(count):
            practice = self.practice()
            city = practice.place.city
            candidates = [pattern.format(city=city) for pattern in INSTITUTE_PATTERNS]
            name = next((c for c in candidates if c not in names), f"{candidates[0]} {number}")
            names.add(name)
            practices.append(dataclasses.replace(practice, institute=f"{name} (demo)"))
        return practices

    def expiry(self) -> str:
        roll = self.rng.random()
        if roll < 0.07:
            return (self.today - datetime.timedelta(days=self.rng.randrange(1, 900))).isoformat()
        if roll < 0.12:
            return (self.today + datetime.timedelta(days=self.rng.randrange(0, 90))).isoformat()
        if roll < 0.30:
            return ""
        return (self.today + datetime.timedelta(days=self.rng.randrange(90, 3650))).isoformat()

    def rows(self, *, specialists: int, institutes: int) -> Iterator[dict]:
        practices = self.institutes(institutes)
        affiliated = 0
        for number in range(specialists):
            if number < len(_COVERAGE):
                credentials, index = _COVERAGE[number]
                specialty = SPECIALTIES[index]
                treatments = list(specialty.treatments)
            else:
                specialty = self.rng.choices(SPECIALTIES, weights=_SPECIALTY_WEIGHTS)[0]
                credentials = "DO" if self.rng.random() < 0.2 else "MD"
                size = self.rng.randrange(2, len(specialty.treatments) + 1)
                treatments = self.rng.sample(specialty.treatments, size)
            board = specialty.do_board if credentials == "DO" else specialty.md_board
            boards = [f"{board}:{self.expiry()}".rstrip(":")]
            if specialty.extra_board and (number == 3 or self.rng.random() < 0.25):
                boards.append(f"{specialty.extra_board}:{self.expiry()}".rstrip(":"))
            independent = not practices or self.rng.random() < 0.25
            if independent:
                practice = self.practice()
            else:
                # Every institute gets a specialist before any gets a second one.
                practice = (
                    practices[affiliated]
                    if affiliated < len(practices)
                    else self.rng.choice(practices)
                )
                affiliated += 1
            npi = demo_npi(number)
            # The facts get their own stream, so adding one never reshuffles the network.
            facts = random.Random(f"{self.seed}:{npi}")
            gender = "F" if facts.random() < specialty.women else "M"
            first_name = self.rng.choice(_FIRST_NAMES_BY_GENDER[gender])
            last_name = self.rng.choice(LAST_NAMES)
            yield {
                "npi": npi,
                "first_name": first_name,
                "last_name": last_name,
                "credentials": credentials,
                "specialty": specialty.name,
                "institute": practice.institute,
                "address_line1": practice.line1,
                "address_line2": "" if independent else f"Suite {self.rng.randrange(100, 500)}",
                "city": practice.place.city,
                "state": practice.place.state,
                "zip": practice.place.zip,
                "phone": practice.phone,
                "latitude": practice.latitude,
                "longitude": practice.longitude,
                "treatments": ";".join(treatments),
                "boards": ";".join(boards),
                "accepting_new_patients": "no" if self.rng.random() < 0.15 else "yes",
                "active": "no" if number >= len(_COVERAGE) and self.rng.random() < 0.04 else "yes",
                "email": f"intake-{npi}@demo.spinematch.example",
                "languages": ";".join(
                    _languages(facts, practice.place.state, first_name, last_name)
                ),
                # A few listings do not state it, as in NPPES.
                "gender": "" if facts.random() < 0.03 else gender,
                "telehealth": "yes" if facts.random() < specialty.telehealth else "no",
                "insurance": ";".join(
                    self.insurance(practice.institute or npi, practice.place.state)
                ),
            }

    def insurance(self, practice: str, state: str) -> list[str]:
        """The plans a practice takes: the same for every specialist at an institute."""
        rng = random.Random(f"{self.seed}:plans:{practice}")
        plans = [slug for slug, chance in INSURANCE_CHANCES if rng.random() < chance]
        if state in KAISER_STATES and rng.random() < 0.15:
            plans.append("kaiser-permanente")
        return plans


def _exchange_for(area: int) -> str:
    """555 (fictional 555-01xx) when the area's numbering plan accepts it, else the first
    exchange it accepts, so every demo phone passes the same validation as real ones."""
    for exchange in ("555", *(f"{n}" for n in range(200, 1000))):
        try:
            us_phone_to_e164(f"({area}) {exchange}-0100")
        except ValidationError:
            continue
        return exchange
    raise CommandError(f"No valid exchange for area code {area}.")


def demo_rows(
    *, specialists: int, institutes: int, seed: int, today: datetime.date
) -> Iterator[dict]:
    """The demo network's provider rows (the import's CSV columns), deterministic in its
    arguments."""
    return _Generator(seed=seed, today=today).rows(specialists=specialists, institutes=institutes)


# Every column the demo rows fill: the contract's and the optional ones.
DEMO_COLUMNS = (*COLUMNS, *OPTIONAL_EXTRA_COLUMNS)


def demo_csv(*, specialists: int, institutes: int, seed: int, today: datetime.date) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DEMO_COLUMNS)
    writer.writeheader()
    writer.writerows(
        demo_rows(specialists=specialists, institutes=institutes, seed=seed, today=today)
    )
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Create (or refresh) the deterministic demo network through the provider import."

    def add_arguments(self, parser):
        parser.add_argument("--specialists", type=int, default=2000)
        parser.add_argument("--institutes", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any specialist exists (used by `make run`)",
        )

    def handle(self, *args, specialists, institutes, seed, if_empty, **options):
        if specialists < 0 or institutes < 0:
            raise CommandError("--specialists and --institutes must be zero or more.")
        if if_empty and Specialist.objects.exists():
            self.stdout.write("Specialists already exist; demo data not loaded.")
            return
        text = demo_csv(
            specialists=specialists,
            institutes=institutes,
            seed=seed,
            today=timezone.localdate(),
        )
        report = providers_import(csv_file=io.StringIO(text), source="demo")
        if report.rejected:
            raise CommandError(
                "Demo rows were rejected: " + "; ".join(map(str, report.rejections[:5]))
            )
        demo_institutes_describe(seed=seed)
        self.stdout.write(f"Demo network (seed {seed}): {report.summary()}")


def demo_institutes_describe(*, seed: int) -> int:
    """Give demo institutes without them a description, opening hours and most a website
    (the import has no columns for them); returns how many were filled."""
    described = []
    for institute in Institute.objects.filter(source="demo", description="").prefetch_related(
        "specialists"
    ):
        rng = random.Random(f"{seed}:institute:{institute.name}")
        specialties = sorted({member.specialty.lower() for member in institute.specialists.all()})
        institute.description = (
            f"A demonstration spine practice in {institute.city}, {institute.state}"
            + (f" bringing together {_joined(specialties)}" if specialties else "")
            + ". It is not a real provider."
        )
        institute.opening_hours = rng.choice(OPENING_HOURS)
        if rng.random() < 0.7:
            institute.website = f"https://{institute.slug.removesuffix('-demo')}.example/"
        described.append(institute)
    Institute.objects.bulk_update(described, ["description", "opening_hours", "website"])
    return len(described)


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
