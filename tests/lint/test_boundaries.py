"""The import-boundary check (tests/lint/boundaries.py) holds for the tree, and reports each kind of breach."""

from pathlib import Path

import pytest

from tests.lint import boundaries


def test_layers_respect_their_import_boundaries() -> None:
    assert boundaries.violations() == []


@pytest.mark.parametrize(
    ("path", "source", "reported"),
    [
        (
            "core/domain/bad.py",
            "import asyncpg\n",
            "core/domain/bad.py imports asyncpg (core/domain must not)",
        ),
        ("core/domain/bad.py", "from core.infra import settings\n", "core/domain/bad.py imports core.infra"),
        ("api/bad.py", "from worker.jobs import send\n", "api/bad.py imports worker.jobs (api must not)"),
        ("api/bad.py", "from core.store.intake import ApiKey\n", "api/bad.py imports core.store.intake (api"),
        ("api/bad.py", "from core import store\n", "api/bad.py imports core.store (api must not)"),
        ("worker/bad.py", "import core.store.messages\n", "worker/bad.py imports core.store.messages"),
        ("cli/bad.py", "from core.store import admin\n", "cli/bad.py imports core.store (cli must not)"),
        (
            "core/store/bad.py",
            "from core.services import sending\n",
            "core/store/bad.py imports core.services",
        ),
        ("core/infra/bad.py", "from core.store import admin\n", "core/infra/bad.py imports core.store"),
        ("core/services/bad.py", "from api.app import create_app\n", "core/services/bad.py imports api.app"),
    ],
)
def test_the_checker_reports_a_breach(tmp_path: Path, path: str, source: str, reported: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(source)
    found = boundaries.violations(tmp_path)
    assert [line for line in found if line.startswith(reported)], found


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("api/ok.py", "from core.services import sending\nfrom core.domain.phone import normalize_phone\n"),
        ("worker/ok.py", "from core.infra.queue import redis_settings\n"),
        ("cli/ok.py", "from api.app import create_app\nfrom worker.main import build_worker\n"),
        ("core/services/ok.py", "from core.store import admin\nimport asyncpg\n"),
    ],
)
def test_the_checker_allows_what_the_layout_allows(tmp_path: Path, path: str, source: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(source)
    assert boundaries.violations(tmp_path) == []
