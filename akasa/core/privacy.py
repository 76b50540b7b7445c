"""Masking of personal data and secrets for everything a person or a log sees."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A phone-like run however it is written: an optional +91 / 91 / 0 prefix, then ten digits
# starting 6-9 with at most one space, dot or hyphen between any two (`+91 98765 43210`,
# `098765-43210`, `9876543210`), not inside a longer number.
_MOBILE = re.compile(r"(?<![\d+])(?:\+?91[\s.-]?|0)?[6-9](?:[\s.-]?\d){9}(?![\d])")
# The password runs to the LAST '@' of the URL: an unencoded '@' may be part of it.
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>\S*)@")
_PASSWORD_ARG = re.compile(r"(?i)(password|passwd|pwd)(['\"]?\s*[=:]\s*['\"]?)([^'\"\s,)]+)")


def mask_mobile(number: str) -> str:
    """`9876543210` -> `98XXXXXX10`: enough to recognise, not enough to call."""
    if len(number) < 4:
        return "X" * len(number)
    return number[:2] + "X" * (len(number) - 4) + number[-2:]


def mask_mobiles_in(text: str) -> str:
    """Masks every Indian mobile number found in free text, whatever its formatting: the
    whole run becomes the masked ten digits (`+91 98765 43210` -> `98XXXXXX10`)."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return mask_mobile(digits[-10:])

    return _MOBILE.sub(masked, text)


def mask_value(value: object) -> object:
    """A value shown to a person: text with its mobiles masked; a whole number that reads
    as a mobile (`mobile_number::BIGINT`) masked too. Everything else as it is."""
    if isinstance(value, str):
        return mask_mobiles_in(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        return mask_mobiles_in(text) if _MOBILE.fullmatch(text) else value
    return value


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Removes passwords (known values, URL credentials, password=...) and masks mobiles."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _PASSWORD_ARG.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return mask_mobiles_in(text)
