from datetime import date

from zrunva.applications.choices import Channel as ApplicationChannel
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.applications.services import application_submit, application_transition
from zrunva.geo.models import Municipality
from zrunva.grievances.choices import Category, Channel
from zrunva.grievances.services import grievance_file
from zrunva.programmes.models import Programme

PERSONAL_NUMBER = "01001012345"
COMPLAINANT = {
    "personal_number": PERSONAL_NUMBER,
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "phone": "+995 555 12 34 56",
    "email": "",
    "language": "en",
}


def grievance(*, actor=None, channel=Channel.PORTAL, municipality="kutaisi", **overrides):
    """A grievance about the quality of service, filed on the portal unless told otherwise."""
    complainant = {k: overrides.pop(k) for k in list(overrides) if k in COMPLAINANT}
    data = {
        "category": Category.SERVICE_QUALITY,
        "text": "ოფისში ორი საათი ველოდე.",
        "municipality": Municipality.objects.get(code=municipality) if municipality else None,
    } | overrides
    return grievance_file(
        actor=actor, channel=channel, complainant=COMPLAINANT | complainant, **data
    )


def application(*, personal_number=PERSONAL_NUMBER, municipality="kutaisi"):
    return application_submit(
        channel=ApplicationChannel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=Municipality.objects.get(code=municipality),
        applicant={
            "personal_number": personal_number,
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": date(1985, 3, 1),
            "phone": "+995 555 12 34 56",
        },
        consent=True,
    )


def refused_application(decider, **kwargs):
    """An application refused by `decider` before it was registered (a decision that can be
    appealed, without the registry and the rating score)."""
    refused = application(**kwargs)
    return application_transition(
        actor=decider,
        application=refused,
        to=ApplicationStatus.REJECTED,
        note="The applicant did not come to the office.",
    )


def appeal(application, *, actor=None, channel=Channel.PORTAL, **overrides):
    return grievance(
        actor=actor,
        channel=channel,
        municipality=None,
        category=Category.DECISION_APPEAL,
        text="ჩემი განაცხადი უსაფუძვლოდ უარყვეს.",
        application_number=application.number,
        **overrides,
    )
