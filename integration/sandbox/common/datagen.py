"""Deterministic fake business data: the same seed always builds the same company.

Demo data must be realistic enough to exercise aging and reminders, and reproducible so a
failing test or a demo can be replayed; everything is drawn from one random.Random(seed),
including the UUIDs.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")

CENT = Decimal("0.01")

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Amelia",
    "Noah",
    "Isla",
    "Jack",
    "Ava",
    "Oliver",
    "Mia",
    "Leo",
    "Grace",
    "Lucas",
    "Chloe",
    "Hugo",
    "Zoe",
    "Mason",
    "Ruby",
    "Ethan",
    "Emily",
    "Arlo",
    "Sophie",
    "Harry",
    "Ella",
    "Theo",
    "Aroha",
    "Nikau",
    "Priya",
    "Wei",
    "Fatima",
    "Mateo",
    "Ngaio",
    "Tama",
    "Claire",
    "Louis",
    "Ines",
    "Sam",
)
LAST_NAMES = (
    "Smith",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thompson",
    "Walker",
    "Harris",
    "Martin",
    "Ngata",
    "Patel",
    "Chen",
    "Singh",
    "Kaur",
    "Murphy",
    "O'Brien",
    "Kelly",
    "Dubois",
    "Moreau",
    "Rossi",
    "Nguyen",
    "Tane",
    "Campbell",
    "Stewart",
    "Clarke",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
)
BUSINESS_WORDS = (
    "Harbour",
    "Kiwi",
    "Summit",
    "Coastal",
    "Totara",
    "Pohutukawa",
    "Southern",
    "Alpine",
    "Riverside",
    "Urban",
    "Greenleaf",
    "Ironbark",
    "Bluewater",
    "Sunrise",
    "Cedar",
    "Fern",
    "Silver",
    "Redwood",
    "Northern",
    "Lakeside",
    "Golden",
    "Manuka",
    "Kauri",
    "Tasman",
    "Orchard",
    "Pacific",
    "Meadow",
)
BUSINESS_TRADES = (
    "Plumbing",
    "Electrical",
    "Cafe",
    "Joinery",
    "Landscaping",
    "Design",
    "Builders",
    "Motors",
    "Dental",
    "Physio",
    "Bakery",
    "Consulting",
    "Print",
    "Florist",
    "Vineyard",
    "Brewing",
    "Cleaning",
    "Logistics",
    "Architects",
    "Accounting",
    "Fitness",
    "Catering",
    "Interiors",
    "Roofing",
    "Signs",
    "Engineering",
)
BUSINESS_SUFFIXES = ("Ltd", "Limited", "& Co", "Group", "Services", "Studio", "Partners", "Supplies")
STREETS = (
    "Queen St",
    "High St",
    "Victoria Ave",
    "Main Rd",
    "Beach Rd",
    "Church St",
    "Station Rd",
    "Park Lane",
)
CITIES = ("Auckland", "Wellington", "Christchurch", "Hamilton", "Tauranga", "Dunedin", "Nelson", "Napier")


class DataGenerator:
    """A seeded source of names, money, dates and ids."""

    def __init__(self, seed: int | str) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def child(self, label: str) -> DataGenerator:
        """An independent stream, so adding data of one kind does not shift another kind."""
        return DataGenerator(f"{self.seed}/{label}")

    def uuid(self) -> str:
        """A deterministic version-4 UUID string."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def choice(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return self.rng.choice(items)

    def weighted(self, weights: dict[T, float]) -> T:
        """One key, with probability proportional to its weight."""
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.rng.random() < probability

    def person_name(self) -> tuple[str, str]:
        """(first, last)."""
        return self.choice(FIRST_NAMES), self.choice(LAST_NAMES)

    def business_name(self) -> str:
        """A plausible small-business customer name."""
        return (
            f"{self.choice(BUSINESS_WORDS)} {self.choice(BUSINESS_TRADES)} {self.choice(BUSINESS_SUFFIXES)}"
        )

    def email(self, first: str, name: str) -> str:
        """An address on a domain derived from the business name."""
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "example"
        local = "".join(ch for ch in first.lower() if ch.isalnum()) or "accounts"
        return f"{local}@{domain}.example.com"

    def phone(self) -> str:
        """A local phone number."""
        return f"{self.rng.randint(200, 999)}-{self.rng.randint(1000, 9999)}"

    def street_address(self) -> tuple[str, str, str]:
        """(line 1, city, postcode)."""
        return (
            f"{self.rng.randint(1, 400)} {self.choice(STREETS)}",
            self.choice(CITIES),
            f"{self.rng.randint(1000, 9999)}",
        )

    def money(self, low: Decimal | float, high: Decimal | float) -> Decimal:
        """An amount in [low, high], to the cent, skewed towards the low end like real invoices."""
        low_d, high_d = Decimal(str(low)), Decimal(str(high))
        fraction = Decimal(str(self.rng.random() ** 2))
        return (low_d + (high_d - low_d) * fraction).quantize(CENT, rounding=ROUND_HALF_UP)

    def date_between(self, start: date, end: date) -> date:
        """A day in [start, end]."""
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))
