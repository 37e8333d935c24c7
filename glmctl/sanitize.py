"""The one sanitiser for text that comes from the cluster or a repository.

A condition message, an Event, a pod log line, an annotation or a file name in a
repository is written by someone else. Printed raw, ``ESC [2J`` clears the operator's
screen, ``ESC ]0;...BEL`` retitles the window, ``CR`` overwrites what was already printed,
and the bidi overrides reorder what is shown. Every human format (rich, plain, markdown,
JUnit, GitHub annotations, SARIF) passes such text through :func:`escape_text`: control
characters come out as visible escapes (``\\x1b``, ``\\r``, ``\\u202e``), never interpreted.
Newlines and tabs are kept unless ``single_line``. ``-o json`` is left exact: JSON escapes
control characters itself and a program reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_NAMED = {"\r": "\\r", "\x1b": "\\x1b", "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]


def _escape(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_CONTROLS = [code for code in range(0x20) if chr(code) not in "\n\t"]
_TABLE: dict[int, str] = {
    code: _escape(code) for code in (*_CONTROLS, 0x7F, *range(0x80, 0xA0), *_BIDI)
}
_SINGLE_LINE_TABLE: dict[int, str] = {**_TABLE, ord("\n"): "\\n", ord("\t"): "\\t"}


def escape_text(text: str, *, single_line: bool = False) -> str:
    """``text`` with every control character and escape sequence shown, not interpreted."""
    return text.translate(_SINGLE_LINE_TABLE if single_line else _TABLE)


def is_clean(text: str) -> bool:
    """Whether ``text`` has nothing :func:`escape_text` would change."""
    return escape_text(text) == text


def escape_tree(value: Any) -> Any:
    """Every string in nested dicts, lists and tuples escaped (keys too)."""
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, Mapping):
        return {escape_tree(key): escape_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_tree(item) for item in value)
    return value
