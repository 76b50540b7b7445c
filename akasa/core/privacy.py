"""Masking of personal data and secrets for everything a person or a log sees."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MOBILE = re.compile(r"(?<!\d)([6-9]\d)(\d{6})(\d{2})(?!\d)")
# The password runs to the LAST '@' of the URL: an unencoded '@' may be part of it.
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>\S*)@")
_PASSWORD_ARG = re.compile(r"(?i)(password|passwd|pwd)(['\"]?\s*[=:]\s*['\"]?)([^'\"\s,)]+)")


def mask_mobile(number: str) -> str:
    """`9876543210` -> `98XXXXXX10`: enough to recognise, not enough to call."""
    if len(number) < 4:
        return "X" * len(number)
    return number[:2] + "X" * (len(number) - 4) + number[-2:]


def mask_mobiles_in(text: str) -> str:
    """Masks every 10-digit Indian mobile number found in free text."""
    return _MOBILE.sub(lambda m: m.group(1) + "XXXXXX" + m.group(3), text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Removes passwords (known values, URL credentials, password=...) and masks mobiles."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _PASSWORD_ARG.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return mask_mobiles_in(text)
