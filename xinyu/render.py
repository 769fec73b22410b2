"""Jinja2 rendering: strict about missing values; HTML templates are autoescaped."""

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=PackageLoader("xinyu", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(template_name: str, **context: Any) -> str:
    return _env.get_template(template_name).render(**context)
