"""The exchange file with Worknet, the state employment service (docs/worknet-exchange.md): CSV,
comma-separated, UTF-8 with a byte-order mark (spreadsheets then read Georgian names right),
dates as YYYY-MM-DD, one referral a row under a header row. We send the referrals not yet sent;
Worknet sends the same file back with `status` and `outcome_date` filled in. Every row of an
answer is checked before anything is applied (`check`): one bad row refuses the file, and the
report names every bad row with its number (the header is row 1) and the reason."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zrunva.cases.choices import CLOSED_REFERRAL, OUTCOMES, JobSeekerStatus
from zrunva.core.validators import personal_number_validator

COLUMNS = [
    "referral_id",
    "personal_number",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "municipality_code",
    "programme_code",
    "referred_on",
    "sent_in",
    "status",
    "outcome_date",
]
# The columns an answer must keep; the others are for Worknet's staff and are not read back.
REQUIRED = ["referral_id", "personal_number", "status", "outcome_date"]
# The codes an answer may give: `sent` (no news yet: the row changes nothing) or an outcome.
ANSWER_CODES = (JobSeekerStatus.SENT, *OUTCOMES)
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    number: int  # the row of the file (the header is row 1)
    referral_id: str
    personal_number: str
    status: str
    outcome_date: str


def write(referrals, out) -> int:
    """The referrals as an export file written to the binary `out`; how many rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    count = 0
    for r in referrals:
        writer.writerow(
            [
                r.pk,
                r.person.personal_number,
                r.person.last_name,
                r.person.first_name,
                r.person.birth_date.isoformat(),
                r.person.sex,
                r.municipality.code,
                r.programme.code if r.programme_id else "",
                r.referred_at.date().isoformat(),
                r.sent_in,
                r.status,
                r.outcome_on.isoformat() if r.outcome_on else "",
            ]
        )
        count += 1
    text.flush()
    text.detach()
    return count


def parse(data: bytes) -> list[Row]:
    """The rows of an answer; a file that is not UTF-8 CSV with the required columns is refused
    whole (the rows are checked by `check`)."""
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The CSV file is not UTF-8 text.")}) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(
            {
                "file": _("The CSV file lacks the columns: %(names)s.")
                % {"names": ", ".join(missing)}
            }
        )
    return [
        Row(
            number=number,
            referral_id=(row.get("referral_id") or "").strip(),
            personal_number=(row.get("personal_number") or "").strip(),
            status=(row.get("status") or "").strip().lower(),
            outcome_date=(row.get("outcome_date") or "").strip(),
        )
        for number, row in enumerate(reader, start=2)
    ]


@dataclass(frozen=True)
class Known:
    """What we hold of a sent referral, to check an answer's row against."""

    personal_number: str
    status: str
    sent_on: date
    outcome_on: date | None


def check(rows: list[Row], known: dict[int, Known], *, today: date) -> list[dict]:
    """Every problem of the answer, row by row ({"row", "personal_number", "problem"}); none:
    it may be applied. `known` maps the ids of the referrals sent (in the importer's area) to
    what we hold of them."""
    problems: list[dict] = []
    seen: dict[int, int] = {}

    def problem(row: Row, text) -> None:
        problems.append(
            {"row": row.number, "personal_number": row.personal_number, "problem": text}
        )

    if not rows:
        return [{"row": 1, "personal_number": "", "problem": _("The file has no rows.")}]
    for row in rows:
        try:
            personal_number_validator(row.personal_number)
        except ValidationError:
            problem(row, _("The personal number is malformed: it has exactly 11 digits."))
            continue
        pk = int(row.referral_id) if row.referral_id.isascii() and row.referral_id.isdigit() else 0
        referral = known.get(pk)
        if referral is None or referral.personal_number != row.personal_number:
            problem(row, _("No referral sent to Worknet has this id and personal number."))
            continue
        if pk in seen:
            problem(
                row, _("This referral is named twice (also on row %(row)d).") % {"row": seen[pk]}
            )
            continue
        seen[pk] = row.number
        if row.status not in ANSWER_CODES:
            problem(
                row,
                _("Unknown status code “%(code)s”: use %(codes)s.")
                % {"code": row.status or "—", "codes": ", ".join(ANSWER_CODES)},
            )
            continue
        if row.status == JobSeekerStatus.SENT:
            continue  # no news yet
        try:
            day = date.fromisoformat(row.outcome_date)
        except ValueError:
            problem(row, _("The outcome date is missing or not a date as YYYY-MM-DD."))
            continue
        if day > today:
            problem(row, _("The outcome date %(day)s is in the future.") % {"day": day})
        elif day < referral.sent_on:
            problem(
                row,
                _("The outcome date %(day)s is before the referral was sent (%(sent)s).")
                % {"day": day, "sent": referral.sent_on},
            )
        unchanged = referral.status == row.status and referral.outcome_on == day
        if referral.status in CLOSED_REFERRAL and not unchanged:
            problem(
                row, _("This referral is already closed: the person was placed or not reached.")
            )
    return problems
