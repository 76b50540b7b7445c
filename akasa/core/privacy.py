"""Masking of personal data and secrets for everything a person or a log sees, and text
from the data made harmless to show there (`printable`)."""

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
# What a terminal obeys rather than shows: C0 and C1 control characters and DEL (ESC starts
# colour, screen-clearing and OSC 8 hyperlink sequences; 0x9b is a one-byte CSI; a bare CR
# rewrites the line), and the bidirectional controls that reorder what is shown.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f" + _BIDI + "]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f" + _BIDI + "]")
# In JSON text: the same, but for the whitespace allowed between tokens (tab, LF, CR).
_CONTROL_IN_JSON = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI + "]")
# ... of which ASCII text can hold only these.
_ASCII_CONTROL_IN_JSON = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
UNPRINTABLE = "?"  # as the ingest's reasons show one too (`ingest.clean._plain`)


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


def printable(text: str, *, lines: bool = False) -> str:
    """`text` as it may reach a terminal or a log: every control character (and every
    bidirectional control) becomes `?`, so data can neither drive the terminal nor forge
    a line; with `lines`, newlines stay (a traceback). Rich markup needs no escaping here:
    akasa hands data to Rich as `Text`, which shows `[/]` as those three characters."""
    return (_CONTROL_BUT_NEWLINE if lines else _CONTROL).sub(UNPRINTABLE, text)


def printable_json(text: str) -> str:
    """JSON text with those characters written as `\\uXXXX` escapes: the same JSON
    values, nothing a terminal obeys. (Inside a string an encoder has already escaped
    tab, LF and CR; outside strings they are whitespace.) ASCII text without any of them,
    the usual case, is returned after a check at C speed: the pattern takes 0.15 s on the
    20 MB of a large store's KPIs."""
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROL_IN_JSON)) == len(raw):
            return text
    return _CONTROL_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
