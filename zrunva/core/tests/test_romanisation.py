import pytest

from zrunva.core.romanisation import NATIONAL_2002, romanise, search_key

# The national system of 2002, letter by letter (../shared/DOMAIN.md).
OFFICIAL = [
    ("ა", "a"), ("ბ", "b"), ("გ", "g"), ("დ", "d"), ("ე", "e"), ("ვ", "v"), ("ზ", "z"),
    ("თ", "t"), ("ი", "i"), ("კ", "k'"), ("ლ", "l"), ("მ", "m"), ("ნ", "n"), ("ო", "o"),
    ("პ", "p'"), ("ჟ", "zh"), ("რ", "r"), ("ს", "s"), ("ტ", "t'"), ("უ", "u"), ("ფ", "p"),
    ("ქ", "k"), ("ღ", "gh"), ("ყ", "q'"), ("შ", "sh"), ("ჩ", "ch"), ("ც", "ts"), ("ძ", "dz"),
    ("წ", "ts'"), ("ჭ", "ch'"), ("ხ", "kh"), ("ჯ", "j"), ("ჰ", "h"),
]  # fmt: skip


def test_table_covers_the_whole_modern_alphabet():
    assert len(OFFICIAL) == 33
    assert dict(OFFICIAL) == NATIONAL_2002


@pytest.mark.parametrize(("letter", "latin"), OFFICIAL)
def test_each_letter(letter, latin):
    # Inside a word, so capitalisation of the first letter does not hide the lower-case form.
    assert romanise("ა" + letter) == "A" + latin


@pytest.mark.parametrize(
    ("georgian", "latin"),
    [
        ("გიორგი", "Giorgi"),
        ("წერეთელი", "Ts'ereteli"),
        ("ჭავჭავაძე", "Ch'avch'avadze"),
        ("ქუთაისი", "Kutaisi"),
        ("ყაზბეგი", "Q'azbegi"),
        ("ნინო ბერიძე-ჟღენტი", "Nino Beridze-zhghent'i"),
    ],
)
def test_words(georgian, latin):
    assert romanise(georgian) == latin


def test_mtavruli_capitals_read_as_mkhedruli():
    assert romanise("ᲒᲘᲝᲠᲒᲘ") == "Giorgi"


@pytest.mark.parametrize(
    "text", ["წერეთელი", "Ts'ereteli", "tsereteli", "TSERETELI", "Ts’ereteli", "  tsereteli "]
)
def test_search_key_ignores_script_case_and_apostrophes(text):
    assert search_key(text) == "tsereteli"


def test_search_key_folds_hyphens_and_spaces():
    assert search_key("ბერიძე-ჟღენტი  ნინო") == "beridze zhghenti nino"
