"""Georgia's national romanisation system of 2002 (Mkhedruli to Latin).

Source: the table adopted by the State Department of Geodesy and Cartography of Georgia and the
Institute of Linguistics, 2002 (also the UN-recommended system since 2012; see ../shared/DOMAIN.md).
Ejective consonants carry an apostrophe; everyday spelling drops it, so search keys drop it too.
"""

import re
import unicodedata

NATIONAL_2002: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "k'", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p'", "ჟ": "zh", "რ": "r", "ს": "s",
    "ტ": "t'", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q'", "შ": "sh", "ჩ": "ch", "ც": "ts",
    "ძ": "dz", "წ": "ts'", "ჭ": "ch'", "ხ": "kh", "ჯ": "j", "ჰ": "h",
}  # fmt: skip

# Mtavruli capitals (U+1C90..U+1CBA) map onto Mkhedruli (U+10D0..U+10FA).
_MTAVRULI_OFFSET = 0x1C90 - 0x10D0
_APOSTROPHES = "'’ʼ`´"
_GEORGIAN = re.compile(r"[\u10d0-\u10fa\u1c90-\u1cba]")
_NON_KEY = re.compile(r"[^a-z0-9 ]+")


def _mkhedruli(ch: str) -> str:
    code = ord(ch)
    return chr(code - _MTAVRULI_OFFSET) if 0x1C90 <= code <= 0x1CBA else ch


def romanise(text: str) -> str:
    """Latin form of a Georgian text, with the apostrophes of the national system.

    The first letter of each word is capitalised, as names are written in Latin script.
    """
    out = []
    for word in text.split(" "):
        latin = "".join(NATIONAL_2002.get(_mkhedruli(ch), ch) for ch in word)
        out.append(latin[:1].upper() + latin[1:])
    return " ".join(out)


def has_georgian(text: str) -> bool:
    return bool(_GEORGIAN.search(text))


def search_key(text: str) -> str:
    """Lower-case Latin without apostrophes or diacritics: `გიორგი`, `Giorgi` and `giorgi` agree."""
    latin = romanise(text) if has_georgian(text) else text
    for mark in _APOSTROPHES:
        latin = latin.replace(mark, "")
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode().lower()
    latin = _NON_KEY.sub(" ", latin.replace("-", " "))
    return " ".join(latin.split())
