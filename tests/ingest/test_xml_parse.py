"""The worker's parse: xmltodict streamed a field at a time gives every order exactly as
xmltodict's order-at-a-time stream would (`item_depth=2`, the library's plain use)."""

from __future__ import annotations

import gc
import io
import weakref
from typing import Any
from xml.sax.saxutils import escape

import pytest
import xmltodict
from hypothesis import given
from hypothesis import strategies as st

from akasa.core.columns import ORDER_LINE_COLUMNS
from akasa.ingest import xml_parse
from akasa.ingest.xml_parse import Columns, Refused


def by_orders(document: bytes) -> Columns:
    """The reference: whole orders from xmltodict, turned into columns as the parse does."""
    items: list[Any] = []

    def keep(_path: Any, item: Any) -> bool:
        items.append(item)
        return True

    xmltodict.parse(document, item_depth=2, item_callback=keep, xml_attribs=False)
    return xml_parse._columns(items, 1)


def parsed(document: bytes) -> Columns:
    return xml_parse.parse(io.BytesIO(document))


TEXT = st.text(
    alphabet=st.sampled_from([*"ab1 .,&<>'\"", "\n", "\t", "\u00a0", "₹", "\u2003"]), max_size=6
)
NAMES = st.sampled_from([*ORDER_LINE_COLUMNS, "note", "b"])


@st.composite
def content(draw: st.DrawFn) -> str:
    """Text as a file may hold it: escaped, in CDATA, or broken by a comment."""
    text = draw(TEXT)
    shape = draw(st.sampled_from(["plain", "plain", "cdata", "comment"]))
    if shape == "cdata":
        return f"<![CDATA[{text}]]>"
    if shape == "comment":
        return escape(text) + "<!-- c -->" + escape(draw(TEXT))
    return escape(text)


ATTRIBUTES = st.sampled_from(["", ' a="1"', " a='&amp;' b=\"2\""])


@st.composite
def element(draw: st.DrawFn, depth: int) -> str:
    """One element inside an order: text, nothing, or elements (with text around them)."""
    name = draw(NAMES)
    attributes = draw(ATTRIBUTES)
    shape = draw(st.sampled_from(["text", "empty", "nested"] if depth < 3 else ["text", "empty"]))
    if shape == "empty":
        return draw(st.sampled_from([f"<{name}{attributes}/>", f"<{name}></{name}>"]))
    if shape == "text":
        return f"<{name}{attributes}>{draw(content())}</{name}>"
    inner = draw(st.lists(element(depth + 1), min_size=1, max_size=2))
    around = draw(st.lists(content(), min_size=len(inner) + 1, max_size=len(inner) + 1))
    body = "".join(t + e for t, e in zip(around, inner, strict=False)) + around[-1]
    return f"<{name}>{body}</{name}>"


@st.composite
def order(draw: st.DrawFn) -> str:
    start = f"<order{draw(ATTRIBUTES)}>"
    shape = draw(st.sampled_from(["fields", "fields", "text", "empty"]))
    if shape == "empty":
        return draw(st.sampled_from(["<order/>", f"{start}</order>", f"{start} \n </order>"]))
    if shape == "text":
        return f"{start}{draw(content())}</order>"
    fields = draw(st.lists(element(1), min_size=1, max_size=8))
    gaps = draw(st.lists(st.sampled_from(["", "\n  ", "x", "<!-- c -->"]), min_size=len(fields)))
    tail = draw(st.sampled_from(["", "\n", "text after the fields"]))
    return start + "".join(g + f for g, f in zip(gaps, fields, strict=False)) + tail + "</order>"


@st.composite
def document(draw: st.DrawFn) -> bytes:
    orders = draw(st.lists(order(), max_size=6))
    between = draw(st.lists(st.sampled_from(["", "\n", "root text", "<!-- x -->"]), min_size=7))
    body = "".join(b + o for b, o in zip(between, orders, strict=False))
    return f"<orders{draw(ATTRIBUTES)}>{body}{between[-1]}</orders>".encode()


@given(document())
def test_field_at_a_time_gives_what_order_at_a_time_gives(document: bytes) -> None:
    assert parsed(document) == by_orders(document)


@pytest.mark.parametrize("step", [1, 2, 4096], ids=["steps-of-one", "steps-of-two", "one-step"])
def test_orders_are_numbered_in_file_order_however_they_are_grouped(
    monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    monkeypatch.setattr(xml_parse, "STEP_ROWS", step)
    document = (
        b"<orders>text of the root<order>its own</order><order/>"
        b"<order><order_id>O3<b>in</b> too </order_id></order>"
        b"<order><sku_id> S4 </sku_id><sku_id/></order>text after</orders>"
    )
    columns = parsed(document)
    assert columns == by_orders(document)
    assert columns["record_number"] == [1, 2, 3, 4]
    assert columns["order_id"] == [None, None, '{"b": "in", "#text": "O3 too"}', None]
    assert columns["sku_id"] == [None, None, None, "S4 | "]
    assert columns["malformed"] == [
        "order has text instead of fields",
        None,
        "<order_id> holds nested elements",
        "<sku_id> appears more than once",
    ]


def test_batches_are_handed_over_as_they_fill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xml_parse, "STEP_ROWS", 2)
    document = b"<orders>" + b"".join(
        b"<order><order_id>O%d</order_id></order>" % k for k in range(1, 8)
    )
    batches: list[Columns] = []
    rest = xml_parse.parse(io.BytesIO(document + b"</orders>"), batches.append, batch_rows=3)
    assert [b["order_id"] for b in batches] == [["O1", "O2", "O3", "O4"]]
    assert rest["order_id"] == ["O5", "O6", "O7"]
    assert rest["record_number"] == [5, 6, 7]


@pytest.mark.parametrize(
    "inside",
    ["<broken>", "<a>" * 40, "<e/>" * 10_001],
    ids=["not-well-formed", "too-deep", "too-many-elements"],
)
def test_an_element_other_than_order_is_refused_where_it_starts(inside: str) -> None:
    """Whatever it holds: nothing in it is read."""
    document = f"<orders><order/><batch>{inside}</batch></orders>".encode()
    with pytest.raises(Refused, match=r"^unexpected element <batch> under <orders>"):
        parsed(document)


def test_orders_across_the_pieces_the_parser_is_fed_read_as_one() -> None:
    """The stream reaches expat in growing pieces (`FIRST_FEED_BYTES` first)."""
    one = "<order><order_id> O{k} </order_id><sku_id><![CDATA[S{k}]]></sku_id>text</order>"
    count = 3 * xml_parse.FIRST_FEED_BYTES // len(one)
    document = ("<orders>" + "".join(one.format(k=k) for k in range(count)) + "</orders>").encode()
    columns = parsed(document)
    assert columns == by_orders(document)
    assert columns["order_id"][-1] == f"O{count - 1}"


def test_nothing_parsed_is_kept_alive_by_a_reference_cycle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's memory is given back as each range ends, not when the collector runs."""
    built: list[weakref.ref[Any]] = []

    class Watched(xml_parse._Orders):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            built.append(weakref.ref(self))

    monkeypatch.setattr(xml_parse, "_Orders", Watched)
    gc.disable()
    try:
        parsed(b"<orders><order><order_id>O1</order_id></order></orders>")
        with pytest.raises(Refused):
            parsed(b"<orders><batch/></orders>")
        assert [ref() for ref in built] == [None, None]
    finally:
        gc.enable()
