"""Provider organisations and invitations (issue 14, item 1): an administrator creates an
organisation and invites its first user by e-mail; that user invites colleagues; each link
works once, for its own organisation and role, and no key is stored."""

import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from zrunva.accounts import services
from zrunva.accounts.choices import Role
from zrunva.accounts.models import Invitation, Organisation, User
from zrunva.geo.models import Municipality

pytestmark = pytest.mark.django_db

PASSWORD = "Long enough pass phrase 42"


def _url_for(key: str) -> str:
    return f"http://testserver/en/accounts/invitation/{key}/"


def _link(message) -> str:
    return re.search(r"http://testserver(/\S+/)", message.body).group(1)


def _organisation(name="Care Network") -> Organisation:
    return Organisation.objects.create(name_ka="ზრუნვის ქსელი", name_en=name)


def _accept(link: str, username: str, password: str = PASSWORD, again: str | None = None):
    return Client().post(
        link, {"username": username, "password1": password, "password2": again or password}
    )


def test_an_administrator_creates_an_organisation_whose_first_user_invites_a_colleague(
    login_as, django_capture_on_commit_callbacks
):
    admin = login_as(Role.ADMIN)
    kutaisi = Municipality.objects.get(code="kutaisi")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/en/accounts/organisations/new/",
            {
                "name_ka": "ზრუნვის ქსელი",
                "name_en": "Care Network",
                "municipalities": [kutaisi.pk],
                "first_name": "Nino",
                "last_name": "Beridze",
                "email": "nino@care.example",
                "language": "en",
                "role": Role.SERVICE_PROVIDER,
            },
        )
    organisation = Organisation.objects.get(name_en="Care Network")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/organisations/{organisation.pk}/")
    assert list(organisation.municipalities.all()) == [kutaisi]
    (message,) = mail.outbox
    assert message.to == ["nino@care.example"]
    assert "Care Network" in message.subject
    link = _link(message)
    # The key is in the e-mail, never in the database.
    key = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert key not in invitation.key_hash and invitation.sent_at is not None

    page = Client().get(link)
    assert page.status_code == 200 and b"Nino" in page.content
    assert _accept(link, "nino").status_code == 302
    nino = User.objects.get(username="nino")
    assert (nino.role, nino.organisation, nino.email, nino.first_name) == (
        Role.SERVICE_PROVIDER,
        organisation,
        "nino@care.example",
        "Nino",
    )
    assert nino.check_password(PASSWORD) and nino.preferred_language == "en"
    invitation.refresh_from_db()
    assert invitation.user == nino and invitation.accepted_at is not None
    # The link works once.
    assert Client().get(link).status_code == 404
    assert _accept(link, "nino2").status_code == 404
    assert not User.objects.filter(username="nino2").exists()

    # Nino invites a colleague, with her own role and organisation only.
    client = Client()
    client.force_login(nino)
    assert client.get("/en/accounts/organisations/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/accounts/organisations/{organisation.pk}/",
            {
                "first_name": "Giorgi",
                "last_name": "Kapanadze",
                "email": "giorgi@care.example",
                "language": "ka",
                "role": Role.SERVICE_PROVIDER,
            },
        )
    assert response.status_code == 302
    invited = mail.outbox[-1]
    # In the invitee's language.
    assert invited.subject.startswith("მოწვევა")
    assert _accept(_link(invited), "giorgi").status_code == 302
    assert User.objects.get(username="giorgi").organisation == organisation


def test_staff_invite_only_into_their_own_organisation_and_with_their_own_role(make_user):
    mine, theirs = _organisation("Mine"), _organisation("Theirs")
    staff = make_user(Role.SERVICE_PROVIDER, organisation=mine)
    with pytest.raises(PermissionDenied):
        services.invitation_send(
            actor=staff,
            organisation=theirs,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.SERVICE_PROVIDER,
            url_for=_url_for,
        )
    # No staff role can be handed out by an invitation, not even by an administrator.
    for actor in (staff, make_user(Role.ADMIN)):
        with pytest.raises(PermissionDenied):
            services.invitation_send(
                actor=actor,
                organisation=mine,
                email="x@example.org",
                first_name="X",
                last_name="Y",
                role=Role.SSA_OFFICER,
                url_for=_url_for,
            )
    for role in (Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.SOCIAL_WORKER):
        officer = make_user(role, municipality="kutaisi")
        with pytest.raises(PermissionDenied):
            services.invitation_send(
                actor=officer,
                organisation=mine,
                email="x@example.org",
                first_name="X",
                last_name="Y",
                role=Role.SERVICE_PROVIDER,
                url_for=_url_for,
            )
    assert not Invitation.objects.exists()


def test_another_organisations_page_and_invitations_are_refused_and_audited(make_user):
    mine, theirs = _organisation("Mine"), _organisation("Theirs")
    admin = make_user(Role.ADMIN)
    invitation = services.invitation_send(
        actor=admin,
        organisation=theirs,
        email="x@example.org",
        first_name="X",
        last_name="Y",
        role=Role.SERVICE_PROVIDER,
        url_for=_url_for,
    )
    client = Client()
    client.force_login(make_user(Role.SERVICE_PROVIDER, organisation=mine))
    assert client.get(f"/en/accounts/organisations/{theirs.pk}/").status_code == 404
    assert client.post(f"/en/accounts/invitations/{invitation.pk}/withdraw/").status_code == 404
    assert client.post(f"/en/accounts/invitations/{invitation.pk}/resend/").status_code == 404
    attempts = LogEntry.objects.filter(additional_data__attempt=True)
    assert attempts.count() == 3
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    # The new-organisation page is an administrator's.
    assert client.get("/en/accounts/organisations/new/").status_code == 403
    officer = Client()
    officer.force_login(make_user(Role.SSA_OFFICER))
    assert officer.get("/en/accounts/organisations/").status_code == 403
    assert officer.get(f"/en/accounts/organisations/{mine.pk}/").status_code == 404


def test_a_withdrawn_expired_or_resent_link_stops_working(
    make_user, django_capture_on_commit_callbacks
):
    organisation = _organisation()
    admin = make_user(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_send(
            actor=admin,
            organisation=organisation,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.SERVICE_PROVIDER,
            url_for=_url_for,
        )
    first = _link(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation=invitation, url_for=_url_for)
    second = _link(mail.outbox[-1])
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200

    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert Client().get(second).status_code == 404
    # An expired invitation gives way to a new one to the same address.
    fresh = services.invitation_send(
        actor=admin,
        organisation=organisation,
        email="X@example.org",
        first_name="X",
        last_name="Y",
        role=Role.SERVICE_PROVIDER,
        url_for=_url_for,
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and fresh.is_open
    # An open one does not: the same address twice is a resend.
    with pytest.raises(ValidationError) as error:
        services.invitation_send(
            actor=admin,
            organisation=organisation,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.SERVICE_PROVIDER,
            url_for=_url_for,
        )
    assert "email" in error.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation=fresh, url_for=_url_for)
    link = _link(mail.outbox[-1])
    services.invitation_revoke(actor=admin, invitation=fresh)
    assert Client().get(link).status_code == 404
    assert _accept(link, "x").status_code == 404
    assert not User.objects.filter(username="x").exists()


def test_bad_choices_are_named_at_their_field_and_nothing_is_created(
    make_user, django_capture_on_commit_callbacks
):
    organisation = _organisation()
    User.objects.create_user("taken", role=Role.SERVICE_PROVIDER, organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send(
            actor=make_user(Role.ADMIN),
            organisation=organisation,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.SERVICE_PROVIDER,
            url_for=_url_for,
        )
    link = _link(mail.outbox[-1])
    users = User.objects.count()
    for username, password, again, field in (
        ("newuser", "short", None, "password1"),
        ("newuser", PASSWORD, PASSWORD + "x", "password2"),
        ("taken", PASSWORD, None, "username"),
        ("bad name!", PASSWORD, None, "username"),
    ):
        response = _accept(link, username, password, again)
        assert response.status_code == 200
        assert response.context["form"].errors.get(field), (username, field)
    assert User.objects.count() == users
    assert Invitation.objects.get().accepted_at is None


def test_the_invitation_page_reveals_nothing_for_an_unknown_key(make_user):
    response = Client().get("/en/accounts/invitation/not-a-key/")
    assert response.status_code == 404
    assert b"does not work" in response.content


def test_an_unsent_invitation_says_so_and_can_be_sent_again(
    make_user, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "zrunva.accounts.tests.test_invitations.FailingBackend"
    organisation = _organisation()
    admin = make_user(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_send(
            actor=admin,
            organisation=organisation,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.SERVICE_PROVIDER,
            url_for=_url_for,
        )
    invitation.refresh_from_db()
    assert invitation.sent_at is None and str(invitation.state) == "Not sent"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation=invitation, url_for=_url_for)
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and str(invitation.state) == "Waiting"
    assert invitation.expires_at > timezone.now() + timedelta(days=6)


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")
