"""Where a key is written in a TOML file: tomllib gives values without line numbers, and a job file's errors should
point at the line to fix.

The search is textual (table headers counted by occurrence, then ``key =`` inside that table), which is enough for
hand-written files; dotted keys, quoted header names and keys hidden in multi-line strings are not found, and
``line_of`` answers None so the caller names the key path alone.
"""

from __future__ import annotations

import re

__all__ = ["KeyPath", "TomlLines", "format_key_path"]

KeyPath = tuple[str | int, ...]  # ("alerts", 0, "min_score"): table names, array indexes and keys from the root

_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_\-.\s]+?)\s*\]\]?\s*(#.*)?$")


def format_key_path(path: KeyPath) -> str:
    """``("alerts", 0, "min_score")`` -> ``alerts[0].min_score``, the way users read TOML."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


class TomlLines:
    """Maps a key path to the line where its value is written."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = [
            (number, match.group(1).replace(" ", "").replace("\t", ""))
            for number, line in enumerate(self.lines, 1)
            if (match := _HEADER.match(line))
        ]

    def line_of(self, path: KeyPath) -> int | None:
        """The ``[table]``/``[[table]]`` header or ``key =`` line of ``path``; for a value inside an inline table or
        array, the line of the key holding it. None when the text does not show it plainly."""
        start, end, table, found = 0, len(self.lines) + 1, "", None
        step_index = 0
        while step_index < len(path):
            step = path[step_index]
            if isinstance(step, int):  # an index into an array written inline: it is on the line found so far
                return found
            name = f"{table}.{step}" if table else step
            following = path[step_index + 1] if step_index + 1 < len(path) else None
            occurrence = following if isinstance(following, int) else None
            headers = [number for number, header in self.headers if header == name and start < number < end]
            if not headers:
                return self._key_line(start, end, step)  # `key = value`: anything deeper is written inline there
            if (occurrence or 0) >= len(headers):
                return None
            start = headers[occurrence or 0]
            end = next((n for n, h in self.headers if start < n < end and not h.startswith(f"{name}.")), end)
            table, found = name, start
            step_index += 2 if occurrence is not None else 1
        return found

    def _key_line(self, table_start: int, table_end: int, key: str) -> int | None:
        """The ``key =`` line among the table's own keys: after its header (0: the root), before the next header."""
        stop = next((number for number, _ in self.headers if number > table_start), len(self.lines) + 1)
        quoted = re.escape(key)
        pattern = re.compile(rf"\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*=")
        for number in range(table_start + 1, min(stop, table_end)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None
