"""Edits of ``kustomization.yaml`` resources and Flux health checks that keep every other byte.

A ruamel.yaml round trip re-indents sequences to one style, strips quotes, drops a
leading ``---`` and wraps long lines; an operator reviewing ``git diff`` after a 3 a.m.
rollback must see exactly the lines that changed and nothing else. So these functions edit
the text line by line: ruamel parses the file only to *locate* the ``resources`` sequence
and its items (line and column of each), and every change is a splice of whole lines or of
one token. Line endings (LF or CRLF), a missing final newline, comments, blank lines,
indentation and quoting all survive because nothing else is ever rewritten.

Disabling an entry comments it out (``- a.yaml`` → ``# - a.yaml``), the reversible
inverse of enabling, which uncomments such a line where one exists and otherwise appends a
new item in the sequence's own style. Flow sequences (``resources: [a.yaml]``) cannot
hold a comment inside a line, so there an entry is removed and re-added at the end.

All functions are pure: text in, :class:`EditResult` out. An edit that changes nothing
returns the identical text.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from glmctl.errors import ConfigError

Action = Literal["uncommented", "added", "commented", "removed", "already"]
HealthCheck = tuple[str, str, str, str]
"""(apiVersion, kind, name, namespace) of one ``spec.healthChecks`` item."""

HEALTH_CHECK_KEYS = ("apiVersion", "kind", "name", "namespace")


class Change(NamedTuple):
    """What happened to one requested entry."""

    entry: str
    action: Action


@dataclass(frozen=True)
class EditResult:
    """The edited text and, per requested entry, what was done (or "already" so)."""

    new_text: str
    changed: tuple[Change, ...]
    originals: tuple[tuple[str, str], ...] = ()
    """(entry, the commented line as it was) for each uncommented entry: lets
    :func:`undo_enable` restore the exact comment (``#- a.yaml``, odd indentation)."""

    @property
    def modified(self) -> bool:
        """True when the text differs from the input: something must be written."""
        return any(change.action != "already" for change in self.changed)


# --------------------------------------------------------------------------- lines


@dataclass
class _Lines:
    """The text as lines without their endings, plus each line's own ending.

    The last line's ending is "" when the file has no final newline. Splitting only on
    ``\\n`` (and keeping a preceding ``\\r``) makes ``join`` the exact inverse of ``split``.
    """

    body: list[str]
    ends: list[str]
    newline: str

    @classmethod
    def split(cls, text: str, label: str) -> _Lines:
        body: list[str] = []
        ends: list[str] = []
        parts = text.split("\n")
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last and part == "":
                break
            if not last and part.endswith("\r"):
                body.append(part[:-1])
                ends.append("\r\n")
            else:
                body.append(part)
                ends.append("" if last else "\n")
        for number, line in enumerate(body, start=1):
            if "\r" in line or "\x85" in line or "\u2028" in line or "\u2029" in line:
                raise ConfigError(
                    f"{label}:{number}: a line break other than LF or CRLF is not supported.",
                    hint="Convert the file to LF or CRLF line endings and run again.",
                )
        newline = ends[0] if ends and ends[0] else "\n"
        return cls(body, ends, newline)

    def join(self) -> str:
        return "".join(line + end for line, end in zip(self.body, self.ends, strict=True))

    def insert_after(self, index: int, new_lines: Sequence[str]) -> None:
        """Insert ``new_lines`` after line ``index`` (-1: at the top), keeping the file's
        final-newline state: a file that did not end with a newline still does not."""
        for offset, line in enumerate(new_lines):
            at = index + 1 + offset
            if at == len(self.body):  # appending at the very end
                if self.body and self.ends[-1] == "":
                    self.ends[-1] = self.newline
                    self.body.append(line)
                    self.ends.append("")
                else:
                    self.body.append(line)
                    self.ends.append(self.newline)
            else:
                self.body.insert(at, line)
                self.ends.insert(at, self.newline)

    def delete(self, first: int, last: int) -> None:
        """Delete lines ``first..last`` inclusive; the final-newline state is kept."""
        trailing = self.ends[last]
        del self.body[first : last + 1]
        del self.ends[first : last + 1]
        if trailing == "" and self.ends:
            self.ends[-1] = ""


# --------------------------------------------------------------------------- scalars

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./=+~@-]*$")
# Plain scalars YAML (1.1 or 1.2) would read as something other than a string. A number
# needs a digit before its exponent: ``e0`` or ``E5`` is a string (and a Job name).
_NOT_A_STRING = re.compile(
    r"^(?:y|n|yes|no|true|false|on|off|null|~"
    r"|[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?|[-+]?\.(?:inf|nan)"
    r"|0x[0-9a-fA-F_]+|0o[0-7_]+)$",
    re.IGNORECASE,
)
_DOCUMENT_MARKER = re.compile(r"^(---|\.\.\.)([ \t].*)?$")
_BLOCK_ITEM_PREFIX = re.compile(r"^(?P<indent>[ \t]*)-(?P<gap>[ \t]+)$")
_COMMENTED_KEY = re.compile(r"^(?P<indent>[ \t]*)#[ \t]*[A-Za-z_][\w.-]*:[ \t]*(#.*)?$")
_COMMENTED_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>#[ \t]*)-(?P<gap>[ \t]+)(?P<rest>.*)$")


class _Token(NamedTuple):
    """One scalar as written: where it starts and ends on its line, and its quote char."""

    start: int
    end: int
    quote: str  # '"', "'" or "" (plain)
    value: str


def _scan_scalar(line: str, start: int, *, flow: bool) -> _Token | None:
    """The single-line scalar written at ``line[start:]``, or None if it is not one."""
    if start >= len(line):
        return None
    first = line[start]
    if first in "\"'":
        end = _closing_quote(line, start)
        if end is None:
            return None
        raw = line[start : end + 1]
        return _Token(start, end + 1, first, _unquote(raw))
    stop = len(line)
    comment = re.search(r"[ \t]#", line[start:])
    if comment:
        stop = start + comment.start()
    if flow:
        match = re.search(r"[,\]\}]", line[start:stop])
        if match:
            stop = start + match.start()
    raw = line[start:stop].rstrip(" \t")
    if not raw:
        return None
    return _Token(start, start + len(raw), "", raw)


def _closing_quote(line: str, start: int) -> int | None:
    quote = line[start]
    index = start + 1
    while index < len(line):
        char = line[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and line[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def _unquote(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"'):
        try:
            decoded = json.loads(raw)
        except ValueError:
            return raw[1:-1]
        return decoded if isinstance(decoded, str) else raw[1:-1]
    return raw


def _quote(value: str, quote: str) -> str:
    """``value`` written the way its neighbours are: same quotes, plain when they are."""
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote == '"' or not _PLAIN_SAFE.match(value) or _NOT_A_STRING.match(value):
        return json.dumps(value)
    return value


def _same_entry(a: str, b: str) -> bool:
    """``./jobs/a.yaml`` and ``jobs/a.yaml`` are the same kustomize resource."""
    return posixpath.normpath(a) == posixpath.normpath(b)


def _load(text: str, label: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from glmctl.safeyaml import check_yaml, depth_error

    check_yaml(text, label)  # a repository file is untrusted input like any other
    try:
        return YAML(typ="rt").load(text)
    except RecursionError:
        raise depth_error(label) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{label}:{mark.line + 1}" if mark else label
        raise ConfigError(
            f"{where}: not valid YAML: {error.problem or error.context}; nothing was changed.",
            hint="Fix the file's YAML first (or edit it by hand).",
        ) from None
    except YAMLError as error:
        raise ConfigError(f"{label}: not valid YAML: {error}; nothing was changed.") from None


def _dedupe(entries: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for entry in entries:
        if not any(_same_entry(entry, other) for other in seen):
            seen.append(entry)
    return seen


# --------------------------------------------------------------------------- resources


class _Item(NamedTuple):
    """A live or commented ``resources`` entry and how its line is laid out."""

    line: int
    indent: str
    gap: str
    token: _Token
    marker: str = ""  # "# " etc. for a commented entry


@dataclass
class _Resources:
    """Where ``resources`` is in the file: its key line, its items, the comment region."""

    key_line: int
    key_indent: str
    style: Literal["block", "flow", "missing"]
    items: list[_Item]
    commented: list[_Item]
    region_end: int  # first line after the region where commented entries may sit
    bracket: tuple[int, int] = (0, 0)  # line, column of "[" for flow style


def _locate_resources(lines: _Lines, label: str) -> _Resources:
    document = _load(lines.join(), label)
    if document is None:
        return _Resources(-1, "", "missing", [], [], len(lines.body))
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"{label}:1: a kustomization must be a mapping; nothing was changed.")
    if "resources" not in document:
        return _Resources(-1, "", "missing", [], [], len(lines.body))
    key_line, key_col = document.lc.key("resources")
    key_indent = lines.body[key_line][:key_col]
    keys = list(document.keys())
    following = keys[keys.index("resources") + 1 :]
    region_end = document.lc.key(following[0])[0] if following else len(lines.body)
    value = document["resources"]
    if value is None:
        after_colon = lines.body[key_line][key_col:].split(":", 1)[1].strip()
        if after_colon and not after_colon.startswith("#"):
            raise ConfigError(
                f"{label}:{key_line + 1}: resources is written as {after_colon!r}; "
                "glmctl edits block or flow lists only, and nothing was changed."
            )
        commented = _commented_items(lines, key_line + 1, region_end, [], key_indent)
        return _Resources(key_line, key_indent, "block", [], commented, region_end)
    if not isinstance(value, CommentedSeq):
        raise ConfigError(f"{label}:{key_line + 1}: resources is not a list; nothing was changed.")
    if _is_flow(lines, value):
        items = [_flow_item(lines, value, index, label) for index in range(len(value))]
        return _Resources(
            key_line,
            key_indent,
            "flow",
            items,
            [],
            region_end,
            bracket=(value.lc.line, value.lc.col),
        )
    items = [_block_item(lines, value, index, label) for index in range(len(value))]
    commented = _commented_items(lines, key_line + 1, region_end, items, key_indent)
    return _Resources(key_line, key_indent, "block", items, commented, region_end)


def _is_flow(lines: _Lines, seq: CommentedSeq) -> bool:
    """Flow style, read from the text: ruamel does not flag an empty ``[]`` as flow."""
    line: int = seq.lc.line
    col: int = seq.lc.col
    return lines.body[line][col : col + 1] == "["


def _block_item(lines: _Lines, seq: CommentedSeq, index: int, label: str) -> _Item:
    line, col = seq.lc.item(index)
    text = lines.body[line]
    prefix = _BLOCK_ITEM_PREFIX.match(text[:col])
    token = _scan_scalar(text, col, flow=False)
    if prefix is None or token is None or token.value != seq[index]:
        raise ConfigError(
            f"{label}:{line + 1}: this resources entry is not a one-line '- name' item; "
            "glmctl will not rewrite it, and nothing was changed.",
            hint="Write each resources entry on its own line as '- file.yaml'.",
        )
    return _Item(line, prefix["indent"], prefix["gap"], token)


def _flow_item(lines: _Lines, seq: CommentedSeq, index: int, label: str) -> _Item:
    line, col = seq.lc.item(index)
    token = _scan_scalar(lines.body[line], col, flow=True)
    if token is None or token.value != seq[index]:
        raise ConfigError(
            f"{label}:{line + 1}: cannot read this resources entry as one scalar; "
            "nothing was changed."
        )
    return _Item(line, "", "", token)


def _commented_items(
    lines: _Lines, first: int, end: int, live: list[_Item], key_indent: str
) -> list[_Item]:
    """Commented-out entries between the ``resources:`` key and the next key.

    A commented-out key at the same level (``# patches:``) ends the search: entries
    below it belong to that section, not to ``resources``.
    """
    live_lines = {item.line for item in live}
    found: list[_Item] = []
    for number in range(first, end):
        if number in live_lines:
            continue
        key = _COMMENTED_KEY.match(lines.body[number])
        if key is not None and len(key["indent"]) <= len(key_indent):
            break
        match = _COMMENTED_ITEM.match(lines.body[number])
        if match is None:
            continue
        rest_start = match.start("rest")
        token = _scan_scalar(lines.body[number], rest_start, flow=False)
        if token is None or token.value.startswith("-"):
            continue
        found.append(_Item(number, match["indent"], match["gap"], token, match["marker"]))
    return found


def enable_resources(
    text: str, entries: Sequence[str], *, label: str = "kustomization.yaml"
) -> EditResult:
    """Put each of ``entries`` into ``resources``: uncomment it, or append it.

    An entry already listed is reported "already" and its line is left as it is.
    ``label`` names the file in errors.
    """
    changes: list[Change] = []
    originals: list[tuple[str, str]] = []
    for entry in _dedupe(entries):
        text, action, original = _enable_one(text, entry, label)
        changes.append(Change(entry, action))
        if original is not None:
            originals.append((entry, original))
    return EditResult(text, tuple(changes), tuple(originals))


def disable_resources(
    text: str,
    entries: Sequence[str],
    *,
    how: Literal["comment", "remove"] = "comment",
    label: str = "kustomization.yaml",
) -> EditResult:
    """Take each of ``entries`` out of ``resources``: comment its line out (default) or
    delete it (``how="remove"``, the inverse of an "added" enable). Flow lists always
    remove. An entry that is not listed is reported "already"."""
    changes: list[Change] = []
    for entry in _dedupe(entries):
        text, action = _disable_one(text, entry, how, label)
        changes.append(Change(entry, action))
    return EditResult(text, tuple(changes))


def undo_enable(text: str, result: EditResult, *, label: str = "kustomization.yaml") -> EditResult:
    """Reverse an :func:`enable_resources` result: re-comment what it uncommented and
    delete what it added, so ``undo_enable(enable(x).new_text, enable(x)) == x``."""
    changes: list[Change] = []
    originals = dict(result.originals)
    for entry, action in result.changed:
        if action == "uncommented":
            text, done = _disable_one(text, entry, "comment", label, originals.get(entry))
        elif action == "added":
            text, done = _disable_one(text, entry, "remove", label)
        else:
            done = "already"
        changes.append(Change(entry, done))
    return EditResult(text, tuple(changes))


def _enable_one(text: str, entry: str, label: str) -> tuple[str, Action, str | None]:
    lines = _Lines.split(text, label)
    found = _locate_resources(lines, label)
    if any(_same_entry(item.token.value, entry) for item in found.items):
        return text, "already", None
    if found.style == "missing":
        _append_resources_key(lines, entry)
        return lines.join(), "added", None
    if found.style == "flow":
        _flow_append(lines, found, entry)
        return lines.join(), "added", None
    for item in found.commented:
        if _same_entry(item.token.value, entry):
            indent = found.items[0].indent if found.items else item.indent
            body = lines.body[item.line]
            lines.body[item.line] = f"{indent}-{item.gap}{body[item.token.start :]}"
            return lines.join(), "uncommented", body
    _block_append(lines, found, entry)
    return lines.join(), "added", None


def _disable_one(
    text: str,
    entry: str,
    how: Literal["comment", "remove"],
    label: str,
    original: str | None = None,
) -> tuple[str, Action]:
    lines = _Lines.split(text, label)
    found = _locate_resources(lines, label)
    targets = [item for item in found.items if _same_entry(item.token.value, entry)]
    if not targets:
        return text, "already"
    if found.style == "flow":
        for item in reversed(targets):
            _flow_remove(lines, found, item)
        return lines.join(), "removed"
    if how == "remove":
        for item in reversed(targets):
            lines.delete(item.line, item.line)
        return lines.join(), "removed"
    style = found.commented[0] if found.commented else None
    for item in targets:
        if original is not None and _matches_original(original, lines.body[item.line], item):
            lines.body[item.line] = original
            continue
        indent = style.indent if style else item.indent
        marker = style.marker if style else "# "
        body = lines.body[item.line]
        lines.body[item.line] = f"{indent}{marker}-{item.gap}{body[item.token.start :]}"
    return lines.join(), "commented"


def _matches_original(original: str, current: str, item: _Item) -> bool:
    """True when ``current`` is what uncommenting ``original`` produced (same item text)."""
    match = _COMMENTED_ITEM.match(original)
    return match is not None and original[match.start("rest") :] == current[item.token.start :]


def _append_resources_key(lines: _Lines, entry: str) -> None:
    """No ``resources`` key: add one at the end, in ``kustomize edit``'s own layout."""
    lines.insert_after(len(lines.body) - 1, ["resources:", f"- {_quote(entry, '')}"])


def _block_append(lines: _Lines, found: _Resources, entry: str) -> None:
    if found.items:
        last = found.items[-1]
        new_line = f"{last.indent}-{last.gap}{_quote(entry, last.token.quote)}"
        lines.insert_after(last.line, [new_line])
        return
    model = found.commented[0] if found.commented else None
    indent = model.indent if model else found.key_indent + "  "
    gap = model.gap if model else " "
    quote = model.token.quote if model else ""
    lines.insert_after(found.key_line, [f"{indent}-{gap}{_quote(entry, quote)}"])


def _flow_append(lines: _Lines, found: _Resources, entry: str) -> None:
    if not found.items:
        line, col = found.bracket
        body = lines.body[line]
        lines.body[line] = body[: col + 1] + _quote(entry, "") + body[col + 1 :]
        return
    last = found.items[-1]
    quoted = _quote(entry, last.token.quote)
    separator = _flow_separator(lines, found)
    earlier_line = found.items[-2].line if len(found.items) > 1 else found.bracket[0]
    body = lines.body[last.line]
    own_line = last.line != earlier_line and body[: last.token.start].strip() == ""
    if not own_line:
        end = last.token.end
        lines.body[last.line] = body[:end] + separator + quoted + body[end:]
        return
    indent = body[: last.token.start]
    after = body[last.token.end :]
    if after.lstrip().startswith(","):
        lines.insert_after(last.line, [f"{indent}{quoted},"])
    else:
        lines.body[last.line] = body[: last.token.end] + "," + after
        lines.insert_after(last.line, [f"{indent}{quoted}"])


def _flow_separator(lines: _Lines, found: _Resources) -> str:
    """The text between two items on one line (``", "`` or ``","``) to copy."""
    for before, after in zip(found.items, found.items[1:], strict=False):
        if before.line == after.line:
            return lines.body[before.line][before.token.end : after.token.start]
    return ", "


def _flow_remove(lines: _Lines, found: _Resources, item: _Item) -> None:
    body = lines.body[item.line]
    start, end = item.token.start, item.token.end
    following = re.match(r"[ \t]*,[ \t]*", body[end:])
    preceding = re.search(r",[ \t]*$", body[:start])
    alone = body[:start].strip() == "" and body[end:].strip(" \t,") == ""
    if alone and len(found.items) > 1:
        lines.delete(item.line, item.line)
        return
    if following and (preceding is None or body[end + following.end() :].lstrip()[:1] != "]"):
        lines.body[item.line] = body[:start] + body[end + following.end() :]
    elif preceding:
        lines.body[item.line] = body[: preceding.start()] + body[end:]
    else:
        lines.body[item.line] = body[:start] + body[end:]


# --------------------------------------------------------------------------- health checks


class _CheckItem(NamedTuple):
    first: int
    last: int
    check: HealthCheck | None


@dataclass
class _HealthChecks:
    spec_key_line: int
    spec_key_col: int
    spec_end: int  # last line of the spec mapping's content
    key_line: int  # -1: no healthChecks key
    key_col: int
    items: list[_CheckItem]
    dash_indent: str
    key_order: tuple[str, ...]
    child_indent: str  # indentation of a block sequence elsewhere in spec, relative


def add_health_checks(
    text: str,
    entries: Sequence[HealthCheck],
    *,
    name: str | None = None,
    label: str = "kustomization",
) -> EditResult:
    """Append each health check to the Flux Kustomization's ``spec.healthChecks``.

    ``name`` picks the Kustomization when the file holds several. Items are written in
    the layout of the existing ones (indentation, key order). Present → "already".
    """
    changes: list[Change] = []
    for entry in dict.fromkeys(entries):
        text, action = _add_check(text, entry, name, label)
        changes.append(Change(_check_label(entry), action))
    return EditResult(text, tuple(changes))


def remove_health_checks(
    text: str,
    entries: Sequence[HealthCheck],
    *,
    name: str | None = None,
    label: str = "kustomization",
) -> EditResult:
    """Delete each health check's lines; the inverse of :func:`add_health_checks`
    (when the last item goes, so does the ``healthChecks:`` key). Absent → "already"."""
    changes: list[Change] = []
    for entry in dict.fromkeys(entries):
        text, action = _remove_check(text, entry, name, label)
        changes.append(Change(_check_label(entry), action))
    return EditResult(text, tuple(changes))


def _check_label(check: HealthCheck) -> str:
    api_version, kind, name, namespace = check
    return f"{kind}/{namespace}/{name} ({api_version})"


def _add_check(text: str, check: HealthCheck, name: str | None, label: str) -> tuple[str, Action]:
    lines = _Lines.split(text, label)
    found = _locate_health_checks(lines, name, label)
    if any(item.check == check for item in found.items):
        return text, "already"
    values = dict(zip(HEALTH_CHECK_KEYS, check, strict=True))
    if found.items:
        first = found.dash_indent
        after_line = found.items[-1].last
    elif found.key_line >= 0:
        first = " " * found.key_col + found.child_indent + "- "
        after_line = found.key_line
    else:
        spec_indent = " " * found.spec_key_col
        first = spec_indent + found.child_indent + "- "
        lines.insert_after(found.spec_end, [f"{spec_indent}healthChecks:"])
        after_line = found.spec_end + 1
    rest = " " * len(first)
    new_lines = [
        f"{first if index == 0 else rest}{key}: {_quote(values[key], '')}"
        for index, key in enumerate(found.key_order)
    ]
    lines.insert_after(after_line, new_lines)
    return lines.join(), "added"


def _remove_check(
    text: str, check: HealthCheck, name: str | None, label: str
) -> tuple[str, Action]:
    lines = _Lines.split(text, label)
    found = _locate_health_checks(lines, name, label)
    targets = [item for item in found.items if item.check == check]
    if not targets:
        return text, "already"
    if len(targets) == len(found.items):
        lines.delete(found.key_line, max(item.last for item in targets))
        return lines.join(), "removed"
    for item in reversed(targets):
        lines.delete(item.first, item.last)
    return lines.join(), "removed"


def _locate_health_checks(lines: _Lines, name: str | None, label: str) -> _HealthChecks:
    document = _pick_kustomization(lines, name, label)
    spec = document.get("spec")
    if not isinstance(spec, CommentedMap):
        raise ConfigError(f"{label}: the Flux Kustomization has no spec mapping.")
    spec_line = document.lc.key("spec")[0]
    first_key = next(iter(spec))
    spec_key_col = spec.lc.key(first_key)[1]
    spec_end = _mapping_end(lines, document, "spec", spec_line)
    child = _child_indent(lines, spec, spec_key_col)
    checks = spec.get("healthChecks")
    if "healthChecks" not in spec:
        return _HealthChecks(
            spec_line, spec_key_col, spec_end, -1, 0, [], "", HEALTH_CHECK_KEYS, child
        )
    key_line, key_col = spec.lc.key("healthChecks")
    if checks is None:
        return _HealthChecks(
            spec_line, spec_key_col, spec_end, key_line, key_col, [], "", HEALTH_CHECK_KEYS, child
        )
    if not isinstance(checks, CommentedSeq) or _is_flow(lines, checks):
        raise ConfigError(
            f"{label}:{key_line + 1}: spec.healthChecks is not a block list; "
            "glmctl edits '- apiVersion: ...' items only, and nothing was changed."
        )
    items = [_check_item(lines, checks, index, label) for index in range(len(checks))]
    dash_indent = ""
    if len(checks):
        first_line, first_col = checks.lc.item(0)
        dash_indent = lines.body[first_line][:first_col]  # "    - ", checked by _check_item
    order: tuple[str, ...] = HEALTH_CHECK_KEYS
    if len(checks) and isinstance(checks[0], CommentedMap):
        keys = tuple(str(key) for key in checks[0])
        if sorted(keys) == sorted(HEALTH_CHECK_KEYS):
            order = keys
    return _HealthChecks(
        spec_line, spec_key_col, spec_end, key_line, key_col, items, dash_indent, order, child
    )


def _pick_kustomization(lines: _Lines, name: str | None, label: str) -> CommentedMap:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from glmctl.safeyaml import check_yaml, depth_error

    text = lines.join()
    check_yaml(text, label)
    try:
        documents = list(YAML(typ="rt").load_all(text))
    except RecursionError:
        raise depth_error(label) from None
    except YAMLError as error:
        raise ConfigError(f"{label}: not valid YAML: {error}; nothing was changed.") from None
    candidates = [
        doc
        for doc in documents
        if isinstance(doc, CommentedMap)
        and doc.get("kind") == "Kustomization"
        and str(doc.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")
        and (name is None or (doc.get("metadata") or {}).get("name") == name)
    ]
    if len(candidates) != 1:
        which = f" named {name!r}" if name else ""
        count = "no" if not candidates else str(len(candidates))
        raise ConfigError(
            f"{label}: found {count} Flux Kustomization{which} in the file; expected one.",
            hint="Name the Kustomization to edit when a file holds several.",
        )
    return candidates[0]


def _check_item(lines: _Lines, checks: CommentedSeq, index: int, label: str) -> _CheckItem:
    item = checks[index]
    line, col = checks.lc.item(index)
    if not isinstance(item, CommentedMap) or not _BLOCK_ITEM_PREFIX.match(lines.body[line][:col]):
        raise ConfigError(
            f"{label}:{line + 1}: a health check is not a '- key: value' mapping; "
            "nothing was changed."
        )
    last = line
    for key in item:
        value_line = item.lc.value(key)[0]
        if isinstance(item[key], (CommentedMap, CommentedSeq)):
            raise ConfigError(f"{label}:{value_line + 1}: nested health check values.")
        last = max(last, value_line)
    check: HealthCheck | None = None
    if all(isinstance(item.get(key), str) for key in HEALTH_CHECK_KEYS):
        check = (
            str(item["apiVersion"]),
            str(item["kind"]),
            str(item["name"]),
            str(item["namespace"]),
        )
    return _CheckItem(line, last, check)


def _mapping_end(lines: _Lines, parent: CommentedMap, key: str, key_line: int) -> int:
    """The last non-blank, non-comment line of ``parent[key]``'s block."""
    keys = list(parent.keys())
    following = keys[keys.index(key) + 1 :]
    end = parent.lc.key(following[0])[0] if following else len(lines.body)
    for number in range(key_line + 1, end):
        if _DOCUMENT_MARKER.match(lines.body[number]):
            end = number
            break
    for number in range(end, key_line, -1):
        if number >= len(lines.body):
            continue
        stripped = lines.body[number].strip()
        if number < end and stripped and not stripped.startswith("#"):
            return number
    return key_line


def _child_indent(lines: _Lines, spec: CommentedMap, spec_key_col: int) -> str:
    """How far a block list under a spec key is indented (copied from e.g. dependsOn)."""
    for key, value in spec.items():
        if isinstance(value, CommentedSeq) and len(value) and not _is_flow(lines, value):
            line, col = value.lc.item(0)
            prefix = _BLOCK_ITEM_PREFIX.match(lines.body[line][:col])
            if prefix is not None and spec.lc.key(key)[1] == spec_key_col:
                return " " * max(len(prefix["indent"]) - spec_key_col, 0)
    return "  "


# --------------------------------------------------------------------------- files


def read_exact(path: Path) -> str:
    """The file's text with its line endings untouched (``read_text`` would turn CRLF
    into LF, and the write-back would then change every line)."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; nothing was changed.") from None


def edit_file(path: Path, edit: Callable[[str], EditResult]) -> EditResult:
    """Apply ``edit`` to the file and write it back atomically, only if it changed.

    Example: ``edit_file(p, lambda text: enable_resources(text, files, label=str(p)))``.
    """
    from glmctl.repo.atomic import write_atomic

    result = edit(read_exact(path))
    if result.modified:
        write_atomic(path, result.new_text)
    return result
