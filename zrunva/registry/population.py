"""Synthetic population: households, people, memberships and incomes over all 64 municipalities.

Everything is sampled in bulk with numpy and assembled with Polars; nothing loops over rows in
Python or the ORM. PostgreSQL is loaded with `COPY`, SQLite with `executemany`, one transaction
per batch, so a failed run leaves whole batches only; on PostgreSQL the tables are then ANALYZEd.
Ids are taken above the largest stored: run it on a registry nobody is writing to.

Reproducibility: households are generated in chunks of `CHUNK` households, and chunk `i` draws
from `numpy.random.default_rng([seed, i])`. `CHUNK` is therefore part of the data's definition
(changing it changes the data); `--batch` only groups whole chunks into transactions, so the same
seed gives the same people whatever the batch size or the database. Ids continue from the largest
id already stored, and personal numbers are a bijection of the person id, so a second run adds
people without collisions. Birth dates count back from today.

All distributions are illustrative, shaped after the figures in shared/DOMAIN.md (household
sizes, disability and IDP shares, 2026 old-age pension amounts); they are not statistics.
"""

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import polars as pl
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from faker.providers.person.ka_GE import Provider as GeorgianNames
from tqdm import tqdm

from zrunva.core.bulk import copy_text
from zrunva.core.romanisation import romanise, search_key
from zrunva.core.trail import bulk_run_log
from zrunva.geo.choices import SettlementKind
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry.choices import (
    DisabilityDegree,
    DwellingCondition,
    DwellingTenure,
    DwellingType,
    EmploymentStatus,
    IncomeKind,
    PensionKind,
    Relationship,
)
from zrunva.registry.models import (
    Household,
    IncomeSource,
    Membership,
    Person,
    georgian_name_validator,
)

logger = logging.getLogger(__name__)

CHUNK = 10_000  # households per random stream; part of the data's definition, see above
JOB = "generate_population"

# Personal numbers: PN_BASE + (id * PN_MULTIPLIER) mod PN_SPAN is a bijection of the id onto
# 10000000000..99999999999 (the multiplier is a prime that divides neither 2, 3 nor 5). The few
# that hit a number typed in by hand are moved to the 0-prefixed range, which the bijection never
# reaches. id * multiplier fits in 64 bits for ids below 1.1 billion.
PN_BASE = 10**10
PN_SPAN = 9 * 10**10
PN_MULTIPLIER = 7_919_191_927
PN_SPARE = 10**10

# Household sizes 1..8 (mean 3.31), after Geostat's household survey shape (illustrative).
SIZE_SHARES = (0.18, 0.20, 0.18, 0.20, 0.12, 0.07, 0.03, 0.02)
CENTRE_SHARE = 0.45
# Tbilisi's 22 villages hold a few per cent of the capital's people, not 55%.
CENTRE_SHARE_BY_CODE = {"tbilisi": 0.97}
SYNTHETIC_VILLAGES = 12
# IDPs cluster in Tbilisi, Samegrelo and Imereti (collective centres, Tserovani settlement);
# relative weights, scaled so about 7% of households are IDP (illustrative).
IDP_SHARE = 0.07
IDP_WEIGHT_BY_CODE = {
    "tbilisi": 1.4, "zugdidi": 4.0, "tskaltubo": 3.5, "tsalenjikha": 2.5, "senaki": 2.0,
    "khobi": 2.0, "poti": 2.0, "kutaisi": 1.5, "gori": 2.0, "mtskheta": 2.5, "rustavi": 1.2,
    "kareli": 1.5, "martvili": 1.5, "chkhorotsku": 1.5,
}  # fmt: skip
IDP_WEIGHT_OTHER = 0.4
# State old-age pension, 2026 (shared/DOMAIN.md): men from 65, women from 60.
PENSION_AGE = {"M": 65, "F": 60}
PENSION_UNDER_70 = 370
PENSION_FROM_70 = 495
PUBLIC_WORKS_WAGE = 300  # GEL a month since March 2022 (shared/DOMAIN.md)

# Frequent names first, then Faker's other names; weights fall as 1/(rank + k), so the commonest
# first name is about 7% of a sex, as გიორგი is among Georgian men (illustrative).
COMMON_MALE = (
    "გიორგი", "დავით", "ალექსანდრე", "ნიკოლოზ", "ირაკლი", "ლევან", "ზურაბ", "ლაშა", "დიმიტრი", "გელა",
)  # fmt: skip
COMMON_FEMALE = (
    "ნინო", "მარიამ", "ანა", "ელენე", "თამარ", "ნათია", "ეკატერინე", "მაია", "ქეთევან", "მანანა",
)  # fmt: skip
COMMON_LAST = (
    "ბერიძე", "კაპანაძე", "გელაშვილი", "მაისურაძე", "გიორგაძე", "ლომიძე", "ცინცაძე", "ბოლქვაძე",
    "კვარაცხელია", "ნოზაძე", "ჩხეიძე", "ხუციშვილი", "შენგელია", "აბაშიძე",
)  # fmt: skip
STREETS = (
    "რუსთაველის", "ჭავჭავაძის", "აღმაშენებლის", "წერეთლის", "ბარათაშვილის", "თამარ მეფის",
    "ნინოშვილის", "კოსტავას", "გამსახურდიას", "ვაჟა-ფშაველას", "გორგასლის", "მშვიდობის",
)  # fmt: skip

# Settlement kinds as generation sees them: the capital-like centres, town centres, villages.
CITY, TOWN, VILLAGE = 0, 1, 2


@dataclass(frozen=True)
class NameList:
    georgian: pl.Series
    latin: pl.Series
    key: pl.Series
    weights: np.ndarray


@dataclass(frozen=True)
class Reference:
    """Municipalities and settlements as arrays, read once per run."""

    municipality_id: np.ndarray
    municipality_weight: np.ndarray
    centre_share: np.ndarray
    idp_share: np.ndarray
    centre: np.ndarray  # settlement index of each municipality's centre, -1 if none
    village_start: np.ndarray  # index of the municipality's first synthetic village
    village_count: np.ndarray
    settlement_id: np.ndarray  # by settlement index; the last entry is NULL (-1)
    settlement_kind: np.ndarray
    settlement_highland: np.ndarray
    settlement_name: pl.Series


@dataclass(frozen=True)
class Names:
    male: NameList
    female: NameList
    last: NameList


@dataclass
class Ids:
    """Next free id of each table."""

    household: int
    person: int
    membership: int
    income: int


@dataclass(frozen=True)
class Frames:
    """One batch, as table-shaped frames whose columns are the database columns."""

    households: pl.DataFrame
    people: pl.DataFrame
    memberships: pl.DataFrame
    incomes: pl.DataFrame

    @staticmethod
    def concat(parts: list["Frames"]) -> "Frames":
        return Frames(*(pl.concat([getattr(p, f.name) for p in parts]) for f in fields(Frames)))


TABLES = {
    "households": Household,
    "people": Person,
    "memberships": Membership,
    "incomes": IncomeSource,
}


def _name_list(names, common: tuple[str, ...], spread: float) -> NameList:
    """Valid distinct names in a fixed order (common ones first) with Zipf-like weights."""
    valid = [n for n in dict.fromkeys(names) if georgian_name_validator.regex.match(n)]
    head = [n for n in common if n in valid]
    tail = [n for n in valid if n not in set(head)]
    # A fixed shuffle, not the run's seed: name frequencies are a property of the model.
    tail = [tail[i] for i in np.random.default_rng(0).permutation(len(tail))]
    ordered = head + tail
    weights = 1.0 / (np.arange(len(ordered)) + spread)
    return NameList(
        georgian=pl.Series(ordered, dtype=pl.String),
        latin=pl.Series([romanise(n) for n in ordered], dtype=pl.String),
        key=pl.Series([search_key(n) for n in ordered], dtype=pl.String),
        weights=weights / weights.sum(),
    )


def names_load() -> Names:
    return Names(
        male=_name_list(GeorgianNames.first_names_male, COMMON_MALE, 4.0),
        female=_name_list(GeorgianNames.first_names_female, COMMON_FEMALE, 4.0),
        last=_name_list(GeorgianNames.last_names, COMMON_LAST, 50.0),
    )


def _village_names(municipality: Municipality, number: int) -> tuple[str, str]:
    return f"{municipality.name_ka} — სოფელი {number}", f"{municipality.name_en} village {number}"


def villages_ensure(*, seed: int) -> int:
    """Create the synthetic villages that are missing (up to 12 per municipality). Returns how
    many were created. Highland flags: 80% in highland municipalities, 5% elsewhere
    (illustrative)."""
    municipalities = list(Municipality.objects.order_by("id"))
    wanted = {
        (m.id, _village_names(m, i)[0])
        for m in municipalities
        for i in range(1, min(m.villages, SYNTHETIC_VILLAGES) + 1)
    }
    existing = set(
        Settlement.objects.filter(
            municipality_id__in=[m.id for m in municipalities],
            name_ka__in={name for _, name in wanted},
        ).values_list("municipality_id", "name_ka")
    )
    rng = np.random.default_rng([seed, 2**32 - 1])  # a stream no chunk index reaches
    new = []
    for m in municipalities:
        draws = rng.random(SYNTHETIC_VILLAGES)  # always 12 draws: flags don't shift with villages
        for i in range(1, min(m.villages, SYNTHETIC_VILLAGES) + 1):
            name_ka, name_en = _village_names(m, i)
            if (m.id, name_ka) in existing:
                continue
            new.append(
                Settlement(
                    municipality=m,
                    name_ka=name_ka,
                    name_en=name_en,
                    kind=SettlementKind.VILLAGE,
                    is_synthetic=True,
                    is_highland=bool(draws[i - 1] < (0.8 if m.highland_area else 0.05)),
                )
            )
    Settlement.objects.bulk_create(new)
    return len(new)


def reference_load() -> Reference:
    municipalities = list(Municipality.objects.order_by("id"))
    settlements = {
        (s.municipality_id, s.name_ka): s
        for s in Settlement.objects.filter(municipality__in=municipalities)
    }
    ids, kinds, highland, names = [], [], [], []
    centre, village_start, village_count = [], [], []

    def add(s: Settlement, kind: int) -> int:
        ids.append(s.pk)
        kinds.append(kind)
        highland.append(s.is_highland)
        names.append(s.name_ka)
        return len(ids) - 1

    for m in municipalities:
        # The reference data names each municipal centre after its municipality.
        own = settlements.get((m.id, m.name_ka))
        if own is None:
            own = next(
                (s for (mid, _), s in settlements.items() if mid == m.id and not s.is_synthetic),
                None,
            )
        if own is None:
            centre.append(-1)
        else:
            centre.append(add(own, CITY if own.kind == SettlementKind.CITY else TOWN))
        village_start.append(len(ids))
        count = 0
        for i in range(1, min(m.villages, SYNTHETIC_VILLAGES) + 1):
            village = settlements.get((m.id, _village_names(m, i)[0]))
            if village is not None:
                add(village, VILLAGE)
                count += 1
        village_count.append(count)
    ids.append(-1)  # households of a municipality with no settlement at all get NULL
    kinds.append(TOWN)
    highland.append(False)
    names.append("")

    population = np.array([m.population for m in municipalities], dtype=np.float64)
    idp_weight = np.array(
        [IDP_WEIGHT_BY_CODE.get(m.code, IDP_WEIGHT_OTHER) for m in municipalities]
    )
    idp_weight *= IDP_SHARE / np.average(idp_weight, weights=population)
    return Reference(
        municipality_id=np.array([m.id for m in municipalities], dtype=np.int64),
        municipality_weight=population / population.sum(),
        centre_share=np.array(
            [CENTRE_SHARE_BY_CODE.get(m.code, CENTRE_SHARE) for m in municipalities]
        ),
        idp_share=np.minimum(idp_weight, 0.9),
        centre=np.array(centre, dtype=np.int64),
        village_start=np.array(village_start, dtype=np.int64),
        village_count=np.array(village_count, dtype=np.int64),
        settlement_id=np.array(ids, dtype=np.int64),
        settlement_kind=np.array(kinds, dtype=np.int8),
        settlement_highland=np.array(highland, dtype=bool),
        settlement_name=pl.Series(names, dtype=pl.String),
    )


def _pick(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """Indices drawn with the given shares (rows of shares may differ per draw if 2-D)."""
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64), axis=-1)
    u = rng.random(size)
    if cumulative.ndim == 1:
        index = np.searchsorted(cumulative / cumulative[-1], u, side="right")
        return np.minimum(index, cumulative.size - 1)
    cumulative = cumulative / cumulative[:, -1:]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), cumulative.shape[1] - 1)


def _labels(choices, index: np.ndarray) -> pl.Series:
    return pl.Series([str(c) for c in choices], dtype=pl.String).gather(index)


def _lognormal(rng, median: float, sigma: float, size: int) -> np.ndarray:
    return np.round(rng.lognormal(np.log(median), sigma, size), 2)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype("datetime64[D]"))


def _ages(birth: np.ndarray, today: date) -> np.ndarray:
    """Completed years on `today` for birth dates given as numpy days."""
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    before_birthday = (months * 100 + days) > (today.month * 100 + today.day)
    return today.year - years - before_birthday


def personal_numbers(person_id: np.ndarray, taken: np.ndarray) -> pl.Series:
    """11-digit personal numbers from ids; `taken` (sorted) holds numbers typed in by hand."""
    number = PN_BASE + (person_id * PN_MULTIPLIER) % PN_SPAN
    if taken.size:
        hit = _isin_sorted(number, taken)
        number[hit] = (person_id[hit] * PN_MULTIPLIER) % PN_SPARE
        if _isin_sorted(number[hit], taken).any():
            raise RuntimeError("Personal numbers typed in by hand fill the spare range too.")
    return pl.Series(number).cast(pl.String).str.zfill(11)


def _isin_sorted(values: np.ndarray, sorted_pool: np.ndarray) -> np.ndarray:
    at = np.minimum(np.searchsorted(sorted_pool, values), sorted_pool.size - 1)
    return sorted_pool[at] == values


def _households(rng, ref: Reference, n: int):
    m = _pick(rng, ref.municipality_weight, n)
    villages = ref.village_count[m]
    in_centre = (villages == 0) | (rng.random(n) < ref.centre_share[m])
    village_no = np.minimum(
        (rng.random(n) * np.maximum(villages, 1)).astype(np.int64), np.maximum(villages - 1, 0)
    )
    settlement = np.where(in_centre, ref.centre[m], ref.village_start[m] + village_no)
    settlement = np.where(settlement < 0, ref.settlement_id.size - 1, settlement)
    kind = ref.settlement_kind[settlement]
    highland = ref.settlement_highland[settlement]
    size = _pick(rng, SIZE_SHARES, n) + 1
    idp = rng.random(n) < ref.idp_share[m]
    return m, settlement, kind, highland, size, idp


def _dwellings(rng, ref: Reference, *, ids, m, settlement, kind, highland, size, idp):
    n = ids.size
    city, village = kind == CITY, kind == VILLAGE
    #                      apartment house collective temporary other
    type_shares = np.array([[0.72, 0.26, 0, 0.003, 0.017],   # city centres
                            [0.40, 0.58, 0, 0.003, 0.017],   # town centres
                            [0.03, 0.95, 0, 0.003, 0.017]])  # villages  # fmt: skip
    dwelling = _pick(rng, type_shares[kind], n)
    collective = idp & (rng.random(n) < 0.25)
    dwelling = np.where(collective, 2, dwelling)
    house = dwelling == 1

    tenure = _pick(rng, np.where(city[:, None], [0.80, 0.14, 0.06, 0], [0.86, 0.06, 0.08, 0]), n)
    tenure = np.where(collective, 3, tenure)
    condition = _pick(
        rng, np.where(collective[:, None], [0.05, 0.35, 0.45, 0.15], [0.28, 0.45, 0.21, 0.06]), n
    )
    rooms = np.clip(np.rint(size * 0.5 + rng.normal(0.8, 0.8, n)), 1, 8).astype(np.int64)
    rooms = np.where(house, np.minimum(rooms + 1, 10), rooms)
    rooms = np.where(collective, np.minimum(rooms, 2), rooms)
    area = np.round(rooms * rng.uniform(13, 20, n) + rng.uniform(8, 20, n) + house * 15, 1)

    utility_shares = np.array([[0.95, 0.99, 0.97], [0.85, 0.92, 0.75], [0.55, 0.50, 0.12]])
    gas, water, sewer = rng.random((3, n)) < utility_shares[kind].T
    spending = (30 + 18 * size + 25 * gas + 10 * water) * rng.lognormal(0, 0.35, n)
    spending = np.round(spending * np.where(city, 1.25, 1.0), 2)

    extra = _pick(rng, (0.92, 0.07, 0.01), n)
    land_share = np.choose(kind, (0.02, 0.25, 0.85))
    land_median = np.choose(kind, (0.1, 0.15, 0.6))
    land = np.where(
        rng.random(n) < land_share,
        np.minimum(np.round(rng.lognormal(np.log(land_median), 0.9), 2), 50.0),
        0.0,
    )
    cattle_share = np.where(village, np.where(highland, 0.65, 0.45), np.where(city, 0, 0.08))
    cattle = np.where(rng.random(n) < cattle_share, 1 + rng.poisson(np.where(highland, 3, 1.8)), 0)
    flock_share = np.where(village, 0.35, np.where(city, 0, 0.05))
    flock = np.where(rng.random(n) < flock_share, 2 + rng.poisson(5, n), 0)
    cars = _pick(rng, (0.60, 0.34, 0.055, 0.005), n)

    street = rng.integers(0, len(STREETS), n)
    number = rng.integers(1, 180, n)
    flat = rng.integers(1, 120, n)
    place = ref.settlement_name.gather(settlement)
    address = (
        pl.DataFrame(
            {
                "place": place,
                "street": pl.Series(STREETS).gather(street),
                "number": number,
                "flat": flat,
                "village": village,
                "apartment": dwelling == 0,
            }
        )
        .select(
            pl.when(pl.col("village"))
            .then(pl.format("{}, სახლი №{}", "place", "number"))
            .when(pl.col("apartment"))
            .then(pl.format("{}, {} ქ. №{}, ბ. {}", "place", "street", "number", "flat"))
            .otherwise(pl.format("{}, {} ქ. №{}", "place", "street", "number"))
        )
        .to_series()
    )
    settlement_id = ref.settlement_id[settlement]
    return pl.DataFrame({
        "id": ids,
        "municipality_id": ref.municipality_id[m],
        "settlement_id": pl.Series(settlement_id).replace(-1, None),
        "address": address,
        "dwelling_type": _labels(
            [DwellingType.APARTMENT, DwellingType.HOUSE, DwellingType.COLLECTIVE_CENTRE,
             DwellingType.TEMPORARY, DwellingType.OTHER], dwelling),
        "dwelling_tenure": _labels(
            [DwellingTenure.OWNED, DwellingTenure.RENTED, DwellingTenure.FREE_USE,
             DwellingTenure.STATE_PROVIDED], tenure),
        "dwelling_condition": _labels(
            [DwellingCondition.GOOD, DwellingCondition.FAIR, DwellingCondition.POOR,
             DwellingCondition.UNSAFE], condition),
        "rooms": rooms,
        "floor_area_m2": area,
        "has_gas": gas,
        "has_piped_water": water,
        "has_sewerage": sewer,
        "monthly_utility_spending": spending,
        "extra_dwellings": extra,
        "agricultural_land_ha": land,
        "cattle": cattle,
        "small_livestock": flock,
        "cars": cars,
        "is_active": np.ones(n, dtype=bool),
    })  # fmt: skip


REL_HEAD, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_GRANDCHILD = range(5)
RELATIONSHIPS = [
    Relationship.HEAD,
    Relationship.SPOUSE,
    Relationship.CHILD,
    Relationship.PARENT,
    Relationship.GRANDCHILD,
]
(EMPLOYED, SELF_EMPLOYED, UNEMPLOYED, INACTIVE, STUDENT, RETIRED, CHILD) = range(7)
STATUSES = [
    EmploymentStatus.EMPLOYED,
    EmploymentStatus.SELF_EMPLOYED,
    EmploymentStatus.UNEMPLOYED,
    EmploymentStatus.INACTIVE,
    EmploymentStatus.STUDENT,
    EmploymentStatus.RETIRED,
    EmploymentStatus.CHILD,
]
DAYS_PER_YEAR = 365.2425
EPOCH_2015 = np.datetime64("2015-01-01", "D")


def population_chunk(
    ref: Reference,
    names: Names,
    *,
    seed: int,
    index: int,
    households: int,
    ids: Ids,
    today: date,
    taken: np.ndarray,
) -> Frames:
    """Generate chunk `index` (of `households` households) with ids starting at `ids`."""
    rng = np.random.default_rng([seed, index])
    n = households
    m, settlement, kind, highland, size, idp = _households(rng, ref, n)
    hh_ids = ids.household + np.arange(n, dtype=np.int64)
    homes = _dwellings(
        rng,
        ref,
        ids=hh_ids,
        m=m,
        settlement=settlement,
        kind=kind,
        highland=highland,
        size=size,
        idp=idp,
    )

    # Members: slot 0 is the head, slot 1 the spouse if any, the last slot a parent of the head
    # in some large households, the rest children (grandchildren beside an adult child).
    total = int(size.sum())
    hh = np.repeat(np.arange(n), size)
    slot = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
    older = 22 + 68 * rng.beta(3.0, 1.6, n)  # people living alone are mostly old
    usual = 22 + 68 * rng.beta(2.2, 2.2, n)
    head_age = np.where(size == 1, older, usual)
    spouse = (size >= 2) & (rng.random(n) < 0.75)
    elder = (size >= 4) & (head_age < 60) & (rng.random(n) < 0.3)
    head_male = rng.random(n) < 0.6

    rel = np.full(total, REL_CHILD, dtype=np.int64)
    rel[slot == 0] = REL_HEAD
    rel[(slot == 1) & spouse[hh]] = REL_SPOUSE
    rel[(slot == size[hh] - 1) & elder[hh]] = REL_PARENT
    child_no = slot - 1 - spouse[hh]
    rel[(rel == REL_CHILD) & (head_age[hh] >= 62) & (child_no >= 1)] = REL_GRANDCHILD

    h_age, h_male = head_age[hh], head_male[hh]
    u1, u2 = rng.random(total), rng.random(total)
    spouse_age = np.clip(h_age + np.where(h_male, -3, 3) + rng.normal(0, 4, total), 18, 95)
    child_age = h_age - (20 + 20 * u1)
    child_age = np.where(child_age < 0, u2 * (h_age - 18), child_age)
    grandchild_age = h_age - (44 + 16 * u1)
    grandchild_age = np.where(grandchild_age < 0, u2 * 10, grandchild_age)
    parent_age = h_age + 20 + 15 * u1
    age_years = np.choose(rel, (h_age, spouse_age, child_age, parent_age, grandchild_age))
    day = np.datetime64(today, "D")
    birth = day - np.floor(np.maximum(age_years, 0) * DAYS_PER_YEAR).astype(np.int64)
    age = _ages(birth, today)

    male = rng.random(total) < 0.512
    male = np.where(rel == REL_HEAD, h_male, male)
    male = np.where(rel == REL_SPOUSE, ~h_male, male)
    male = np.where(rel == REL_PARENT, u2 < 0.35, male)  # widowed mothers outlive fathers

    first_male = _pick(rng, names.male.weights, total)
    first_female = _pick(rng, names.female.weights, total)
    family = _pick(rng, names.last.weights, n)[hh]
    own = _pick(rng, names.last.weights, total)
    keeps_own = ((rel == REL_SPOUSE) & (u1 < 0.25)) | ((rel == REL_PARENT) & (u1 < 0.3))
    last = np.where(keeps_own, own, family)

    # Health: disability rises with age to ~3.3% overall; chronic illness to ~8% (illustrative).
    disabled = rng.random(total) < 0.006 + 0.0007 * age
    degree = np.where(disabled, 1 + _pick(rng, (0.40, 0.35, 0.25), total), 0)
    chronic = rng.random(total) < 0.012 + 0.0031 * np.maximum(age - 20, 0)

    pensioner = age >= np.where(male, PENSION_AGE["M"], PENSION_AGE["F"])
    pension = np.where(pensioner, np.where(age >= 70, PENSION_FROM_70, PENSION_UNDER_70), 0)

    rural = (kind == VILLAGE)[hh]
    adult_status = _pick(
        rng,
        np.where(rural[:, None], [0.22, 0.38, 0.12, 0.28], [0.45, 0.12, 0.16, 0.27]),
        total,
    )
    adult_status = np.where((degree == 3) & (u1 < 0.8), INACTIVE, adult_status)
    student = (age >= 16) & (age <= 22) & (u2 < np.where(age <= 18, 0.6, 0.4))
    status = np.select(
        [age < 16, pensioner, student], [CHILD, RETIRED, STUDENT], default=adult_status
    )

    person_ids = ids.person + np.arange(total, dtype=np.int64)
    first_idx = np.where(male, first_male, first_female)
    people = pl.DataFrame({
        "id": person_ids,
        "personal_number": personal_numbers(person_ids, taken),
        "alt_id_kind": pl.repeat("", total, eager=True),
        "alt_id_number": pl.repeat("", total, eager=True),
        "first_name": _either(names.male.georgian, names.female.georgian, male, first_idx),
        "last_name": names.last.georgian.gather(last),
        "first_name_latin": _either(names.male.latin, names.female.latin, male, first_idx),
        "last_name_latin": names.last.latin.gather(last),
        "first_key": _either(names.male.key, names.female.key, male, first_idx),
        "last_key": names.last.key.gather(last),
        "birth_date": _dates(birth),
        "sex": pl.Series(np.where(male, "M", "F")),
        "citizenship": pl.repeat("GE", total, eager=True),
        "disability_degree": _labels(
            [DisabilityDegree.NONE, DisabilityDegree.MODERATE, DisabilityDegree.SIGNIFICANT,
             DisabilityDegree.SEVERE], degree),
        "chronic_illness": chronic,
        "is_idp": idp[hh],
        "pension_kind": _labels([PensionKind.NONE, PensionKind.OLD_AGE], pensioner.astype(int)),
        "pension_amount": pension.astype(np.float64),
        "employment_status": _labels(STATUSES, status),
        "date_of_death": pl.repeat(None, total, dtype=pl.Date, eager=True),
        "municipality_id": homes["municipality_id"].to_numpy()[hh],
    }).with_columns(
        name_key=pl.concat_str("first_key", "last_key", separator=" "),
        name_key_rev=pl.concat_str("last_key", "first_key", separator=" "),
    ).drop("first_key", "last_key")  # fmt: skip

    # Memberships start at the head's 20th birthday or 2015 if later; children from birth.
    head_birth = birth[np.cumsum(size) - size][hh]
    head_start = np.maximum(head_birth + np.int64(20 * DAYS_PER_YEAR), EPOCH_2015)
    adult_start = np.maximum(birth + np.int64(18 * DAYS_PER_YEAR), head_start)
    start = np.choose(rel, (head_start, adult_start, np.maximum(birth, head_start),
                            head_start, np.maximum(birth, head_start)))  # fmt: skip
    start = np.minimum(start, day)
    memberships = pl.DataFrame({
        "id": ids.membership + np.arange(total, dtype=np.int64),
        "household_id": hh_ids[hh],
        "person_id": person_ids,
        "relationship": _labels(RELATIONSHIPS, rel),
        "start_date": _dates(start),
        "end_date": pl.repeat(None, total, dtype=pl.Date, eager=True),
        "end_reason": pl.repeat("", total, eager=True),
    })  # fmt: skip

    incomes = _incomes(
        rng,
        ids=ids,
        person_ids=person_ids,
        status=status,
        rural=rural,
        head=rel == REL_HEAD,
        age=age,
        day=day,
    )
    return Frames(homes, people, memberships, incomes)


def _either(male: pl.Series, female: pl.Series, is_male: np.ndarray, index: np.ndarray):
    """Per person, the male or the female list's entry at `index`."""
    return pl.concat([male, female]).gather(np.where(is_male, index, male.len() + index))


def _incomes(rng, *, ids: Ids, person_ids, status, rural, head, age, day) -> pl.DataFrame:
    """Wages around 1,200 GEL, lower self-employment and farm income, remittances to some
    heads (more in villages), public works for a few job seekers (illustrative)."""
    total = person_ids.size
    parts = []

    def add(mask, kind, amount, max_years):
        who = np.flatnonzero(mask)
        years = np.minimum(max_years, np.maximum(age[who] - 16, 0.2))
        since = day - (30 + rng.random(who.size) * years * DAYS_PER_YEAR).astype(np.int64)
        parts.append((who, np.full(who.size, kind), amount[who], since))

    add(status == EMPLOYED, 0, _lognormal(rng, 1050, 0.55, total), 10)
    add((status == SELF_EMPLOYED) & ~rural, 1, _lognormal(rng, 650, 0.6, total), 10)
    add((status == SELF_EMPLOYED) & rural, 2, _lognormal(rng, 380, 0.7, total), 10)
    add(head & (rng.random(total) < np.where(rural, 0.10, 0.06)), 3,
        _lognormal(rng, 420, 0.6, total), 8)  # fmt: skip
    add((status == UNEMPLOYED) & (rng.random(total) < 0.03), 4,
        np.full(total, float(PUBLIC_WORKS_WAGE)), 4)  # fmt: skip
    who, kind, amount, since = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.argsort(who, kind="stable")
    kinds = [IncomeKind.WAGES, IncomeKind.SELF_EMPLOYMENT, IncomeKind.AGRICULTURE,
             IncomeKind.REMITTANCES, IncomeKind.PUBLIC_WORKS]  # fmt: skip
    return pl.DataFrame({
        "id": ids.income + np.arange(who.size, dtype=np.int64),
        "person_id": person_ids[who[order]],
        "kind": _labels(kinds, kind[order]),
        "monthly_amount": amount[order],
        "since": _dates(since[order]),
    })  # fmt: skip


def population_batches(
    ref: Reference,
    names: Names,
    *,
    households: int,
    seed: int,
    batch: int,
    ids: Ids,
    today: date,
    taken: np.ndarray,
) -> Iterator[Frames]:
    """Frames per batch of whole chunks; `ids` advances as chunks are made."""
    chunks_per_batch = max(1, -(-batch // CHUNK))
    parts: list[Frames] = []
    for index in range(-(-households // CHUNK)):
        size = min(CHUNK, households - index * CHUNK)
        frames = population_chunk(
            ref,
            names,
            seed=seed,
            index=index,
            households=size,
            ids=ids,
            today=today,
            taken=taken,
        )
        ids.household += frames.households.height
        ids.person += frames.people.height
        ids.membership += frames.memberships.height
        ids.income += frames.incomes.height
        parts.append(frames)
        if len(parts) == chunks_per_batch:
            yield Frames.concat(parts)
            parts = []
    if parts:
        yield Frames.concat(parts)


# Loading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What rendering needs from the connection, read in the main thread: Django's connection is
    per thread, and the generator thread must not open one."""

    vendor: str
    stamp: str
    quote: object

    @classmethod
    def current(cls, now) -> "Target":
        stamp = connection.ops.adapt_datetimefield_value(now)
        return cls(
            vendor=connection.vendor,
            stamp=stamp if isinstance(stamp, str) else stamp.isoformat(),
            quote=connection.ops.quote_name,
        )


def prepare(frames: Frames, target: Target) -> list[tuple[str, object, int]]:
    """Per table: the statement, what it sends (COPY text for PostgreSQL, row tuples for
    executemany elsewhere) and the row count."""
    out = []
    for name, model in TABLES.items():
        df = getattr(frames, name)
        if any(f.name == "created_at" for f in model._meta.concrete_fields):
            df = df.with_columns(created_at=pl.lit(target.stamp), updated_at=pl.lit(target.stamp))
        table = target.quote(model._meta.db_table)
        columns = ", ".join(map(target.quote, df.columns))
        if target.vendor == "postgresql":
            out.append((f"COPY {table} ({columns}) FROM STDIN", copy_text(df), df.height))
        else:
            df = df.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
            values = ", ".join(["%s"] * df.width)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608 (model names)
            out.append((sql, df.rows(), df.height))
    return out


def load(prepared: list[tuple[str, object, int]]) -> None:
    """Load one prepared batch in one transaction."""
    postgres = connection.vendor == "postgresql"
    # wrap_database_errors: psycopg's COPY errors surface as Django's, as executemany's do.
    with transaction.atomic(), connection.wrap_database_errors, connection.cursor() as cursor:
        for sql, payload, _ in prepared:
            if postgres:
                with cursor.copy(sql) as copy:
                    copy.write(payload)
            else:
                cursor.executemany(sql, payload)
        if postgres:
            # Explicit ids leave the sequences behind; move them past the new rows.
            for sql in connection.ops.sequence_reset_sql(no_style(), list(TABLES.values())):
                cursor.execute(sql)


def next_ids() -> Ids:
    def next_id(model) -> int:
        last = model.objects.order_by("-id").values_list("id", flat=True).first()
        return (last or 0) + 1

    return Ids(*(next_id(model) for model in TABLES.values()))


def taken_personal_numbers() -> np.ndarray:
    """Sorted personal numbers that are not this generator's own (typed in or imported)."""
    table = connection.ops.quote_name(Person._meta.db_table)
    own = f"CAST({PN_BASE} + (id * {PN_MULTIPLIER}) % {PN_SPAN} AS VARCHAR(11))"
    # NULL <> x is not true, so people without a personal number drop out too.
    sql = f"SELECT personal_number FROM {table} WHERE personal_number <> {own}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        numbers = [int(pn) for (pn,) in cursor.fetchall() if pn.isdigit()]
    return np.array(sorted(numbers), dtype=np.int64)


@contextlib.contextmanager
def _ahead(items: Iterator) -> Iterator[Iterator]:
    """Iterate `items` in a thread one step ahead: the next batch is generated and rendered while
    the database ingests the current one (numpy, Polars and libpq release the GIL)."""
    out: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    done = object()

    def send(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not send(item):
                    return
            send(done)
        except BaseException as exc:  # handed over, the consumer re-raises it
            send(exc)

    def consume():
        while (item := out.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=produce, name="population-generator", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()


def population_generate(
    *, households: int, seed: int, batch: int = 50_000, progress: bool = True
) -> dict:
    """Generate `households` synthetic households with their people, memberships and incomes and
    load them, one transaction per batch (whole chunks of CHUNK households). Writes one audit row
    with the counts. Returns the counts and the seconds spent generating (in a thread, overlapping
    the loading), loading, and in all."""
    if households < 1:
        raise ValueError("Give a positive number of households.")
    started = time.perf_counter()
    villages = villages_ensure(seed=seed)
    ref, names = reference_load(), names_load()
    ids, taken = next_ids(), taken_personal_numbers()
    today, target = timezone.localdate(), Target.current(timezone.now())
    counts = {"households": 0, "people": 0, "memberships": 0, "incomes": 0}
    timing = {"generate_seconds": 0.0, "load_seconds": 0.0}

    def rendered() -> Iterator[list]:
        batches = population_batches(
            ref,
            names,
            households=households,
            seed=seed,
            batch=batch,
            ids=ids,
            today=today,
            taken=taken,
        )
        while True:
            tick = time.perf_counter()
            frames = next(batches, None)
            if frames is None:
                return
            payload = prepare(frames, target)
            del frames  # only the rendered batch waits in the queue
            timing["generate_seconds"] += time.perf_counter() - tick
            yield payload

    bar = tqdm(total=households, unit="household", disable=not progress, smoothing=0.1)
    try:
        with _ahead(rendered()) as stream:
            for payload in stream:
                tick = time.perf_counter()
                load(payload)
                timing["load_seconds"] += time.perf_counter() - tick
                for name, (_, _, rows) in zip(TABLES, payload, strict=True):
                    counts[name] += rows
                bar.update(payload[0][2])
    except BaseException:
        if counts["households"]:
            # Whole batches were committed: the audit trail must still show them.
            bulk_run_log(
                actor=None,
                model=Household,
                job=JOB,
                counts={**counts, "villages": villages, "seed": seed, "complete": 0},
            )
        raise
    finally:
        bar.close()
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses at tables that just grew by millions of rows.
        tick = time.perf_counter()
        with connection.cursor() as cursor:
            for model in TABLES.values():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        timing["analyze_seconds"] = time.perf_counter() - tick
    bulk_run_log(
        actor=None,
        model=Household,
        job=JOB,
        counts={**counts, "villages": villages, "seed": seed, "complete": 1},
    )
    seconds = time.perf_counter() - started
    logger.info(
        "Generated %s households, %s people, %s memberships, %s incomes (seed %s) in %.1f s: "
        "%.0f rows/s, %.0f households/s; generating %.1f s (overlapping), loading %.1f s.",
        counts["households"],
        counts["people"],
        counts["memberships"],
        counts["incomes"],
        seed,
        seconds,
        sum(counts.values()) / seconds,
        counts["households"] / seconds,
        timing["generate_seconds"],
        timing["load_seconds"],
    )
    return {**counts, "villages": villages, **timing, "seconds": seconds}


def population_frames(*, households: int, seed: int, batch: int = 50_000) -> Iterator[Frames]:
    """The frames a run would load now, without loading them (for benchmarks and tests).
    Creates the synthetic villages if missing, as a run does."""
    villages_ensure(seed=seed)
    ref, names = reference_load(), names_load()
    return population_batches(
        ref,
        names,
        households=households,
        seed=seed,
        batch=batch,
        ids=next_ids(),
        today=timezone.localdate(),
        taken=taken_personal_numbers(),
    )
