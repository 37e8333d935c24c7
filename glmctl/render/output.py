"""The one way output leaves glmctl: documents for programs, tables for people.

* :func:`write_document` writes a :mod:`glmctl.contract` document as JSON or YAML: the
  only place either is serialised.
* :func:`print_table` draws rows and columns for a person: a rich table that wraps to the
  width on a terminal; anywhere else aligned plain lines, never padded past their text,
  never cut, never wrapped (a CI log keeps the whole message).
* :func:`show_list` is the two together, for every command that lists things: the
  document for ``-o json|yaml``, else the table of its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from glmctl.context import OutputFormat, Terminal

if TYPE_CHECKING:
    from rich.text import Text

    from glmctl.contract.models import Document

DOCUMENT_FORMATS = (OutputFormat.JSON, OutputFormat.YAML)
"""The ``-o`` values that print a contract document."""

GAP = "  "
Row = TypeVar("Row")


def is_document(output: OutputFormat) -> bool:
    """True when ``output`` asks for a document (json or yaml) rather than text for people."""
    return output in DOCUMENT_FORMATS


def document_text(document: Document, output: OutputFormat) -> str:
    """``document`` as JSON (indented) or YAML (block style, keys in model order)."""
    data = document.data()
    if output is OutputFormat.JSON:
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is OutputFormat.YAML:
        import yaml

        text: str = yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 16
        )
        return text
    raise ValueError(f"-o {output.value} is not a document format")


def write_document(terminal: Terminal, output: OutputFormat, document: Document) -> None:
    """Write ``document`` to stdout as ``-o`` asks; nothing else goes to stdout."""
    terminal.stdout.write(document_text(document, output))
    terminal.stdout.flush()


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: its heading and how to read a row's cell (and its style, if any)."""

    header: str
    value: Callable[[Row], str]
    style: Callable[[Row], str] | str = ""

    def style_of(self, row: Row) -> str:
        return self.style(row) if callable(self.style) else self.style


def print_table(
    terminal: Terminal,
    columns: Sequence[Column[Row]],
    rows: Sequence[Row],
    *,
    title: str | None = None,
) -> None:
    """Rows for a person: wrapped to the width on a terminal, whole lines elsewhere."""
    console = terminal.console()
    if title:
        from rich.text import Text

        console.print(Text(title, style="bold"), soft_wrap=not terminal.is_tty)
    if terminal.is_tty:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column.header, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(column, row) for column in columns))
        console.print(table)
        return
    for line in plain_lines(columns, rows):
        console.print(line, soft_wrap=True)


def plain_lines(columns: Sequence[Column[Row]], rows: Sequence[Row]) -> list[Text]:
    """Aligned columns, two spaces apart; the last column is never padded and no cell is
    cut. A cell of several lines (a list in ``config show``) continues under itself."""
    from rich.text import Text

    header = [[column.header] for column in columns]
    cells = [[column.value(row).splitlines() or [""] for column in columns] for row in rows]
    styles = [[""] * len(columns)] + [[column.style_of(row) for column in columns] for row in rows]
    widths = [
        max(len(line) for cell in [header[index], *(row[index] for row in cells)] for line in cell)
        for index in range(len(columns))
    ]
    lines: list[Text] = []
    for number, row_cells in enumerate([header, *cells]):
        for depth in range(max(len(cell) for cell in row_cells)):
            line = Text(style="bold" if number == 0 else "")
            last = len(row_cells) - 1
            for index, cell in enumerate(row_cells):
                text = cell[depth] if depth < len(cell) else ""
                padded = text if index == last else text.ljust(widths[index]) + GAP
                line.append(padded, style=styles[number][index])
            line.rstrip()
            lines.append(line)
    return lines


def show_list(
    terminal: Terminal,
    output: OutputFormat,
    document: Document,
    columns: Sequence[Column[Row]],
    rows: Sequence[Row],
    *,
    title: str | None = None,
    empty: str | None = None,
) -> None:
    """The one rendering path for lists: the document for ``-o json|yaml``, else the table
    (or ``empty``, one sentence, when there are no rows)."""
    if is_document(output):
        write_document(terminal, output, document)
        return
    if not rows and empty is not None:
        terminal.console().print(empty, soft_wrap=True, markup=False)
        return
    print_table(terminal, columns, rows, title=title)


def _cell(column: Column[Row], row: Row) -> Text:
    from rich.text import Text

    return Text(column.value(row), style=column.style_of(row))
