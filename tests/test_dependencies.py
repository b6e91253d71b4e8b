"""Dependencies point one way: lib → ops → audit → accounts → practice → clients →
scheduling → video / portal → alerts / quality / reminders. A lower app never imports, includes or loads template tags from a higher one
(nor video from portal or back); a higher app passes things down by registering them (see
teletherapy/lib/slots.py). Test code (tests/ folders, teletherapy/test) may use everything."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "teletherapy"
RANK = {
    "lib": 0,
    # Operations (/healthz, the task worker) watch the infrastructure, not the domain.
    "ops": 1,
    "audit": 2,
    "accounts": 3,
    "practice": 4,
    "clients": 5,
    # Working hours and closures: below scheduling (which asks them), beside clients.
    "availability": 5,
    "scheduling": 6,
    "video": 7,
    "portal": 7,
    # Check-in alerts read video's presence.
    "alerts": 8,
    # The call-quality record: reports the video consumer hands over, shown on History.
    "quality": 8,
    # Reminders use the video app's device check and join pages and the portal's forms.
    "reminders": 8,
}
TEMPLATE_TAG = re.compile(r"{%\s*(include|extends)\s+[\"'](\w+)/")
LOAD_TAG = re.compile(r"{%\s*load\s+([\w\s]+?)\s*%}")


def _is_test_code(path: Path) -> bool:
    return "tests" in path.relative_to(ROOT).parts


def _source_modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        app = path.relative_to(ROOT).parts[0]
        if app in RANK and not _is_test_code(path):
            found.append((app, path))
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, at the top or inside a function, as absolute names."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    package = package or _module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from teletherapy.x import templatetags` style: count the names too.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "teletherapy" and parts[1] in RANK:
        return parts[1]
    return None


def _template_libraries() -> dict[str, str]:
    """Template tag library name → the app that defines it."""
    return {
        path.stem: path.relative_to(ROOT).parts[0]
        for path in ROOT.glob("*/templatetags/*.py")
        if path.stem != "__init__" and path.relative_to(ROOT).parts[0] in RANK
    }


def test_no_module_imports_a_higher_or_sibling_app() -> None:
    wrong = []
    for app, path in _source_modules():
        for line, module in _imports(path):
            other = _app_of(module)
            if other is not None and other != app and RANK[other] >= RANK[app]:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} imports teletherapy.{other}")
    assert not wrong, "imports against the direction:\n" + "\n".join(sorted(set(wrong)))


def test_only_templates_use_template_tag_modules() -> None:
    wrong = []
    for _app, path in _source_modules():
        if "templatetags" in path.parts:
            continue
        for line, module in _imports(path):
            if ".templatetags" in module:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} imports {module}")
    assert not wrong, "put shared code in a module, not a template tag library:\n" + "\n".join(
        sorted(set(wrong))
    )


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for _app, path in _source_modules():
        name = _module_name(path)
        graph[name] = {m for _line, m in _imports(path) if m.startswith("teletherapy.")}
    known = set(graph)
    for name in graph:
        graph[name] = {m for m in graph[name] if m in known and m != name}

    cycles: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_templates_include_and_load_only_their_own_or_lower_apps() -> None:
    libraries = _template_libraries()
    wrong = []
    for path in sorted(ROOT.glob("*/templates/**/*.html")):
        app = path.relative_to(ROOT).parts[0]
        if app not in RANK:
            continue
        text = path.read_text()
        for match in TEMPLATE_TAG.finditer(text):
            other = match.group(2)
            if other in RANK and other != app and RANK[other] >= RANK[app]:
                wrong.append(f"{path.relative_to(ROOT.parent)}: {match.group(0)}")
        for match in LOAD_TAG.finditer(text):
            for library in match.group(1).split():
                other = libraries.get(library, "")
                if other in RANK and other != app and RANK[other] >= RANK[app]:
                    wrong.append(f"{path.relative_to(ROOT.parent)}: loads {library} ({other})")
    assert not wrong, "templates against the direction:\n" + "\n".join(wrong)


def test_the_checks_see_the_code() -> None:
    # A walk that finds nothing would pass everything.
    modules = _source_modules()
    assert {app for app, _path in modules} == set(RANK)
    assert "teletherapy.audit.models" in {m for _l, m in _imports(ROOT / "audit/services.py")}
    assert len(list(ROOT.glob("*/templates/**/*.html"))) > 20
