import csv
import ipaddress
import json
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.accounts.models import User
from zrunva.audit import breach
from zrunva.core.trail import attempt_log


class Command(BaseCommand):
    help = (
        "What one staff account, address or agency read, changed, exported or was refused in a "
        "window, from the audit trail, and the people it concerns (for the breach notification "
        "to the Personal Data Protection Service and to the people). Run on the server for the "
        "data protection officer named by --dpo, in their language; the run is itself audited "
        "as an access to the trail. docs/breach-runbook.md says when and how."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dpo", required=True, help="username of the data protection officer asking"
        )
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="a staff account's username")
        who.add_argument("--ip", help="an address (IPv4 or IPv6) requests came from")
        who.add_argument("--agency", help="an agency's sender id, or the start of one of its keys")
        parser.add_argument(
            "--since", required=True, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time), included"
        )
        parser.add_argument(
            "--until",
            help="YYYY-MM-DD (the whole day included) or YYYY-MM-DDTHH:MM (excluded); default: now",
        )
        parser.add_argument("--csv", help="write the people reached to this CSV file")

    def handle(self, *args, **options):
        dpo = _user(options["dpo"], "--dpo")
        with translation.override(dpo.preferred_language or None):
            if not permissions.has_perm(dpo, permissions.AUDIT_VIEW):
                # Someone on the server named another account: a denied attempt, audited.
                attempt_log(
                    actor=dpo,
                    path="manage.py breach_scope",
                    reason="breach_scope: not the data protection officer",
                )
                raise CommandError(
                    _(
                        "%(name)s is not an active data protection officer: only the DPO "
                        "reads the trail."
                    )
                    % {"name": dpo.get_username()}
                )
            since = _moment(options["since"], "--since", end=False)
            until = _moment(options["until"], "--until", end=True) if options["until"] else None
            until = until or timezone.now()
            actor = _actor(options)
            try:
                scope = breach.scope_of(dpo=dpo, actor=actor, since=since, until=until)
            except breach.ScopeError as error:
                raise CommandError(str(error)) from None
            if options["csv"]:
                written = _write_csv(options["csv"], scope)
            self._report(scope)
            if options["csv"]:
                self.stdout.write(
                    _("%(count)d people written to %(path)s.")
                    % {"count": written, "path": options["csv"]}
                )

    def _report(self, scope: breach.Scope) -> None:
        out = self.stdout.write
        out(
            _("Breach scope: %(actor)s, from %(since)s to %(until)s")
            % {
                "actor": scope.actor.describe(),
                "since": _shown(scope.since),
                "until": _shown(scope.until),
            }
        )
        out(_("Audit rows: %(count)d") % {"count": scope.entries})
        out("")
        out(_("What was done, by kind of record:"))
        if not scope.counts:
            out("  " + _("nothing"))
        order = {kind: i for i, kind in enumerate(breach.KINDS)}
        for (kind, record), count in sorted(
            scope.counts.items(), key=lambda item: (order[item[0][0]], item[0][1])
        ):
            out(f"  {breach.KIND_LABELS[kind]}\t{record}\t{count}")
        out("")
        out(_("People reached: %(count)d") % {"count": len(scope.people)})
        for place, count in sorted(scope.by_municipality.items()):
            out(f"  {place}\t{count}")
        if scope.people:
            out("")
            out(_("People reached, for notification:"))
            for reached in _people(scope.people):
                out("  " + "\t".join(str(v) for v in _person_row(reached)))
        if scope.refused:
            out("")
            out(_("People whose records were asked for and refused (nothing of them reached):"))
            for person in _people(scope.refused):
                out("  " + "\t".join(str(v) for v in _person_row(person)))
        if scope.unnamed:
            out("")
            out(
                _(
                    "Not linked to a person (searches and list exports record their filter and "
                    "how many rows they gave, not who was in them; refusals reached nothing):"
                )
            )
            for row in scope.unnamed:
                detail = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True, default=str)
                out(
                    f"  {_shown(row['when'])}\t{breach.KIND_LABELS[row['kind']]}\t{row['record']}\t{detail}"
                )


def _user(username: str, option: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(
            _("%(option)s: there is no user %(name)s.") % {"option": option, "name": username}
        ) from None


def _moment(text: str, option: str, *, end: bool) -> datetime:
    """A date (its first moment; for --until, the end of the day) or a local date and time."""
    # A date first: parse_datetime would read "2026-11-30" as its midnight, losing the day.
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise CommandError(
            _("%(option)s: %(value)s is not a date (YYYY-MM-DD) or a date and time.")
            % {"option": option, "value": text}
        )
    if moment is None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _actor(options) -> breach.Actor:
    if options["user"]:
        return breach.Actor(user=_user(options["user"], "--user"))
    if options["ip"]:
        try:
            return breach.Actor(address=str(ipaddress.ip_address(options["ip"])))
        except ValueError:
            raise CommandError(
                _("--ip: %(value)s is not an IPv4 or IPv6 address.") % {"value": options["ip"]}
            ) from None
    agencies = breach.resolver("agencies")
    if agencies is None or not agencies.known(options["agency"]):
        raise CommandError(
            _("--agency: no agency has the sender id %(value)s, and no key starts with it.")
            % {"value": options["agency"]}
        )
    return breach.Actor(agency=options["agency"])


def _shown(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _people(found: dict[int, breach.Reached]) -> list[breach.Reached]:
    return sorted(found.values(), key=lambda r: (r.municipality, r.name, r.person_id))


def _person_row(reached: breach.Reached) -> list:
    how = ", ".join(str(breach.KIND_LABELS[k]) for k in breach.KINDS if k in reached.kinds)
    return [
        reached.personal_number,
        reached.name,
        reached.municipality,
        how,
        reached.times,
        _shown(reached.first),
        _shown(reached.last),
        reached.person_id,
    ]


def _csv_text(value):
    # A name starting with one of these is read as a formula by spreadsheets (OWASP's CSV
    # injection advice, as zrunva.core.exports does).
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _write_csv(path: str, scope: breach.Scope) -> int:
    """The people reached, one a row, with a BOM so that spreadsheets read Georgian."""
    try:
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(
                [
                    _("personal number"),
                    _("person's name"),
                    _("municipality"),
                    _("how reached"),
                    _("times"),
                    _("first"),
                    _("last"),
                    _("person in the registry"),
                ]
            )
            people = _people(scope.people)
            for reached in people:
                writer.writerow([_csv_text(v) for v in _person_row(reached)])
    except OSError as error:
        raise CommandError(
            _("--csv: cannot write %(path)s: %(error)s")
            % {"path": path, "error": error.strerror or error}
        ) from None
    return len(people)
