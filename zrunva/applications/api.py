from datetime import date

from ninja import Router, Schema

from zrunva.applications import selectors

router = Router(tags=["applications"])


class DelayOut(Schema):
    programme: str
    municipality: str
    month: str
    decided: int
    decision_median: float | None
    decision_p90: float | None
    enrolled: int
    enrolment_median: float | None
    enrolment_p90: float | None


@router.get(
    "/applications/delays",
    response=list[DelayOut],
    summary="Days from submission to decision and to enrolment: median and 90th percentile",
)
def delays(request, since: date | None = None):
    return selectors.delay_indicators(actor=request.user, since=since).to_dicts()
