"""The package type-checks under the mypy configuration in pyproject.toml, and ships py.typed."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_package_ships_py_typed() -> None:
    assert (ROOT / "sdeparse" / "py.typed").is_file()


def test_mypy_is_clean() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the test extras")
    stdout, stderr, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(ROOT / "sdeparse")]
    )
    assert status == 0, stdout + stderr
