"""Password rules beyond Django's (length, common list, similarity, all digits)."""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Places and words a guesser tries first here and that Django's common list (English) lacks.
LOCAL_WORDS = frozenset(
    {
        "georgia",
        "sakartvelo",
        "tbilisi",
        "kutaisi",
        "batumi",
        "rustavi",
        "zugdidi",
        "gori",
        "poti",
        "telavi",
        "samtredia",
        "khashuri",
        "senaki",
        "zestaponi",
        "marneuli",
        "ozurgeti",
        "kobuleti",
        "mtskheta",
        "akhaltsikhe",
        "borjomi",
        "kakheti",
        "imereti",
        "adjara",
        "ajara",
        "guria",
        "samegrelo",
        "svaneti",
        "racha",
        "kartli",
        "javakheti",
        "zrunva",
        "ssa",
        "gamarjoba",
        "parol",
        "paroli",
    }
)


class WordWithDigitsValidator:
    """Refuses one common word or place with digits and symbols around it: `georgia2026`,
    `Tbilisi!2024`, `Password1234`. Such passwords are among the first a guesser tries, whatever
    their length; a passphrase of several words (`Zrunva-demo-2026`) passes."""

    def __init__(self):
        self._common = CommonPasswordValidator().passwords

    def validate(self, password, user=None):
        words = re.findall(r"[^\W\d_]+", password.lower())
        if len(words) == 1 and (words[0] in LOCAL_WORDS or words[0] in self._common):
            raise ValidationError(
                _(
                    "This password is a common word or place with digits added, such as a "
                    "year; such passwords are guessed first. Use several unrelated words."
                ),
                code="password_word_with_digits",
            )

    def get_help_text(self):
        return _("Your password can't be a common word or place with only digits or symbols added.")
