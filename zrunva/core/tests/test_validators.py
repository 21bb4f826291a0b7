import pytest
from django.template import Context, Template

from zrunva.core.validators import phone_display, phone_e164


@pytest.mark.parametrize(
    "typed",
    ["555 12 34 56", "555123456", "+995 555 12 34 56", "(+995) 555-12-34-56", " 555 123 456 "],
)
def test_a_georgian_mobile_is_stored_in_one_form_however_it_was_typed(typed):
    assert phone_e164(typed) == "+995555123456"


def test_a_landline_and_a_foreign_number_are_stored_in_e164():
    assert phone_e164("0322 12 34 56") == "+995322123456"
    assert phone_e164("+44 7700 900123") == "+447700900123"


def test_an_empty_phone_stays_empty_and_an_unreadable_one_is_kept_as_it_was():
    assert phone_e164("") == ""
    assert phone_e164("call me") == "call me"


def test_a_stored_phone_is_shown_in_the_national_format_and_a_foreign_one_internationally():
    assert phone_display("+995555123456") == "555 12 34 56"
    assert phone_display("+447700900123") == "+44 7700 900123"
    assert phone_display("") == ""
    rendered = Template("{% load zrunva %}{{ p|phone }}").render(Context({"p": "+995555123456"}))
    assert rendered == "555 12 34 56"
