"""Orders XML to plain column lists with xmltodict: the part that runs in worker processes.

No Polars here: a worker that only parses stays small (tens of MB, not a Polars runtime
each) and starts fast. `xml_reader` turns the columns into frames.

xmltodict streams the file a field at a time (`item_depth=3`, see `_Orders`), so memory
holds the order being read and the one before it, never the file. A DTD is refused before
anything in it is read, so no entity is ever expanded and no external resource is fetched;
elements nested deeper than `MAX_DEPTH` are refused while streaming.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import pyexpat
import signal
from collections.abc import Callable, Generator
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xmltodict

from akasa.core.columns import ORDER_LINE_COLUMNS

if TYPE_CHECKING:
    from _typeshed import SupportsRead

RECORD = "record_number"
MALFORMED = "malformed"
FIELDS = (*ORDER_LINE_COLUMNS, MALFORMED)
MAX_DEPTH = 32  # <orders><order><field> needs 3
# An <order> is held whole in memory while it is read: a 200 MB unknown child of many
# small elements took 627 MB. (Within one byte range it may be counted short, so a range
# that finds it only sends the file to the sequential pass, which refuses it.)
MAX_ORDER_ELEMENTS = 10_000
PR_SET_PDEATHSIG = 1  # linux/prctl.h
CLOSE_TAG = b"</order>"
PROLOG_LIMIT = 1 << 20

Columns = dict[str, list[Any]]
# A range's columns packed for the trip back to the main process: each column one string,
# values separated by US (\x1f), a missing value written as RS (\x1e). XML text cannot hold
# either character, and one string pickles to its own size, where a list of strings is
# several times bigger.
Packed = tuple[int, dict[str, str]]
SEPARATOR = "\x1f"
MISSING = "\x1e"
# (path, first byte, end byte, root element name, first range?, last range?)
Job = tuple[str, int, int, bytes, bool, bool]


class Refused(Exception):
    """The file breaks a rule that refuses it as a whole."""


class RefusedAnywhere(Refused):
    """A refusal that holds wherever in the file it is found: too deep, or a token too big.

    A byte range is a piece of the file wrapped in its root, so nesting in a range is never
    deeper than in the file, and a run without `<` in a range is one in the file: a range
    that finds either refuses the file at once instead of sending it through a second,
    sequential pass that would only find it again.
    """


class _GuardedParser:
    """Wraps an expat parser so that the start handler xmltodict installs passes through
    `_Orders.starting` first (one check per element, not two: the end handler is left
    alone).

    xmltodict also asks expat for each element's attributes as a list
    (`ordered_attributes`), which it turns into a dictionary in Python for every element.
    No attribute is read here (`xml_attribs=False`), so expat keeps handing over its own
    dictionary (in document order as well): about a fifth less of the parse's CPU.

    The handler installed holds xmltodict's handler and the `_Orders`, never the parser: a
    parser whose handlers pointed back at it would form a cycle that keeps every parsed row
    alive until the garbage collector happens to run.
    """

    def __init__(self, parser: Any, orders: _Orders) -> None:
        object.__setattr__(self, "_parser", parser)
        object.__setattr__(self, "_orders", orders)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "StartElementHandler":
            value = self._orders.starting(value)
        elif name == "ordered_attributes":
            return  # see above: attributes stay a dictionary
        setattr(self._parser, name, value)


class _Expat:
    """An expat factory for xmltodict whose parsers refuse any DTD, deep nesting and any
    element other than `<order>` under the root, and tell `orders` where each order starts."""

    error = pyexpat.error

    def __init__(self, orders: _Orders) -> None:
        self.orders = orders

    def ParserCreate(self, *args: Any, **kwargs: Any) -> Any:
        parser = pyexpat.ParserCreate(*args, **kwargs)

        def refuse_dtd(*_: Any) -> None:
            raise Refused("DTD or entity declarations are not allowed")

        parser.StartDoctypeDeclHandler = refuse_dtd
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        return _GuardedParser(parser, self.orders)


def empty_columns() -> Columns:
    return {RECORD: [], **{c: [] for c in FIELDS}}


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("#text") or json.dumps(value, ensure_ascii=False))
    return "" if value is None else str(value)


def _record(item: Any) -> tuple[list[Any], str | None]:
    """One `<order>`'s six values and what is wrong with its shape, if anything."""
    problems: list[str] = []
    fields = item if isinstance(item, dict) else {}
    if not isinstance(item, dict) and item is not None and str(item).strip():
        problems.append("order has text instead of fields")
    values: list[Any] = []
    for column in ORDER_LINE_COLUMNS:
        value = fields.get(column)
        if isinstance(value, dict):
            text = value.get("#text")
            if any(not k.startswith(("@", "#")) for k in value):
                problems.append(f"<{column}> holds nested elements")
                text = json.dumps(value, ensure_ascii=False)  # kept for the quarantine
            value = text
        elif isinstance(value, list):
            problems.append(f"<{column}> appears more than once")
            # Every value as read, for the quarantine (the record is rejected anyway).
            value = " | ".join(_text(v) for v in value)
        values.append(value)
    return values, "; ".join(problems) if problems else None


_PLAIN = {str, type(None)}
_NO_FIELDS: dict[str, Any] = {}


def _columns(items: list[Any], first: int) -> Columns:
    """Orders as xmltodict gave them -> columns, numbered from `first`.

    Column by column at C speed (`map`); only the rare order whose shape is not six plain
    texts goes through `_record`, one at a time."""
    count = len(items)
    fields = [item if item.__class__ is dict else _NO_FIELDS for item in items]
    odd = {k for k, item in enumerate(items) if item.__class__ is not dict and item is not None}
    columns: Columns = {RECORD: list(range(first, first + count))}
    for column in ORDER_LINE_COLUMNS:
        values = list(map(dict.get, fields, repeat(column)))
        if not set(map(type, values)) <= _PLAIN:
            odd.update(k for k, value in enumerate(values) if value.__class__ not in _PLAIN)
        columns[column] = values
    malformed: list[str | None] = [None] * count
    for k in odd:
        values, malformed[k] = _record(items[k])
        for column, value in zip(ORDER_LINE_COLUMNS, values, strict=True):
            columns[column][k] = value
    columns[MALFORMED] = malformed
    return columns


# Orders kept as built before they become columns: few enough that their dictionaries are
# freed, and their memory reused, as the parse goes (a whole range kept cost its worker a
# page fault for every 4 KB of them).
STEP_ROWS = 4096


class _Text(list[str]):
    """The text of one `<order>` itself, as xmltodict gathers it: xmltodict replaces an
    empty list of text instead of adding to it, so this one is never empty to it."""

    def __bool__(self) -> bool:
        return True


class _Orders:
    """Builds each `<order>` from xmltodict's items at the depth of its fields, and turns
    the orders into columns `STEP_ROWS` at a time; hands batches of at least `batch_rows`
    to `flush`, if given.

    xmltodict streams at `item_depth=3`: it gives each element inside an order whole as it
    ends (its text, or a dictionary of the elements it holds), and `field` files it under
    its name. Each order comes out as xmltodict builds it at `item_depth=2` (a dictionary
    per order; a field seen twice: a list of its values; a field holding elements: their
    dictionary, with its own text under `#text`; an order without elements: its text), for
    about 12 % less of the parse's CPU. An order is complete when the next one starts,
    or when the parse ends (`finish`).
    """

    def __init__(self, flush: Callable[[Columns], None] | None, batch_rows: int) -> None:
        self.flush = flush
        self.batch_rows = batch_rows
        self.items: list[Any] = []
        self.columns = empty_columns()
        self.count = 0  # orders before `items`
        self.order: dict[str, Any] | None = None  # the fields of the current <order>
        self.text = _Text()  # the current <order>'s own text
        self.handler: Any = None  # xmltodict's, while a parse runs (see `parse`)

    def starting(self, inner: Any) -> Callable[..., Any]:
        """xmltodict's start handler, after a check of how deep the element is and how
        many elements the current `<order>` holds (xmltodict's own stack of open elements,
        `path`, gives the depth). An element under the root completes the order before it,
        and anything but an `<order>` there refuses the file as it starts, whatever it
        holds."""
        handler = self.handler = inner.__self__
        path: list[Any] = handler.path  # open elements, outermost first
        inside = 0  # elements inside the current <order> (its fields and below)

        def start(name: str, attrs: Any) -> Any:
            nonlocal inside
            depth = len(path)  # open elements around this one
            if depth >= 2:
                if depth >= MAX_DEPTH:
                    raise RefusedAnywhere(f"elements nested deeper than {MAX_DEPTH} levels")
                inside += 1
                if inside > MAX_ORDER_ELEMENTS:  # all of it would be held in memory
                    raise Refused(
                        f"an <order> with more than {MAX_ORDER_ELEMENTS} elements inside "
                        "(an order has six fields)"
                    )
            elif depth == 1:
                if name != "order":
                    raise Refused(
                        f"unexpected element <{name}> under <{path[0][0]}> (expected <order>)"
                    )
                self.finish()
                inside = 0
                self.order = {}
                handler.data = self.text = _Text()  # text before the order is the root's
            return inner(name, attrs)

        return start

    def field(self, path: list[tuple[str, Any]], item: Any) -> bool:
        """xmltodict's item callback: one element inside an `<order>`, whole."""
        kind = item.__class__
        if kind is str:
            item = item.strip() or None  # as xmltodict strips a field's text
        elif kind is dict:  # it holds elements; its own text is still xmltodict's
            text = "".join(self.handler.data).strip()
            if text:
                item["#text"] = text
        name = path[-1][0]
        order: Any = self.order
        if name in order:
            seen = order[name]
            if seen.__class__ is list:
                seen.append(item)
            else:
                order[name] = [seen, item]
        else:
            order[name] = item
        return True

    def finish(self) -> None:
        """The current order is complete: into `items` (and on into columns)."""
        if self.order is None:
            return
        # An order without elements is its text, if it has any.
        self.items.append(self.order or "".join(self.text) or None)
        self.order = None
        if len(self.items) >= STEP_ROWS:
            self._convert()
            if self.flush is not None and len(self.columns[RECORD]) >= self.batch_rows:
                self.flush(self.rest())

    def _convert(self) -> None:
        for name, values in _columns(self.items, self.count + 1).items():
            self.columns[name] += values
        self.count += len(self.items)
        self.items = []

    def rest(self) -> Columns:
        """The orders not yet handed over, as columns (and forgotten here)."""
        self._convert()
        columns, self.columns = self.columns, empty_columns()
        return columns


def parse(
    stream: SupportsRead[bytes],
    flush: Callable[[Columns], None] | None = None,
    batch_rows: int = 100_000,
) -> Columns:
    """Every `<order>` of `stream`; returns the columns not yet handed to `flush`.

    Attributes are not read (`xml_attribs=False`): an element is its text, and xmltodict
    builds no dictionary of attributes for each of the seven elements of a line.

    Raises `Refused`, `ValueError` (xmltodict's entity guard) or `pyexpat.ExpatError`.
    """
    orders = _Orders(flush, batch_rows)
    try:
        xmltodict.parse(
            _fed(stream),
            expat=_Expat(orders),
            item_depth=3,
            item_callback=orders.field,
            disable_entities=True,
            xml_attribs=False,
        )
    finally:
        orders.handler = None  # xmltodict's handler holds `orders.field`: no cycle left
    orders.finish()
    return orders.rest()


# Expat (2.5 here) re-reads an unfinished token from its start on every feed, and
# `ParseFile` feeds 2 KB at a time: one 4 MB comment cost 38 s. Feeds that grow to
# FEED_BYTES keep any token that passes MAX_TOKEN_BYTES to a few feeds.
FEED_BYTES = 8 << 20
FIRST_FEED_BYTES = 64 << 10
MAX_TOKEN_BYTES = 2 * FEED_BYTES  # no `<` for this long: a text, comment or tag too big


def _fed(stream: SupportsRead[bytes]) -> Generator[bytes, None, None]:
    """The stream in large pieces, refusing a stretch of more than MAX_TOKEN_BYTES without
    a `<` (a text node, attribute value, comment or instruction no order needs) before it
    reaches the parser. Within one piece no stretch can be that long, so only the stretch
    across pieces is counted."""
    run = 0
    size = FIRST_FEED_BYTES  # small at first: a file refused at its prolog costs little
    while chunk := stream.read(size):
        size = min(size * 2, FEED_BYTES)
        first = chunk.find(b"<")
        run += len(chunk) if first == -1 else first
        if run > MAX_TOKEN_BYTES:
            raise RefusedAnywhere(
                f"a single text, tag or comment of more than {MAX_TOKEN_BYTES >> 20} MB "
                f"(no order needs one)"
            )
        if first != -1:
            run = len(chunk) - chunk.rfind(b"<") - 1
        yield chunk


# ---- parallel reading: byte ranges cut at </order> ----------------------------------------


class _Found(Exception):
    pass


def root(path: Path) -> tuple[bytes, int] | None:
    """The root element's name and the offset of its first child, if the prolog is plain.

    Anything unusual (a DTD, a declared encoding other than UTF-8, no child within the first
    megabyte) answers None: the sequential pass handles it.
    """
    parser = pyexpat.ParserCreate()
    names: list[str] = []

    def start(name: str, _attrs: object) -> None:
        names.append(name)
        if len(names) == 2:
            raise _Found(parser.CurrentByteIndex)

    def doctype(*_: object) -> None:
        raise Refused("DTD")

    def declaration(_version: object, encoding: str | None, _standalone: int) -> None:
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise Refused("encoding")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    try:
        with path.open("rb") as handle:
            parser.Parse(handle.read(PROLOG_LIMIT), False)
    except _Found as found:
        return names[0].encode("utf-8"), int(found.args[0])
    except (Refused, pyexpat.ExpatError):
        return None
    return None


def cuts(path: Path, start: int, size: int, parts: int) -> list[int]:
    """Offsets just after a `</order>` near each of `parts` equal shares of the file."""
    found_cuts: list[int] = []
    with path.open("rb") as handle:
        for k in range(1, parts):
            handle.seek(start + (size - start) * k // parts)
            window = handle.read(1 << 20)
            found = window.find(CLOSE_TAG)
            if found >= 0:
                cut = handle.tell() - len(window) + found + len(CLOSE_TAG)
                if not found_cuts or cut > found_cuts[-1]:
                    found_cuts.append(cut)
    return found_cuts


def pack(columns: Columns) -> Packed:
    """Columns -> (row count, one string per field); record numbers are implied (1..n)."""
    return len(columns[RECORD]), {
        field: SEPARATOR.join(MISSING if v is None else v for v in columns[field])
        for field in FIELDS
    }


def parse_range(job: Job) -> Packed | None:
    """Parses one byte range wrapped in the root element; None when it does not parse alone.

    Raises `RefusedAnywhere`: the whole file is refused without a second pass.
    """
    path, begin, end, root_name, first, last = job
    with open(path, "rb") as handle:
        handle.seek(begin)
        data = handle.read(end - begin)
    if not first:
        data = b"<" + root_name + b">" + data
    if not last:
        data = data + b"</" + root_name + b">"
    try:
        columns = parse(io.BytesIO(data))
    except RefusedAnywhere:
        raise
    except Exception:
        return None
    del data
    return pack(columns)


def start_worker(parent: int) -> None:
    """A worker process's initializer: the parent alone decides when workers stop.

    Ctrl-C in a terminal signals the whole process group; a worker ignores it (no traceback
    of its own) and the parent, which gets it too, stops every worker at once. The parent
    starts workers with SIGINT blocked, so none arrives before this point. A worker must
    not outlive a killed ingest either (`die_with_parent`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with it blocked (xml_reader)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """A worker must not outlive a killed ingest: on Linux the kernel kills it with its
    parent (PR_SET_PDEATHSIG); if the parent is already gone, stop at once."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        pass
    if os.getppid() != parent:
        os._exit(0)
