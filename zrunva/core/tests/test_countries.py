from django.utils import translation

from zrunva.core.countries import country_choices, country_name


def test_a_country_is_named_in_the_active_language():
    with translation.override("ka"):
        assert country_name("GE") == "საქართველო"
        assert country_name("TR") == "თურქეთი"
    with translation.override("en"):
        assert country_name("GE") == "Georgia"


def test_stateless_and_unknown_codes():
    with translation.override("en"):
        assert country_name("XX") == "Stateless"
        assert country_name("QQ") == "QQ"  # shown as stored rather than lost
    with translation.override("ka"):
        # Its Georgian text comes with the catalogue (translated apart from the code).
        assert country_name("XX") == translation.gettext("Stateless")


def test_choices_follow_the_alphabet_of_the_language_with_stateless_last():
    with translation.override("ka"):
        choices = country_choices()
        names = [name for _code, name in choices[:-1]]
        assert names == sorted(names)
        assert choices[-1] == ("XX", translation.gettext("Stateless"))
        codes = {code for code, _name in choices}
        assert {"GE", "AM", "AZ", "UA"} <= codes
        assert not codes & {"EU", "UN", "ZZ", "419"}  # groupings and regions are no citizenship
    with translation.override("en"):
        names = [name for _code, name in country_choices()]
        # Åland Islands among the A's, not after Zimbabwe.
        assert names.index("Åland Islands") < names.index("Albania")
