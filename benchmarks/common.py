"""Small pieces every benchmark module shares: size units, the usage-error exit, progress
logging, and how child processes find the sdeparse of this checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

#: 1 kB = 1000 bytes of UTF-8, 1 MB = 1000 kB (sizes of adversarial and long outputs)
KB = 1000
MB = 1000 * KB

HERE = Path(__file__).resolve().parent
#: the checkout the benchmarks live in (its sdeparse/ is the one measured)
ROOT = HERE.parent
#: the entry point, which child processes run in their hidden modes
RUN_SCRIPT = HERE / "run.py"


def use_checkout() -> None:
    """Put benchmarks/ and, when it holds sdeparse/, the checkout first on sys.path.

    ``python benchmarks/run.py`` puts only benchmarks/ on the path, so an sdeparse installed
    elsewhere (say, an editable install of another worktree) would be measured instead of
    the code next to the benchmarks.
    """
    for path in (HERE, ROOT if (ROOT / "sdeparse").is_dir() else None):
        if path is not None and str(path) not in sys.path:
            sys.path.insert(0, str(path))


def child_env() -> dict[str, str]:
    """The environment for child processes: the checkout first on PYTHONPATH (see above)."""
    env = dict(os.environ)
    if (ROOT / "sdeparse").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def fail(message: str, status: int = 2) -> NoReturn:
    """Exit with a clear one-line message instead of a traceback."""
    print(f"benchmarks/run.py: {message}", file=sys.stderr)
    raise SystemExit(status)


def log(message: str) -> None:
    """Progress goes to stderr (the figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def rate(count: int, seconds: float | None) -> float | None:
    return None if not seconds else count / seconds
