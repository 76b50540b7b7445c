"""The report's Jinja templates: escaping on, no way around it, no silent typo."""

from __future__ import annotations

import re
from importlib.resources import files

import jinja2
import pytest

from akasa.report.templating import environment, render

TEMPLATES = files("akasa.report") / "templates"


def test_every_template_ships_in_the_package() -> None:
    names = sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())
    assert names == [
        "chart.html.j2",
        "embed.js",
        "macros.html.j2",
        "page.html.j2",
        "report.html.j2",
        "style.css",
    ]


def test_no_template_switches_escaping_off() -> None:
    for template in TEMPLATES.iterdir():
        text = template.read_text(encoding="utf-8")
        assert re.search(r"\|\s*safe|autoescape\s+false|Markup", text) is None, template.name


def test_values_are_escaped_as_the_standard_library_does() -> None:
    env = environment()
    page = env.from_string('<p title="{{ v }}">{{ v }}</p>').render(v="<b>'x' & \"y\"</b>")
    escaped = "&lt;b&gt;&#x27;x&#x27; &amp; &quot;y&quot;&lt;/b&gt;"
    assert page == f'<p title="{escaped}">{escaped}</p>'


def test_an_undefined_value_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError, match="'chart' is undefined"):
        render("chart.html.j2", title="t", specs={}, bundle="")


def test_script_values_cannot_end_their_element() -> None:
    page = render(
        "page.html.j2",
        title="t",
        specs={"x": "</script><b>"},
        bundle='let s = "</script><b>";',
    )
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    assert len(scripts) == 3
    assert scripts[0] == '{"x":"\\u003c/script\\u003e\\u003cb\\u003e"}'
    assert scripts[1] == 'let s = "<\\/script><b>";'
