"""What every browser journey needs: a page signed in as a user, and a button that navigates."""

from django.conf import settings as django_settings
from django.test import Client


def signed_in(page, live_server, user):
    """A new page, in a context of its own, signed in as `user` (a session made by Django's
    test client, its cookie handed to the browser)."""
    client = Client()
    client.force_login(user)
    context = page.context.browser.new_context()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def click_button(page, name):
    """Click the button named exactly `name` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
