"""Encryption at rest of sensitive setting values: MultiFernet over FUNCTIONS_ENCRYPTION_KEYS
(the first key encrypts, every key decrypts), so keys can be rotated without downtime."""

import json
import logging
import os
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)


class DecryptionFailed(Exception):
    pass


def _development_key() -> str:
    path = settings.FUNCTIONS_DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    logger.warning(
        "FUNCTIONS_ENCRYPTION_KEYS is not set: using the development key in %s. "
        "Set FUNCTIONS_ENCRYPTION_KEYS in production.",
        path,
    )
    return path.read_text().strip()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.FUNCTIONS_ENCRYPTION_KEYS) or [_development_key()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def reset_keys() -> None:
    """Forget the cached keys (after the settings changed, in tests and key rotation)."""
    _fernet.cache_clear()


def encrypt_value(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_value(token: str) -> Any:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DecryptionFailed("no configured key decrypts this value") from None


def rotate_value(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
