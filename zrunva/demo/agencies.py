"""A synthetic agency for the demo: a revenue service that may look a person up by personal
number and learn their name and the programmes they are enrolled in, nothing else (the DCI
search, `zrunva.integration.dci`). Its legal basis is illustrative: no real act is cited."""

from zrunva.accounts.models import User
from zrunva.integration.agencies import (
    agency_create,
    agency_key_issue,
    agency_key_revoke,
    agency_update,
)
from zrunva.integration.models import Agency

DEMO_AGENCY = {
    "name": "Revenue Service (illustrative)",
    "sender_id": "rs-ge-demo",
    "legal_basis": (
        "Illustrative: an agreement between the Revenue Service and the Social Service Agency "
        "on checking whether a taxpayer receives social assistance (no real act is cited)."
    ),
    "contact": "data-protection@rs.example.ge (synthetic)",
    "active": True,
    "fields": ["personal_number", "names", "enrolled_programmes"],
    "query_types": ["idtype-value"],
    "predicates": [],
    "rate_limit": 60,
    "max_results": 1,
}
DEMO_KEY_NAME = "demo tax system"


def demo_agency() -> tuple[Agency, str]:
    """The demo agency with its narrow scope (created, or set back to it), and a new key for
    it: the earlier demo keys are revoked, so the key printed by the last `demo_setup` is the
    one that works. Returns the agency and the key."""
    admin = User.objects.filter(username="admin").first()
    agency = Agency.objects.filter(sender_id=DEMO_AGENCY["sender_id"]).first()
    if agency is None:
        agency = agency_create(actor=admin, **DEMO_AGENCY)
    else:
        agency = agency_update(actor=admin, agency=agency, **DEMO_AGENCY)
    for client in agency.clients.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True):
        agency_key_revoke(actor=admin, client=client)
    _client, key = agency_key_issue(actor=admin, agency=agency, name=DEMO_KEY_NAME)
    return agency, key
