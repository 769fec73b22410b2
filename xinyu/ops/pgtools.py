"""Finding pg_dump / pg_restore that fit the server, and the libpq connection they use.

A pg_dump older than the server refuses to dump ("server version mismatch"); a pg_restore older than the
pg_dump that wrote the file cannot read it. Debian installs each client version in /usr/lib/postgresql/N/bin
and /usr/bin/pg_dump picks one; we look at all of them and take the one that matches the server's major
version, else the newest that is not older than the server.
"""

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, make_url

from xinyu.cli.common import CliError


@dataclass(frozen=True)
class Tool:
    path: str
    major: int


def installed(name: str) -> list[Tool]:
    """Every `name` on PATH or under /usr/lib/postgresql/*/bin, with its major version."""
    paths = [p for p in [shutil.which(name)] if p] + sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    found: dict[str, Tool] = {}
    for path in paths:
        real = os.path.realpath(path)
        if real in found:
            continue
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        if match:
            found[real] = Tool(path, int(match.group(1)))
    return list(found.values())


def pick(name: str, server_major: int) -> Tool:
    tools = installed(name)
    if not tools:
        raise CliError(f"找不到 {name}（PATH 与 /usr/lib/postgresql/*/bin 中都没有）：请安装与服务器同版本的"
                       f" PostgreSQL 客户端（Debian：apt-get install postgresql-client-{server_major}）")
    exact = [t for t in tools if t.major == server_major]
    newer = sorted((t for t in tools if t.major > server_major), key=lambda t: t.major)
    if exact:
        return exact[0]
    if newer:
        return newer[0]
    have = "、".join(f"{t.path}（{t.major}）" for t in tools)
    raise CliError(f"{name} 版本低于数据库服务器（{server_major}）：已安装 {have}；"
                   f"请安装 postgresql-client-{server_major}")


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """(connection string without the password, environment with PGPASSWORD) for a SQLAlchemy URL: the
    password never shows in the process list."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run(tool: Tool, args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run([tool.path, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = "；".join(lines[-3:]) or f"退出码 {done.returncode}"
        raise CliError(f"{what}失败（{Path(tool.path).name} {tool.major}）：{reason}")
