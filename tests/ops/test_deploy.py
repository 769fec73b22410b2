"""deploy/ is consistent with the code: every `xinyu …` command line in it (systemd units, scripts, the
README's commands) parses with the real parser, every XINYU_* variable it names is a field of xinyu/settings.py,
the units and the env templates parse, and `systemd-analyze verify` accepts the units where it is installed.
"""

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xinyu.cli import build_parser
from xinyu.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
ENV_FILES = [DEPLOY / "xinyu.env", DEPLOY / "prefect-server.env"]
TEXTS = [p for p in sorted(DEPLOY.rglob("*")) if p.is_file()] + [ROOT / "README.md"]

# Commands other helpers of issue 14 add on their branches; before the merge this branch's parser lacks them.
# Such a line is reported as an expected failure naming the helper; after the merge it parses and passes.
# Variables deploy/ sets that are not the app's settings: uvicorn's, Prefect's, the backup script's, Python's.
OTHER_VARIABLES = {"FORWARDED_ALLOW_IPS", "DO_NOT_TRACK", "BACKUP_DIR", "BACKUP_KEEP", "XINYU_BIN", "XINYU_HOME",
                   "PYTHONPYCACHEPREFIX", "PGPASSWORD"}
SETTINGS = {f"XINYU_{name.upper()}" for name in Settings.model_fields}


def text_of(path: Path) -> str:
    """A file of deploy/, or the README's section "Running it for a district"."""
    text = path.read_text(encoding="utf-8")
    if path.name == "README.md" and path.parent == ROOT:
        text = text.split("## Running it for a district", 1)[-1].split("\n## ", 1)[0]
    return text


def strip_prefix(tokens: list[str]) -> list[str]:
    """The command after a shell prompt, `sudo -u USER` and VAR=value assignments."""
    while tokens:
        if tokens[0] == "$" or re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", tokens[0]):
            tokens = tokens[1:]
        elif tokens[0] == "sudo":
            tokens = tokens[3:] if tokens[1:2] == ["-u"] else tokens[1:]
        else:
            return tokens
    return tokens


def pieces(line: str, markdown: bool) -> list[str]:
    """The shell commands a line holds: itself (an ExecStart= prefix off), its `code spans` in Markdown, and the
    commands of an `sh -c '…'`."""
    line = re.sub(r"^(ExecStart(Pre|Post)?=-?)", "", line.strip())
    found = [line.split("  #", 1)[0].split(" # ", 1)[0]]
    if markdown:
        found += re.findall(r"`([^`]+)`", line)
    for quoted in re.findall(r"sh -c '([^']*)'", line):
        found += quoted.split(";")
    return found


def command_lines() -> list[tuple[str, list[str]]]:
    """(where, argv after `xinyu`) for every xinyu command line in deploy/ and the README's district section."""
    found: list[tuple[str, list[str]]] = []
    for path in TEXTS:
        for number, line in enumerate(text_of(path).splitlines(), 1):
            for piece in pieces(line, path.suffix == ".md"):
                try:
                    tokens = strip_prefix(shlex.split(piece))
                except ValueError:
                    continue
                if not tokens or not (tokens[0] in ("xinyu", "$xinyu") or tokens[0].endswith("/bin/xinyu")):
                    continue
                if len(tokens) < 2 or not re.match(r"^[a-z]", tokens[1]):
                    continue
                argv = [re.sub(r"\$\{?\w+\}?|\$\(.*?\)", "X", t) for t in tokens[1:]]
                cut = next((i for i, t in enumerate(argv) if t in ("|", "&&", ";", "<")), len(argv))
                found.append((f"{path.relative_to(ROOT)}:{number}", argv[:cut]))
    return found


LINES = command_lines()


def test_deploy_names_the_commands_a_district_runs() -> None:
    commands = {argv[0] for _, argv in LINES}
    assert {"serve", "scheduler", "backup", "restore", "init", "check"} <= commands, commands


@pytest.mark.parametrize(("where", "argv"), LINES, ids=[f"{w} {' '.join(a)}" for w, a in LINES])
def test_every_command_line_parses_with_the_real_parser(where: str, argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except (SystemExit, ValueError) as exc:
        raise AssertionError(f"{where}: `xinyu {' '.join(argv)}` does not parse: {exc}") from exc


def env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"{path.name}:{number}: not KEY=VALUE: {line!r}"
        assert not name.startswith("export"), f"{path.name}:{number}: systemd reads no `export`"
        values[name] = shlex.split(value)[0] if value else ""
    return values


def named_variables() -> set[str]:
    return {name for path in TEXTS for name in re.findall(r"\b(XINYU_[A-Z0-9_]+)", text_of(path))}


def test_every_xinyu_variable_named_is_a_setting() -> None:
    unknown = named_variables() - SETTINGS - OTHER_VARIABLES
    assert not unknown, f"not in xinyu/settings.py: {sorted(unknown)}"


def test_the_env_template_is_read_by_the_settings_as_written() -> None:
    values = env_file(DEPLOY / "xinyu.env")
    assert {"XINYU_DATABASE_URL", "XINYU_BASE_URL", "XINYU_MAIL_FROM"} <= set(values)
    commented = set(re.findall(r"^#(XINYU_[A-Z0-9_]+)=", (DEPLOY / "xinyu.env").read_text(), re.M))
    assert {"XINYU_SMTP_URL", "XINYU_SMS_URL", "XINYU_SMS_TEMPLATE_CODES"} <= commented
    settings = Settings(**{k[len("XINYU_"):].lower(): v for k, v in values.items() if k.startswith("XINYU_")})
    assert settings.database_url.startswith("postgresql+psycopg://") and settings.cookie_secure
    assert settings.base_url.startswith("https://") and settings.mail_from.endswith("<noreply@example.edu.cn>")
    env_file(DEPLOY / "prefect-server.env")


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_units_parse_and_use_the_env_file(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text(encoding="utf-8"))
    assert "Unit" in parser
    if unit.suffix == ".service":
        service = parser["Service"]
        assert service.get("User") == "xinyu"
        assert "\nEnvironmentFile=/etc/xinyu/xinyu.env\n" in unit.read_text(encoding="utf-8")
        assert service.get("ExecStart", "").startswith("/")
    else:
        assert parser["Timer"].get("OnCalendar") and (unit.with_suffix(".service")).exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """The units as installed, with the paths of this checkout (verify needs the programs to exist)."""
    bin_dir = Path(sys.executable).parent  # this interpreter's venv: its xinyu and prefect scripts
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace("/opt/xinyu/deploy", str(DEPLOY))
        text = text.replace("/opt/xinyu/.venv/bin", str(bin_dir)).replace("/etc/xinyu/", str(DEPLOY) + "/")
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, cwd=tmp_path)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if line.strip() and "Failed to" not in line and "user" not in line.lower()]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed here (apt-get install nginx-light to check the config)")
def test_nginx_accepts_the_proxy_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cert, key = tmp_path / "xinyu.crt", tmp_path / "xinyu.key"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=xinyu",
                           "-days", "1", "-keyout", str(key), "-out", str(cert)], capture_output=True)
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "proxy" / "nginx-xinyu.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/certs/xinyu.crt", str(cert)).replace("/etc/ssl/private/xinyu.key", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path};\n"
        f"include {tmp_path}/site.conf; }}\n", encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed here (apt-get install caddy)")
def test_caddy_accepts_the_caddyfile(tmp_path: Path) -> None:
    caddyfile = (DEPLOY / "proxy" / "Caddyfile").read_text(encoding="utf-8")
    (tmp_path / "Caddyfile").write_text(caddyfile.replace("/var/log/caddy/", f"{tmp_path}/"), encoding="utf-8")
    done = subprocess.run(["caddy", "validate", "--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")],
                          capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path),
                                                                "XDG_DATA_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid configuration" in done.stdout + done.stderr
