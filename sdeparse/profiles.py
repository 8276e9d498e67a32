"""Profiles, plain data: where the labels come from and what counts as a format error.

``strict`` (the default) hides nothing: the labels are the careful repair's, and an output is
wrongly formatted when any diagnostic is a warning or an error. ``paper`` reproduces the
released evaluation of Guo et al. (2024) for labels and the format-error decision, so the
figures compare with the paper's; the diagnostics are reported all the same. Its rules are
read from the task, so it applies to any task (`sdeparse.paper.schema` says how).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import SdeparseError


class LabelSource(Enum):
    """Which reading gives the labels: sdeparse's repair, or the paper's reader and schema."""

    REPAIR = "repair"
    PAPER = "paper"


class FormatErrorRule(Enum):
    """When an output counts as wrongly formatted."""

    #: any diagnostic of warning or error severity
    ANY_WARNING = "any_warning"
    #: the paper's split errors and empty outputs
    PAPER = "paper"


@dataclass(frozen=True)
class Profile:
    """A named choice of label source and format-error rule."""

    name: str
    description: str
    labels: LabelSource = LabelSource.REPAIR
    format_error: FormatErrorRule = FormatErrorRule.ANY_WARNING

    @property
    def uses_paper(self) -> bool:
        """Whether the paper's reader and schema must run."""
        return self.labels is LabelSource.PAPER or self.format_error is FormatErrorRule.PAPER


PROFILES: dict[str, Profile] = {
    "strict": Profile(
        "strict",
        "every deviation is a diagnostic; warnings and errors make a "
        "format error; labels from the careful repair",
    ),
    "paper": Profile(
        "paper",
        "labels and format errors as the paper's released evaluation decides, minus its faults",
        LabelSource.PAPER,
        FormatErrorRule.PAPER,
    ),
}


class ProfileError(SdeparseError, ValueError):
    """An unknown profile name."""


def get_profile(name: str | Profile) -> Profile:
    """The profile of that name; an unknown name lists the valid ones."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except (KeyError, TypeError):
        raise ProfileError(
            f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}"
        ) from None
