"""Every template in the repository, rendered with markup in every variable: HTML ones escape it, plain
text ones (text mail parts, the agenda, SMS) carry it verbatim, without HTML entities.

Templates are discovered on disk, not listed: a new template is tested the day it is added, and a
template no known Jinja environment loads fails here. Each template's variables are found by parsing it
(and what it extends or includes); every one gets a `Poison`, a value that answers any attribute,
item, call, loop or comparison with more of itself and prints as markup. The environments render with
StrictUndefined, so a variable the introspection missed fails loudly instead of printing nothing.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, PackageLoader, StrictUndefined, meta

from notifications.sms_templates import SMS_TEMPLATES, render_sms
from web.templating import templates as web_templates
from xinyu.render import environment as mail_environment

ROOT = Path(__file__).resolve().parents[2]
MARKUP = '<script>alert("x")</script><a href="https://evil.example/login">点此重新登录</a> & more'
RAW_SIGNS = ("<script>", '<a href="https://evil.example')
ENTITIES = re.compile(r"&(lt|gt|amp|quot|#3[49]|#x2[27]);")
# An element a template writes itself: how a template is known to produce HTML, whatever its name.
HTML_TAG = re.compile(r"<(html|body|p|a|div|table|tr|td|ul|li|span|form|b|h[1-6]|section|main)[\s>]", re.I)
# Attributes a template uses as a key into a table of its own (a label per status): a real key is needed.
FIXED_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "tasks/detail.html": {"status": "requested"},
}
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".html", ".htm")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "test-output", "__pycache__", ".mypy_cache", ".ruff_cache"}


class Poison:
    """Markup that pretends to be whatever a template expects of a variable."""

    def __init__(self, depth: int = 0, fixed: dict[str, Any] | None = None) -> None:
        self._depth, self._fixed = depth, fixed or {}

    def __str__(self) -> str:
        return MARKUP

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return MARKUP

    def __getattr__(self, name: str) -> "Poison":
        if name.startswith("_"):  # never `__html__`: the value must not claim to be safe markup
            raise AttributeError(name)
        if name in self._fixed:
            return self._fixed[name]
        return self._child()

    def _child(self) -> "Poison":
        return Poison(self._depth + 1, self._fixed)

    def __getitem__(self, key: object) -> "Poison":
        return self._child()

    def __call__(self, *args: object, **kwargs: object) -> "Poison":
        return self._child()

    def __iter__(self) -> Iterator["Poison"]:
        # Two of each: enough for `for a, b in pairs` and for `for x in items` to render its body.
        if self._depth > 8:
            return iter(())
        return iter((self._child(), self._child()))

    def __len__(self) -> int:
        return 2

    def __bool__(self) -> bool:
        return True

    def __contains__(self, item: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __int__(self) -> int:
        return 1

    __index__ = __int__

    def __float__(self) -> float:
        return 1.0

    def _arith(self, other: object) -> "Poison":
        return self._child()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _arith
    __floordiv__ = __rfloordiv__ = __mod__ = __neg__ = _arith  # type: ignore[assignment]


def environments() -> dict[Path, Environment]:
    """Every Jinja environment that renders a template file, by the folder it loads from."""
    found: dict[Path, Environment] = {}
    for env in (mail_environment, web_templates.env):
        loader = env.loader
        if isinstance(loader, PackageLoader):
            found[Path(loader._template_root).resolve()] = env
        elif isinstance(loader, FileSystemLoader):
            for path in loader.searchpath:
                found[Path(path).resolve()] = env
        else:
            raise AssertionError(f"unexpected loader {loader!r}")
    return found


def template_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        if path.is_file() and path.name.endswith(TEMPLATE_SUFFIXES) \
                and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            files.append(path)
    return sorted(files)


def owner(path: Path) -> tuple[Environment, str]:
    for root, env in environments().items():
        if path.resolve().is_relative_to(root):
            return env, path.resolve().relative_to(root).as_posix()
    raise AssertionError(f"{path.relative_to(ROOT)}: no Jinja environment of the app loads this template")


def variables(env: Environment, name: str, seen: set[str] | None = None) -> set[str]:
    """The names a template (and what it extends, includes or imports) takes from its context."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0]
    tree = env.parse(source)
    names = set(meta.find_undeclared_variables(tree))
    for other in meta.find_referenced_templates(tree):
        if other is not None:
            names |= variables(env, other, seen)
    return names - set(env.globals)


def render_poisoned(path: Path) -> tuple[str, bool]:
    env, name = owner(path)
    strict = env.overlay(undefined=StrictUndefined)
    strict.policies = {**env.policies, "json.dumps_kwargs": {"sort_keys": True, "default": str}}  # `tojson`
    fixed = FIXED_ATTRIBUTES.get(name)
    context: dict[str, Any] = {var: Poison(fixed=fixed) for var in variables(env, name)}
    html = bool(HTML_TAG.search(path.read_text(encoding="utf-8")))
    return strict.get_template(name).render(**context), html


TEMPLATES = template_files()


def test_the_discovery_finds_the_templates() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in TEMPLATES}
    # Not the list under test (that is whatever is on disk): a check that discovery looks where templates live.
    assert {"xinyu/templates/notice_email.html.j2", "web/templates/base.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_template_escapes_markup_in_every_variable(path: Path) -> None:
    out, html = render_poisoned(path)
    if html:
        for sign in RAW_SIGNS:
            assert sign not in out, f"{path.relative_to(ROOT)}: raw markup from a variable survives:\n{out[:2000]}"
        assert "&lt;script&gt;" in out, f"{path.relative_to(ROOT)}: no variable was rendered at all"
    else:
        assert MARKUP in out, f"{path.relative_to(ROOT)}: a plain-text template must carry text verbatim"
        assert not ENTITIES.search(out), f"{path.relative_to(ROOT)}: HTML entities in plain text:\n{out[:2000]}"


@pytest.mark.parametrize("template", sorted(SMS_TEMPLATES))
def test_sms_texts_are_plain(template: str) -> None:
    fields = set(re.findall(r"\$\{(\w+)\}", SMS_TEMPLATES[template]))
    text = render_sms(template, {f: MARKUP for f in fields})
    assert MARKUP in text and not ENTITIES.search(text)
