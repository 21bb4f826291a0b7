"""`selectors.nearest_public`, the screener's services nearby from points kept in the process:
the same rows, distances and order as the catalogue's query, and the points read again after
any change that moves, hides or regroups a service."""

import random
from decimal import Decimal

import pytest

from zrunva.geo.models import Municipality, Settlement
from zrunva.geo.selectors import municipalities_with_centre
from zrunva.services.models import Service, TargetGroup
from zrunva.services.selectors import (
    distance_km,
    nearest_first,
    nearest_public,
    public_services,
)
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db

CODES = ["elderly", "families", "idps", "adults_physical", "children_sensory"]


def _by_query(codes, municipality, count):
    """The catalogue's query, as the screener read its services nearby before."""
    linked = Service.target_groups.through.objects.filter(targetgroup__code__in=codes)
    qs = public_services().prefetch_related(None).filter(pk__in=linked.values("service_id"))
    plain = nearest_first(qs, municipality=municipality)
    plain._near = None
    return [(s.pk, distance_km(s)) for s in plain[:count]]


def _nearest(codes, municipality, count=6):
    found = nearest_public(codes=codes, municipality=municipality, count=count)
    return [(s.pk, distance_km(s)) for s in found]


@pytest.fixture
def catalogue():
    """150 services at their own point, a settlement's or their municipality's centre (many at
    one point: ties ordered by name), with one to three target groups; some unpublished, some
    of an unpublished provider."""
    rng = random.Random(14)
    provider = factories.provider()
    hidden = factories.provider(published=False, identification_code="204567892")
    municipalities = list(Municipality.objects.all())
    settlements = list(Settlement.objects.filter(latitude__isnull=False))
    groups = {g.code: g for g in TargetGroup.objects.filter(code__in=CODES)}
    for n in range(150):
        service = factories.service(
            hidden if n % 17 == 0 else provider,
            published=n % 13 != 0,
            name_ka=f"სერვისი {n % 5}",
            name_en=f"Service {n % 5}",
            **factories.scattered(rng, municipalities, settlements, own=0.35, settled=0.65),
        )
        service.target_groups.set([groups[c] for c in rng.sample(CODES, rng.randint(1, 3))])


@pytest.mark.parametrize("count", [1, 6, 40])
def test_the_nearest_public_services_are_the_catalogues(catalogue, count):
    sets = [["elderly"], ["idps", "families"], ["children_sensory"], CODES, ["nobody"]]
    for municipality in list(municipalities_with_centre())[::7]:
        for codes in sets:
            assert _nearest(codes, municipality, count) == _by_query(codes, municipality, count)


def test_a_municipality_without_a_centre_gets_the_catalogues_order(catalogue):
    nowhere = Municipality.objects.exclude(pk__in=municipalities_with_centre().values("pk"))
    municipality = nowhere.first() or Municipality.objects.first()
    if nowhere.first() is None:  # every shipped municipality has one: take one's away
        Settlement.objects.filter(municipality=municipality).update(latitude=None, longitude=None)
    assert _nearest(["elderly"], municipality) == _by_query(["elderly"], municipality, 6)


def test_the_points_are_read_again_after_a_change(catalogue):
    municipality = municipalities_with_centre().get(code="kutaisi")
    first = _nearest(["elderly"], municipality)
    assert first == _by_query(["elderly"], municipality, 6)
    centre = Settlement.objects.get(municipality=municipality, name_ka=municipality.name_ka)
    # A service moved to the centre comes first; one unpublished goes; one regrouped goes.
    moved = Service.objects.exclude(pk__in=[pk for pk, _ in first]).filter(published=True)
    moved = moved.filter(provider__published=True).first()
    moved.latitude, moved.longitude = centre.latitude, centre.longitude
    moved.name_ka, moved.name_en = "ააა", "AAA"  # first of those at the centre, by name
    moved.save()
    moved.target_groups.add(TargetGroup.objects.get(code="elderly"))
    assert _nearest(["elderly"], municipality)[0][0] == moved.pk
    gone = Service.objects.get(pk=first[1][0])
    gone.published = False
    gone.save()
    regrouped = Service.objects.get(pk=first[2][0])
    regrouped.target_groups.remove(TargetGroup.objects.get(code="elderly"))
    now = _nearest(["elderly"], municipality)
    assert gone.pk not in [pk for pk, _ in now] and regrouped.pk not in [pk for pk, _ in now]
    assert now == _by_query(["elderly"], municipality, 6)
    # A settlement moved carries its services with it.
    moved.delete()
    centre.latitude += Decimal("0.5")
    centre.save()
    assert _nearest(["elderly"], municipality) == _by_query(["elderly"], municipality, 6)


def test_a_service_gone_since_the_points_were_read_is_not_shown(catalogue):
    """Between a change's commit and its version's drop another process may read the points
    kept before: a service no longer public among the nearest sends it to the query."""
    municipality = municipalities_with_centre().get(code="kutaisi")
    first = _nearest(["elderly"], municipality)
    Service.objects.filter(pk=first[0][0]).update(published=False)  # no signal: points kept
    now = _nearest(["elderly"], municipality)
    assert first[0][0] not in [pk for pk, _ in now]
    assert now == _by_query(["elderly"], municipality, 6)


def test_the_distance_order_reads_the_query_when_a_match_is_not_among_the_points(
    catalogue, monkeypatch
):
    """A service public since the points were read (or none read at all) is not measured over
    them: the catalogue's slice comes from the plain query."""
    from zrunva.services import selectors

    municipality = municipalities_with_centre().get(code="kutaisi")
    ordered = nearest_first(public_services(), municipality=municipality)
    plain = ordered.all()
    plain._near = None
    expected = [(s.pk, s.squared_degrees) for s in plain[:21]]
    kept = selectors.POINTS.get("points", selectors._public_points)
    for size in (0, len(kept.pk) // 2):
        shrunk = selectors._Points(
            kept.pk[:size], kept.latitude[:size], kept.longitude[:size], {}, kept.centres
        )
        monkeypatch.setattr(selectors.POINTS, "get", lambda key, read, shrunk=shrunk: shrunk)
        monkeypatch.setattr(selectors, "NEAR_CANDIDATES", 10**6)  # straight to every match
        assert [(s.pk, s.squared_degrees) for s in ordered.all()[:21]] == expected
