"""Small shims for the oldest supported Python (3.10)."""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - exercised only on Python 3.10

    class StrEnum(str, Enum):
        """A str whose members print as their value, as enum.StrEnum does from 3.11."""

        def __str__(self) -> str:
            return str(self.value)


__all__ = ["StrEnum"]
