"""An officer's import and duplicate review in a real browser: a deaths file read as a dry run,
its report read and committed; a pair of possible duplicates read side by side with its
waterfall and decided; axe-core checks each page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import click_button, signed_in
from zrunva.integration import linkage
from zrunva.integration.matching import train
from zrunva.integration.models import Import, LinkageModel, MatchPair
from zrunva.integration.synthetic import linked_records
from zrunva.integration.tests.factories_imports import deaths_source
from zrunva.registry.models import Person
from zrunva.registry.tests.factories import household

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_officer_imports_deaths_and_reviews_a_duplicate(live_server, page, make_user, tmp_path):
    url = live_server.url
    officer = make_user(Role.SSA_OFFICER)
    nino = (
        household(
            head={
                "personal_number": "01001000011",
                "first_name": "ნინო",
                "last_name": "კაპანაძე",
                "birth_date": date(1940, 2, 3),
                "sex": "F",
            }
        )
        .memberships.get()
        .person
    )
    source = deaths_source()
    deaths = tmp_path / "deaths.csv"
    deaths.write_text("PN,Died\n01001000011,2026-10-01\n1001000012,2026-10-01\n", "utf-8")

    desk = signed_in(page, live_server, officer)
    desk.goto(f"{url}/en/integration/sources/{source.pk}/")
    accessible(desk)
    desk.set_input_files("#id_file", str(deaths))
    click_button(desk, "Read the file (dry run)")
    expect(desk.locator("h1")).to_contain_text("Dry run")
    expect(desk.locator("main")).to_contain_text("a leading zero may have been lost")
    accessible(desk)
    assert Person.objects.get(pk=nino.pk).date_of_death is None
    click_button(desk, "Commit: apply these changes")
    expect(desk.locator("h1")).to_contain_text("Commit")
    assert Import.objects.get(dry_run=False).status == "done"
    assert Person.objects.get(pk=nino.pk).date_of_death == date(2026, 10, 1)

    # Nino registered again with a passport, day and month swapped: found, read, decided.
    household(
        head={
            "personal_number": None,
            "alt_id_kind": "foreign_passport",
            "alt_id_number": "P7654321",
            "first_name": "ნინო",
            "last_name": "კაპანაძე",
            "birth_date": date(1940, 3, 2),
            "sex": "F",
        }
    )
    LinkageModel.objects.create(
        model=train(linked_records(2000, seed=3), seed=3, max_pairs=5e5), records=2000, seconds=1
    )
    linkage.linkage_execute(run=linkage.linkage_start(actor=officer, enqueue=False))
    pair = MatchPair.objects.get()
    desk.goto(f"{url}/en/integration/duplicates/")
    accessible(desk)
    desk.get_by_role("table").get_by_role("link", name=f"#{pair.pk}").click()
    expect(desk.locator("main")).to_contain_text("P7654321")
    expect(desk.locator("main")).to_contain_text("Day and month swapped")
    accessible(desk)
    desk.get_by_label("Yes, the same person").check()
    click_button(desk, "Record the decision")
    expect(desk.get_by_role("link", name="Merge these records")).to_be_visible()
    pair.refresh_from_db()
    assert pair.status == "match" and pair.decided_by == officer
