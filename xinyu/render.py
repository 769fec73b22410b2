"""Jinja2 rendering of messages: strict about missing values; HTML templates are autoescaped.

A template's name says what it produces: `*.html.j2` is HTML (escaped), `*.txt.j2` and `*.md.j2` are
plain text (never escaped: an SMS or a text part must not carry `&lt;`).

Templates are compiled once per process and kept (`auto_reload=False`): they ship with the package and do
not change while it runs, and a digest is rendered per person, thousands a run, each of which would
otherwise look at the template file's time again.
"""

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

HTML_SUFFIXES = (".html", ".htm", ".xml", ".html.j2", ".htm.j2", ".xml.j2")


def is_html(template_name: str | None) -> bool:
    """Whether a template produces HTML; a template built from a string (no name) is escaped to be safe."""
    return template_name is None or template_name.lower().endswith(HTML_SUFFIXES)


environment = Environment(
    loader=PackageLoader("xinyu", "templates"),
    autoescape=is_html,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
    cache_size=-1,  # every template kept (there are a dozen)
)


def render(template_name: str, **context: Any) -> str:
    return environment.get_template(template_name).render(**context)
