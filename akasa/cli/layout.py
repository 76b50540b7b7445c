"""Tables that fit the terminal: nothing a person copies (a number, an id, a timestamp) is
ever split across lines, and no header is broken.

A table is described as columns of ready-made cell texts. `fit` decides, for a width, what
to show: every column at its full width if it can; otherwise, in this order, fewer columns
of low value dropped, lower-value columns abbreviated first (a shorter header, compact
cells such as whole rupees or a time to the minute), and text that can be cut (names,
file names) cut with an ellipsis down to a floor. Numbers, ids and timestamps are never
cut. Whatever is dropped is named, so the caller can say where to find it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

Kind = Literal["number", "fixed", "text", "path"]
GAP = 2  # columns between two cells: Rich's divider and one cell of padding
MIN_TEXT = 10  # a name or a reason is not cut shorter than this
MIN_PATH = 20  # `custo…2025-10-01.csv`: a file name keeps its date and extension
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    """One column: `kind` says whether its cells may be cut (text, path) or not (number,
    right-aligned; fixed: ids, timestamps, codes). `value`: the lower, the sooner it is
    abbreviated and, if `droppable`, dropped."""

    header: str
    cells: Sequence[str]
    kind: Kind = "text"
    short_header: str | None = None
    compact: Sequence[str] | None = None
    value: int = 0
    droppable: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        """What a note calls this column when it is not shown."""
        return self.name or self.header


@dataclass(frozen=True)
class _Shown:
    column: Column
    header: str
    cells: Sequence[str]
    width: int = 0

    @property
    def natural(self) -> int:
        return max([cell_len(self.header), *(cell_len(c) for c in self.cells)])

    @property
    def least(self) -> int:
        """The narrowest this column may get: its header is never broken either."""
        if self.column.kind in ("number", "fixed"):
            return self.natural
        floor = MIN_PATH if self.column.kind == "path" else MIN_TEXT
        return max(cell_len(self.header), min(self.natural, floor))


@dataclass(frozen=True)
class Fitted:
    """What `fit` chose: the columns shown with their widths, and the ones left out."""

    shown: list[_Shown]
    dropped: list[Column] = field(default_factory=list)

    @property
    def width(self) -> int:
        return sum(s.width for s in self.shown) + GAP * max(0, len(self.shown) - 1)


def _steps(columns: Sequence[Column]) -> list[tuple[int, str]]:
    """The cheap abbreviations, in the order they are made: lower-value columns first,
    then right to left; compact cells before a short header."""
    steps = []
    for i in _by_value(columns):
        if columns[i].compact is not None:
            steps.append((i, "cells"))
        if columns[i].short_header:
            steps.append((i, "header"))
    return steps


def _by_value(columns: Sequence[Column]) -> list[int]:
    return sorted(range(len(columns)), key=lambda i: (columns[i].value, -i))


class _Plan:
    """Which abbreviations are made, which text columns may be cut, which columns go."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = columns
        self.made: list[tuple[int, str]] = []
        self.cut: set[int] = set()
        self.dropped: set[int] = set()

    def sized(self, width: int) -> list[_Shown] | None:
        """The columns shown with their widths, or None if they do not fit in `width`.
        Columns that may be cut share what the others leave, evenly, never more than
        they need."""
        shown, cuttable = [], []
        for i, column in enumerate(self.columns):
            if i in self.dropped:
                continue
            header = column.header
            cells = column.cells
            if (i, "header") in self.made and column.short_header:
                header = column.short_header
            if (i, "cells") in self.made and column.compact is not None:
                cells = column.compact
            cuttable.append(i in self.cut)
            shown.append(_Shown(column, header, cells))
        widths = [s.least if c else s.natural for s, c in zip(shown, cuttable, strict=True)]
        room = width - GAP * max(0, len(shown) - 1) - sum(widths)
        if room < 0:
            return None
        while room > 0:
            wanting = [i for i, s in enumerate(shown) if widths[i] < s.natural]
            if not wanting:
                break
            narrowest = min(wanting, key=lambda i: widths[i])
            widths[narrowest] += 1
            room -= 1
        return [replace(s, width=w) for s, w in zip(shown, widths, strict=True)]


def fit(columns: Sequence[Column], width: int) -> Fitted:
    """The most a table can show in `width` columns (see the module's docstring).

    First the cheap abbreviations, least valuable columns first; then, again from the least
    valuable column up, text is cut and droppable columns go; at the end every abbreviation
    that is no longer needed is undone, the most valuable first.
    """
    plan = _Plan(columns)
    sized = plan.sized(width)
    for step in _steps(columns):
        if sized is not None:
            break
        plan.made.append(step)
        sized = plan.sized(width)
    for i in _by_value(columns):
        if sized is not None:
            break
        if columns[i].kind in ("text", "path"):
            plan.cut.add(i)
            sized = plan.sized(width)
        if sized is None and columns[i].droppable:
            plan.dropped.add(i)
            sized = plan.sized(width)
    if sized is None:  # nothing fits (one id wider than the screen): what is left, uncut
        plan.cut.clear()
        sized = [replace(s, width=s.natural) for s in plan.sized(10**9) or []]
    else:
        for step in reversed(list(plan.made)):
            plan.made.remove(step)
            undone = plan.sized(width)
            if undone is None:
                plan.made.append(step)
            else:
                sized = undone
    return Fitted(sized, [columns[i] for i in sorted(plan.dropped)])


def cut(text: str, width: int, kind: Kind) -> str:
    """`text` in at most `width` cells: a path keeps its end (the date and extension),
    other text its start; numbers and ids are never passed here cut."""
    if cell_len(text) <= width:
        return text
    if kind != "path":
        return _ends(text, width - 1, 0)
    head = max(1, (width - 1) // 4)
    return _ends(text, head, width - 1 - head)


def _ends(text: str, head: int, tail: int) -> str:
    start = ""
    for char in text:
        if cell_len(start + char) > head:
            break
        start += char
    end = ""
    for char in reversed(text if tail else ""):
        if cell_len(char + end) > tail:
            break
        end = char + end
    return start + ELLIPSIS + end


def table(columns: Sequence[Column], width: int, title: str | None = None) -> tuple[Table, Fitted]:
    """A Rich table of `columns` fitted to `width`, and what was fitted."""
    fitted = fit(columns, width)
    grid = Table(
        title=Text(title) if title else None,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for shown in fitted.shown:
        number = shown.column.kind == "number"
        grid.add_column(
            Text(shown.header),
            justify="right" if number else "left",
            no_wrap=True,
            overflow="ellipsis",
            width=shown.width,
        )
    rows = len(fitted.shown[0].cells) if fitted.shown else 0
    for r in range(rows):
        grid.add_row(*(Text(cut(s.cells[r], s.width, s.column.kind)) for s in fitted.shown))
    return grid, fitted
