from pathlib import Path

from tests import boundaries


def test_layers_respect_their_import_boundaries() -> None:
    assert boundaries.violations() == []


def test_the_checker_reports_io_in_the_domain_and_api_importing_worker(tmp_path: Path) -> None:
    (tmp_path / "core" / "domain").mkdir(parents=True)
    (tmp_path / "api").mkdir()
    (tmp_path / "core" / "domain" / "bad.py").write_text("import asyncpg\n")
    (tmp_path / "api" / "bad.py").write_text("from worker.jobs import send\n")
    found = boundaries.violations(tmp_path)
    assert "core/domain/bad.py imports asyncpg (core/domain must not)" in found
    assert "api/bad.py imports worker.jobs (api must not)" in found
