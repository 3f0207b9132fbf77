"""Text bound for a terminal: reviews, pages and file rows must not drive it with control sequences.

Review text is written by strangers. Printed raw, ``ESC ]0;...`` would set the window title, ``ESC [2J`` clear the
screen, and bidi overrides make a line read differently from what it contains. Everything printed for people
goes through `safe_text` (the CLI's `echo`, the job log's formatter); data (CSV, JSON Lines, Parquet files)
keeps the text exact, and JSON on stdout escapes the same characters the JSON way (`json_safe`), which changes
no value.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings/overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What json.dumps(ensure_ascii=False) and pandas leave raw: DEL, C1 and bidi (they escape C0 themselves).
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: object) -> str:
    """``text`` with every unsafe character shown as a visible escape (ESC becomes the four characters ``\\x1b``,
    U+202E becomes ``\\u202e``); tab and newline stay, and CRLF becomes a newline."""
    return _UNSAFE.sub(_visible, str(text).replace("\r\n", "\n"))


def json_safe(document: str) -> str:
    """A JSON document with DEL, C1 controls and bidi overrides written as ``\\uXXXX``: the same values, parsed.

    Only valid where those characters can only sit inside JSON strings, i.e. on json.dumps or pandas output.
    """
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", document)
