"""Opaque identifiers shaped like the reference API's (base62 KSUID-like, 24-hex ObjectId-like)."""

import secrets
import string

_BASE62 = string.digits + string.ascii_letters


def new_id(length: int = 22) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def new_version_id() -> str:
    return new_id(27)


def new_object_id() -> str:
    return secrets.token_hex(12)


def new_write_key() -> str:
    return new_id(32)
