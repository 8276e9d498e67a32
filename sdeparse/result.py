"""The result of parsing one output: labels for every slot, the diagnostics, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Code, Diagnostic, Severity
from .task import TaskKind


@dataclass(slots=True)
class ParseResult:
    """What one output means: a label for every aspect (classification) or the (type, span)
    pairs in output order after repair (extraction), the diagnostics, the verdict."""

    labels: dict[str, str]
    diagnostics: list[Diagnostic]
    is_format_error: bool
    profile: str = "strict"
    descriptions: dict[str, str] = field(default_factory=dict)
    #: Extraction tasks: the pairs, each type by its canonical name (empty for classification).
    extractions: tuple[tuple[str, str], ...] = ()
    kind: TaskKind = TaskKind.CLASSIFICATION
    #: Extraction under the paper profile: predictions read that are no (type, span) pair
    #: (literal lines of another shape); each is scored as one false positive.
    unpaired: int = 0

    @property
    def codes(self) -> list[Code]:
        """The distinct diagnostic codes, in order of first appearance."""
        return list(dict.fromkeys(d.code for d in self.diagnostics))

    @property
    def worst(self) -> Severity | None:
        """The highest severity among the diagnostics, None when there are none."""
        return max((d.severity for d in self.diagnostics), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output (codes and severities as their strings); an extraction
        task's result carries its pairs as [type, span] lists instead of labels."""
        if self.kind is TaskKind.EXTRACTION:
            return {
                "extractions": [[kind, span] for kind, span in self.extractions],
                **({"unpaired": self.unpaired} if self.unpaired else {}),
                "is_format_error": self.is_format_error,
                "profile": self.profile,
                "diagnostics": [d.to_dict() for d in self.diagnostics],
            }
        return {
            "labels": dict(self.labels),
            "is_format_error": self.is_format_error,
            "profile": self.profile,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            **({"descriptions": dict(self.descriptions)} if self.descriptions else {}),
        }
