"""Saying what a broken CSV quote did: swallowed the rest of the file, or made a field run past the limit.

Python's csv reader ends a quote left open at the end of the file silently, so the rows after it vanish into
one field. `END_OF_FILE`, fed to the reader after the last line, exposes that: it lands inside the open quote.

Past the field limit the csv module only says "field larger than field limit". Telling an unclosed quote from
a genuinely long value needs the rest of the field, so the record is read again from its first line with the
csv reader's rules (default dialect: ``"`` quotes, ``""`` inside quotes is one quote, a quote is special only
at the start of a field), in pieces and with ``str.find``: hundreds of megabytes take about a second.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..errors import InputError
from .files import open_bytes

__all__ = ["END_OF_FILE", "LongField", "find_long_field", "long_field_error", "unclosed_quote_error"]

END_OF_FILE = "\ue000reviewmine: end of file\ue000"  # private-use characters: no real file has them
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_FIX_QUOTE = 'close the quote (or double it, "", inside a quoted field) and import again'

_PIECE = 1 << 20  # characters per read: at most one line, cut when longer
_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


@dataclass(frozen=True)
class LongField:
    """The first field of a record longer than the limit.

    ``closed`` is False when the field is quoted and the file ends inside it: ``chars`` and ``last_line`` then
    run to the end of the file.
    """

    index: int  # the field's position in the record, 0 = first column
    line: int  # the line the field starts on (its opening quote, when quoted)
    last_line: int  # the line it ends on
    chars: int
    quoted: bool
    closed: bool


def find_long_field(text: TextIO, *, start_line: int, delimiter: str, limit: int) -> LongField | None:
    """The field longer than ``limit`` in the record starting on ``start_line`` of ``text`` (read from its start).

    ``text`` must be opened with ``newline=""``, as for the csv module, so lines are counted the same way.
    None when that record has no such field.
    """
    for _ in range(start_line - 1):
        if not text.readline():
            return None
    line, index, state, length, field_line, quoted, after_cr = start_line, 0, _START, 0, start_line, False, False

    def found(closed: bool) -> LongField:
        return LongField(index, field_line, line, length, quoted, closed)

    broke = False  # the last piece ended with a line break
    while piece := text.readline(_PIECE):
        if after_cr and piece.startswith("\n"):  # the \n of a \r\n that the piece size split
            length += 1  # only reached inside quotes: anywhere else the \r ended the record
            piece = piece[1:]
        after_cr = piece.endswith("\r")
        body = piece.rstrip("\r\n")  # a piece holds at most one line break, at its end
        broke = len(body) < len(piece)
        i, end = 0, len(body)
        while i < end:
            if state == _START:
                field_line, length, quoted = line, 0, body[i] == '"'
                state = _QUOTED if quoted else _UNQUOTED
                i += quoted
            elif state == _QUOTED:
                j = body.find('"', i)
                length += (end if j < 0 else j) - i
                i, state = (end, _QUOTED) if j < 0 else (j + 1, _QUOTE_IN_QUOTED)
            elif state == _QUOTE_IN_QUOTED and body[i] == '"':  # "" inside quotes: one literal quote
                length, i, state = length + 1, i + 1, _QUOTED
            elif state == _QUOTE_IN_QUOTED and body[i] != delimiter:
                state = _UNQUOTED  # text after the closing quote: the csv reader keeps it, unquoted
            else:  # _UNQUOTED, or a closing quote followed by the delimiter
                j = body.find(delimiter, i)
                length += (end if j < 0 else j) - i
                if j < 0:
                    i = end
                    continue
                if length > limit:
                    return found(True)
                i, index, state = j + 1, index + 1, _START
        if not broke:
            continue  # no line break: a long line cut into pieces, or the end of the file
        if state == _QUOTED:
            length += len(piece) - len(body)  # a line break inside quotes belongs to the field
            line += 1
            continue
        return found(True) if length > limit and state != _START else None  # the record ends here
    if state == _QUOTED:
        line -= broke  # the file's last line break did not start another line
        return found(False)
    return found(True) if length > limit and state != _START else None


def unclosed_quote_error(path: Path, last_field: str, last_line: int) -> InputError:
    """The quote that opened ``last_field`` (text up to `END_OF_FILE`) ran to the file's ``last_line``.

    Names the line it opened on and the lines it swallowed, which were never read as rows.
    """
    content = last_field.removesuffix(END_OF_FILE)
    opened = last_line - len(_LINE_BREAKS.findall(content)) + content.endswith(("\n", "\r"))
    swallowed = last_line - opened
    what = (
        f"it swallows the rest of the file ({_more_lines(swallowed)}, to line {last_line:,}), which could not be "
        "read as rows"
        if swallowed
        else "the file ends inside it"
    )
    return InputError(f"a quote opened on this line never closes: {what}; {_FIX_QUOTE}", where=f"{path}:{opened}")


def _more_lines(count: int) -> str:
    return f"{count:,} more line" if count == 1 else f"{count:,} more lines"


def long_field_error(
    path: Path, encoding: str, delimiter: str, columns: list[str], start_line: int, limit: int
) -> InputError:
    """The error for a record whose field passed ``limit``: an unclosed quote, or a value that long (and which)."""
    with open_bytes(path) as binary, io.TextIOWrapper(binary, encoding, errors="replace", newline="") as text:
        found = find_long_field(text, start_line=start_line, delimiter=delimiter, limit=limit)
    if found is None:  # not expected: the csv reader just said otherwise
        return InputError(f"cannot parse CSV: a field runs past {limit:,} characters", where=f"{path}:{start_line}")
    if not found.closed:
        return InputError(
            f"a quote opened on this line never closes: it swallows the rest of the file ({found.chars:,} characters, "
            f"{_more_lines(found.last_line - found.line)}, to line {found.last_line:,}), past the {limit:,}-character "
            f"limit for one CSV field; {_FIX_QUOTE}",
            where=f"{path}:{found.line}",
        )
    name = repr(columns[found.index]) if found.index < len(columns) else f"{found.index + 1}"
    how = f"its quote closes on line {found.last_line:,}" if found.quoted else "it is not quoted"
    return InputError(
        f"column {name} is {found.chars:,} characters long, over the {limit:,}-character limit for one CSV field; "
        f"{how}, so this is a genuinely long value, not an unclosed quote: shorten or drop it",
        where=f"{path}:{found.line}",
    )
