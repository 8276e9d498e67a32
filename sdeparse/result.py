"""The result of parsing one output: labels for every slot, the diagnostics, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Code, Diagnostic, Severity


@dataclass(slots=True)
class ParseResult:
    """What one output means: a label for every aspect, the diagnostics, the verdict."""

    labels: dict[str, str]
    diagnostics: list[Diagnostic]
    is_format_error: bool
    profile: str = "strict"
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[Code]:
        """The distinct diagnostic codes, in order of first appearance."""
        return list(dict.fromkeys(d.code for d in self.diagnostics))

    @property
    def worst(self) -> Severity | None:
        """The highest severity among the diagnostics, None when there are none."""
        return max((d.severity for d in self.diagnostics), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output (codes and severities as their strings)."""
        return {
            "labels": dict(self.labels),
            "is_format_error": self.is_format_error,
            "profile": self.profile,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            **({"descriptions": dict(self.descriptions)} if self.descriptions else {}),
        }
