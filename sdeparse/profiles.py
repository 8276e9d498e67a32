"""Profiles: what counts as a format error and where the labels come from.

``strict`` (the default) hides nothing: the labels are the careful repair's, and an output is
wrongly formatted when any diagnostic is a warning or an error. ``paper`` reproduces the
released evaluation of Guo et al. (2024) for labels and the format-error decision, so the
figures compare with the paper's; the diagnostics are reported all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .design import Design
from .diagnostics import Diagnostic, Severity
from .errors import SdeparseError
from .paper import paper_decide
from .task import Task

Decide = Callable[[str, Task, Design, dict, Sequence[Diagnostic]], "tuple[dict[str, str], bool]"]


def _strict(
    text: str, task: Task, design: Design, labels: dict[str, str], diagnostics: Sequence[Diagnostic]
) -> tuple[dict[str, str], bool]:
    return labels, any(d.severity is not Severity.INFO for d in diagnostics)


def _paper(
    text: str, task: Task, design: Design, labels: dict[str, str], diagnostics: Sequence[Diagnostic]
) -> tuple[dict[str, str], bool]:
    return paper_decide(text, task, design)


@dataclass(frozen=True)
class Profile:
    """A named way of turning a parse into labels and a format-error decision."""

    name: str
    description: str
    decide: Decide


PROFILES: dict[str, Profile] = {
    "strict": Profile(
        "strict",
        "every deviation is a diagnostic; warnings and errors make a "
        "format error; labels from the careful repair",
        _strict,
    ),
    "paper": Profile(
        "paper",
        "labels and format errors as the paper's released evaluation "
        "decides (SPEC §3), minus its faults",
        _paper,
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
