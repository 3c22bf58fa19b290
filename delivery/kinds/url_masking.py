"""Webhook URLs shown like secrets: receivers often take their credentials in the URL
(`https://user:key@host/`, `?token=...`), so the API, the admin and the audit trail show the
userinfo and every query (and fragment) value masked, and a masked URL sent back in an update
stands for the stored one. Scheme, host, port, path and query names stay readable to tell
destinations apart."""

from urllib.parse import urlsplit

from functions.schema import MASK_CHAR
from workspace.errors import InvalidInput

HIDDEN = MASK_CHAR * 6


def _masked_pairs(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        # A bare `?abc123` may be the credential itself.
        pairs.append(f"{name}={HIDDEN}" if equals else HIDDEN if pair else pair)
    return "&".join(pairs)


def masked_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    host = parts.netloc.rpartition("@")[2]
    userinfo = f"{MASK_CHAR * 4}@" if "@" in parts.netloc else ""
    shown = f"{parts.scheme}://{userinfo}{host}{parts.path}"
    if parts.query:
        shown += "?" + _masked_pairs(parts.query)
    if parts.fragment:
        shown += "#" + HIDDEN
    return shown


def is_masked_url(url: str) -> bool:
    return MASK_CHAR in url


def url_unmasked(sent: str, stored: str) -> str:
    """The URL to store for `sent`: the stored one when `sent` is its masked form."""
    if not is_masked_url(sent):
        return sent
    if stored and sent == masked_url(stored):
        return stored
    raise InvalidInput(
        "settings.url: a masked URL was sent that is not the stored URL masked; "
        "send the full URL to change it",
        field="settings.url",
    )


def host_only_url(url: str) -> str:
    """Scheme and host only, for pages read over a shoulder: paths often carry credentials
    too (`/hooks/<token>`)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    rest = parts.path.strip("/") or parts.query
    return f"{parts.scheme}://{host}/{MASK_CHAR * 8 if rest else ''}"
