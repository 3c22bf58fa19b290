"""Crawl the console and the admin as each role: every same-origin link under /admin/ and
every dialog they open. No page may answer 5xx or Django's debug page, no page may throw a
JavaScript error, and no seeded secret (setting, webhook URL and header, token) may appear
in any HTML.

Generic on purpose: it knows no screen. Dialog openers are found by convention:
`data-dialog="ID"`, `aria-haspopup="dialog"` or `commandfor`/`aria-controls` naming a
<dialog>."""

from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import BrowserContext, Page, Route

from tests.console_world import PASSWORD, ROLES, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 400
DEBUG_MARKERS = ("You're seeing this error because you have", 'id="traceback"', "Exception Value")
# Links that act rather than show (GET is harmless but leaves the session or the site).
SKIP_PATHS = ("/admin/logout/", "/admin/r/", "/admin/jsi18n/")
# What opens a dialog (tabs control their panels, not dialogs).
OPENERS = (
    "[data-dialog], [aria-haspopup=dialog], [commandfor], "
    "button[aria-controls]:not([role=tab]), a[aria-controls]:not([role=tab])"
)


@pytest.fixture
def world(transactional_db):
    return build_world()


def _serve_static_from_disk(context: BrowserContext, live_url: str) -> None:
    """Static files straight from the finders: the live server would otherwise serve the
    admin's dozen files again for every page of the crawl."""

    def fulfill(route: Route) -> None:
        path = urlsplit(route.request.url).path.removeprefix("/static/")
        found = finders.find(path)
        if isinstance(found, str):
            route.fulfill(path=found)
        else:
            route.continue_()

    context.route(f"{live_url}/static/**", fulfill)


def _normal(base: str, href: str) -> str | None:
    """The URL to visit for `href`, or None when it is not a page of ours to crawl."""
    url, _ = urldefrag(urljoin(base, href))
    parts, origin = urlsplit(url), urlsplit(base)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        return None
    if not parts.path.startswith("/admin/") or parts.path.startswith(SKIP_PATHS):
        return None
    # The stock admin's sort and filter links multiply one list into hundreds of URLs.
    query = f"?{parts.query}" if parts.query and parts.path.startswith("/admin/w/") else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


def _check_html(html: str, url: str, secrets: tuple[str, ...], problems: list[str]) -> None:
    for marker in DEBUG_MARKERS:
        if marker in html:
            problems.append(f"{url}: Django debug page")
    for secret in secrets:
        if secret in html:
            problems.append(f"{url}: secret {secret[:6]}… in the HTML")


def _open_dialogs(page: Page, url: str, secrets: tuple[str, ...], problems: list[str]) -> int:
    opened = 0
    openers = page.locator(OPENERS)
    for index in range(openers.count()):
        opener = openers.nth(index)
        if not opener.is_visible():
            continue
        opener.click()
        dialog = page.locator("dialog[open], [role=dialog]:visible").first
        try:
            dialog.wait_for(state="visible", timeout=3000)
        except Exception:
            problems.append(f"{url}: opener #{index} opened no dialog")
            continue
        opened += 1
        _check_html(page.content(), f"{url} (dialog {index})", secrets, problems)
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden", timeout=3000)
    return opened


def crawl(page: Page, starts: list[str], secrets: tuple[str, ...]) -> tuple[int, int, list[str]]:
    """(pages visited, dialogs opened, problems) from `starts`."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"{page.url}: JS error {error}"))
    queue, seen, dialogs = deque(starts), set(starts), 0
    linked_from: dict[str, str] = {}
    while queue and len(seen) <= MAX_PAGES:
        url = queue.popleft()
        response = page.goto(url, wait_until="domcontentloaded")
        status = response.status if response is not None else 0
        if status >= 500 or status == 0:
            problems.append(f"{url}: status {status}")
            continue
        if status >= 400 and url not in starts:
            # A page offered this user a link it may not follow.
            problems.append(f"{url}: status {status}, linked from {linked_from.get(url)}")
            continue
        _check_html(page.content(), url, secrets, problems)
        dialogs += _open_dialogs(page, url, secrets, problems)
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = _normal(page.url, href)
            if target and target not in seen:
                seen.add(target)
                linked_from[target] = url
                queue.append(target)
    return len(seen), dialogs, problems


@pytest.mark.parametrize("role", ROLES)
def test_crawl_every_page_and_dialog_per_role(world, browser, live_server, role):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    _serve_static_from_disk(context, live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", world.users[role].username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    starts = [
        f"{live_server.url}/admin/",
        # The outsider's own workspace is elsewhere; this one must be a 404 throughout.
        f"{live_server.url}/admin/w/{world.workspace.slug}/catalog/",
    ]
    visited, dialogs, problems = crawl(page, starts, world.secrets)
    context.close()
    assert not problems, "\n".join(problems)
    assert visited >= 2
    if role in ("owner", "superuser"):
        # Connect, Enable Function and Disconnect dialogs at least.
        assert dialogs >= 3
