"""Placeholder until issue 12's helper fills it in (refuses, never pretends)."""

import argparse

from xinyu.cli.common import CliError


def add_talk(args: argparse.Namespace, values: dict[str, str] | None = None) -> int:
    raise CliError("尚未实现")
