"""Typed readers for settings that come from the environment.

Each helper raises ImproperlyConfigured on a value it cannot read, so a typo stops the
process at start-up instead of quietly running with a default.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    value = os.environ.get(name)
    if value:
        return value
    if default is None:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set")
    return default


def parse_env_file(text: str) -> dict[str, str]:
    """The KEY=value lines of a .env file, in the format of .env.example.

    Blank lines and lines starting with # are skipped; a # after whitespace starts a
    comment (so does a # right after the =); a value may be quoted with ' or " (then kept as written, # included). An empty
    value is left out, so `KEY=` means "use the default", as the example says.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        name, sep, raw = stripped.partition("=")
        name = name.strip()
        if not sep or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise ImproperlyConfigured(f".env line {number}: expected NAME=value, got {line!r}")
        raw = raw.strip()
        if raw[:1] in {"'", '"'}:
            end = raw.find(raw[0], 1)
            if end == -1:
                raise ImproperlyConfigured(f".env line {number}: unclosed quote in {name}")
            value = raw[1:end]
        else:
            value = " " + raw  # so a value that is only a comment is found by the markers
            for marker in (" #", "\t#"):
                if marker in value:
                    value = value[: value.index(marker)]
            value = value.strip()
        if value:
            values[name] = value
    return values


def load_env_file(path: Path) -> list[str]:
    """Put the settings in `path` into os.environ, if the file exists. The environment wins:
    a variable already set is not replaced. Returns the names it set."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ImproperlyConfigured(f"{path} cannot be read: {exc}") from None
    loaded = []
    for name, value in parse_env_file(text).items():
        if name not in os.environ:
            os.environ[name] = value
            loaded.append(name)
    return loaded


def env_file_path(base_dir: Path) -> Path | None:
    """The .env file to read: ENV_FILE if set (empty: none), else <base_dir>/.env."""
    named = os.environ.get("ENV_FILE")
    if named is None:
        return base_dir / ".env"
    return Path(named) if named else None


def site_url_default() -> str:
    """The address the app was started on (HOST and PORT, as scripts/serve uses them), so
    emailed links work without setting SITE_URL. A wildcard HOST means this machine.
    Behind a proxy (production) SITE_URL must name the public https address instead."""
    host = env_str("HOST", "127.0.0.1").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]", "*"}:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = env_int("PORT", 8000, minimum=1)
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"


def main(argv: list[str]) -> int:
    """`python -m teletherapy.lib.env NAME...`: print each NAME's value (after reading .env)
    on its own line, so shell scripts see the same settings as the app."""
    path = env_file_path(Path(__file__).resolve().parents[2])
    if path is not None:
        load_env_file(path)
    for name in argv:
        print(os.environ.get(name, ""))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
