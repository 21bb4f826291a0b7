"""The public catalogue of social services: approved entries only, search in either script,
filters, a page per service and per provider."""

import math
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from zrunva.geo.models import Municipality, Region, Settlement
from zrunva.services.models import ServiceType, TargetGroup
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db


def _url(name: str, *args) -> str:
    with translation.override("ka"):
        return reverse(f"portal:{name}", args=args)


@pytest.fixture
def catalogue():
    provider = factories.provider()
    kutaisi = Municipality.objects.get(code="kutaisi")
    batumi = Municipality.objects.get(code="batumi")
    day = factories.service(
        provider,
        name_ka="დღის ცენტრი",
        name_en="Day centre",
        step_free=True,
        capacity=10,
        admitted=4,
        opening_hours=[[d, "09:00", "18:00"] for d in range(1, 6)],
        languages=["ka", "sgn"],
    )
    home = factories.service(
        provider,
        name_ka="შინ მოვლა",
        name_en="Home care",
        type="home_care",
        cost="fee",
        municipality=batumi,
        capacity=5,
        admitted=5,
    )
    home.target_groups.set(TargetGroup.objects.filter(code="adults_physical"))
    draft = factories.service(provider, published=False, name_en="Draft")
    hidden = factories.provider(published=False, identification_code="204000009")
    of_hidden = factories.service(hidden, name_en="Of a provider not yet public")
    return {"day": day, "home": home, "draft": draft, "of_hidden": of_hidden, "kutaisi": kutaisi}


def _found(client, **query) -> list[str]:
    response = client.get("/en" + _url("service_list"), query)
    assert response.status_code == 200
    return sorted(s.name_en for s in response.context["page"].items)


def test_only_approved_services_of_approved_providers_are_public(client, catalogue):
    assert _found(client) == ["Day centre", "Home care"]
    for hidden in ("draft", "of_hidden"):
        assert client.get(_url("service_detail", catalogue[hidden].pk)).status_code == 404
    assert (
        client.get(_url("provider_detail", catalogue["of_hidden"].provider.pk)).status_code == 404
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"q": "dghis tsentri"}, ["Day centre"]),
        ({"q": "დღის ცენტრი"}, ["Day centre"]),
        ({"q": "home"}, ["Home care"]),
        ({"q": "open hands"}, ["Day centre", "Home care"]),
        ({"free": "on"}, ["Day centre"]),
        ({"accessible": "on"}, ["Day centre"]),
        ({"places": "on"}, ["Day centre"]),
        ({"municipality": "kutaisi"}, ["Day centre"]),
        ({"region": "adjara"}, ["Home care"]),
        ({"target_group": "adults_physical"}, ["Home care"]),
        ({"service_type": "home_care"}, ["Home care"]),
    ],
)
def test_search_and_filters(client, catalogue, query, found):
    ids = {
        "municipality": lambda v: Municipality.objects.get(code=v).pk,
        "region": lambda v: Municipality.objects.get(code="batumi").region_id,
        "target_group": lambda v: TargetGroup.objects.get(code=v).pk,
        "service_type": lambda v: ServiceType.objects.get(code=v).pk,
    }
    query = {k: ids[k](v) if k in ids else v for k, v in query.items()}
    assert _found(client, **query) == found


def test_a_filter_value_that_is_not_a_choice_is_said_not_crashed(client, catalogue):
    response = client.get("/en" + _url("service_list"), {"municipality": "999999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_lists_are_in_the_languages_order(client, catalogue):
    names = [m.name_ka for m in Municipality.objects.filter(code__in=["kutaisi", "batumi"])]
    page = client.get(_url("service_list")).content.decode()
    assert page.index("ბათუმი", page.index("</form>")) < page.index(
        "ქუთაისი", page.index("</form>")
    )
    assert sorted(names) == ["ბათუმი", "ქუთაისი"]
    assert Region.objects.exists()


def test_a_service_page_in_both_languages(client, catalogue):
    url = _url("service_detail", catalogue["day"].pk)
    english = client.get("/en" + url).content.decode()
    for text in (
        "Day centre",
        "Monday–Friday, 09:00–18:00",
        "Step-free entrance",
        "Georgian Sign Language",
        "10 places, 4 in use, 0 waiting",
        "Free of charge",
        "Open Hands",
    ):
        assert text in english, text
    georgian = client.get(url).content.decode()
    for text in ("დღის ცენტრი", "ორშაბათი–პარასკევი, 09:00–18:00", "უსაფეხურო შესასვლელი"):
        assert text in georgian, text
    provider = client.get("/en" + _url("provider_detail", catalogue["day"].provider.pk))
    assert "Day centre" in provider.content.decode() and "204567891" in provider.content.decode()


def test_free_text_is_shown_escaped(client):
    service = factories.service(factories.provider(), name_en="<img src=x onerror=alert(1)>")
    service.description_en = "<script>alert(1)</script>"
    service.save()
    page = client.get("/en" + _url("service_detail", service.pk)).content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_list_reads_a_bounded_number_of_queries(
    client, catalogue, django_assert_max_num_queries
):
    provider = catalogue["day"].provider
    for n in range(15):
        factories.service(provider, name_en=f"Service {n}", name_ka=f"მომსახურება {n}")
    # The first request after a change of the filters' lists also stores their new version
    # (services.filters.lists_version: 5 queries of the database cache) and reads the lists;
    # the next ones read the version alone and keep the dropdowns' HTML.
    with django_assert_max_num_queries(13):
        response = client.get(_url("service_list"))
    assert len(response.context["page"].items) == 17
    with django_assert_max_num_queries(4):
        client.get(_url("service_list"))


def test_the_dropdowns_kept_are_renewed_when_a_list_changes(client, catalogue):
    # The first page keeps its dropdowns' HTML (services.filters.ListSelect); a renamed type
    # must show on the next.
    assert "Rehabilitation" not in client.get(_url("service_list")).content.decode()
    kind = ServiceType.objects.get(code="rehabilitation")
    kind.name_en = kind.name_ka = "Rehabilitation (renamed)"
    kind.save()
    assert "Rehabilitation (renamed)" in client.get(_url("service_list")).content.decode()


def test_the_catalogue_as_open_data(client, catalogue):
    data = client.get(_url("catalogue_json")).json()["services"]
    assert sorted(s["name_en"] for s in data) == ["Day centre", "Home care"]
    day = next(s for s in data if s["name_en"] == "Day centre")
    assert day["opening_hours"][0] == [1, "09:00", "18:00"] and day["municipality"] == "kutaisi"
    assert day["target_groups"] == ["elderly"] and day["languages"] == ["ka", "sgn"]
    csv_text = client.get(_url("catalogue_csv")).content.decode("utf-8-sig")
    header, *lines = csv_text.strip().splitlines()
    assert header.startswith("id,provider_id,") and len(lines) == 2
    assert "1 09:00 18:00; 2 09:00 18:00" in csv_text and "დღის ცენტრი" in csv_text


def test_the_api_reads_the_catalogue_without_an_account(client, catalogue):
    found = client.get("/api/v1/services", {"municipality": "kutaisi", "accessible": True}).json()
    assert [s["name_en"] for s in found["items"]] == ["Day centre"] and not found["has_next"]
    region = catalogue["home"].municipality.region.iso_code
    assert [
        s["name_en"] for s in client.get("/api/v1/services", {"region": region}).json()["items"]
    ] == ["Home care"]
    assert [
        s["name_en"] for s in client.get("/api/v1/services", {"q": "დღის"}).json()["items"]
    ] == ["Day centre"]
    unknown = client.get("/api/v1/services", {"municipality": "atlantis"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"][0]["loc"][-1] == "municipality"
    assert client.get(f"/api/v1/services/{catalogue['draft'].pk}").status_code == 404
    one = client.get(f"/api/v1/services/{catalogue['day'].pk}").json()
    assert one["provider_name_en"] == "Open Hands" and one["step_free"] is True
    provider = client.get(f"/api/v1/providers/{catalogue['day'].provider_id}").json()
    assert provider["identification_code"] == "204567891"
    hidden = catalogue["of_hidden"].provider_id
    assert client.get(f"/api/v1/providers/{hidden}").status_code == 404


def _great_circle_km(a, b) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, map(float, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_nearest_first_from_a_municipal_centre(client):
    provider = factories.provider()
    centres = {
        s.municipality.code: s
        for s in Settlement.objects.filter(latitude__isnull=False).select_related("municipality")
    }
    assert len(centres) == 64
    for code in ("batumi", "zugdidi", "tskaltubo", "kutaisi"):
        factories.service(
            provider,
            name_en=f"In {code}",
            municipality=Municipality.objects.get(code=code),
        )
    # A service's own coordinates come before its municipality's centre: this one is in
    # Batumi municipality but placed a short walk from Kutaisi's centre.
    kutaisi = centres["kutaisi"]
    factories.service(
        provider,
        name_en="Placed by hand",
        municipality=Municipality.objects.get(code="batumi"),
        latitude=kutaisi.latitude + Decimal("0.01"),
        longitude=kutaisi.longitude,
    )
    near = Municipality.objects.get(code="kutaisi").pk
    response = client.get("/en" + _url("service_list"), {"near": near})
    items = response.context["page"].items
    assert [s.name_en for s in items] == [
        "In kutaisi",
        "Placed by hand",
        "In tskaltubo",
        "In zugdidi",
        "In batumi",
    ]
    origin = (kutaisi.latitude, kutaisi.longitude)
    for service in items[2:]:
        other = centres[service.municipality.code]
        expected = _great_circle_km(origin, (other.latitude, other.longitude))
        assert abs(service.distance_km - expected) <= 1 + expected / 100, service.name_en
    assert items[0].distance_km == 0 and items[1].distance_km == 1
    assert b"km away" in response.content
    # The API says the same, with the distance.
    found = client.get("/api/v1/services", {"near": "kutaisi"}).json()["items"]
    assert [s["name_en"] for s in found] == [s.name_en for s in items]
    assert [s["distance_km"] for s in found] == [s.distance_km for s in items]
    assert client.get("/api/v1/services").json()["items"][0]["distance_km"] is None


def test_every_municipal_centre_has_coordinates_with_a_source():
    for centre in Settlement.objects.filter(latitude__isnull=False):
        assert "GeoNames" in centre.coordinates_source or "OpenStreetMap" in (
            centre.coordinates_source
        )
    assert set(
        Settlement.objects.filter(latitude__isnull=False).values_list(
            "municipality__code", flat=True
        )
    ) == set(Municipality.objects.values_list("code", flat=True))
