"""The pipeline: text -> (fast path | layout reader -> items) -> resolver -> profile -> result."""

from __future__ import annotations

from dataclasses import dataclass, field

from .design import Design
from .diagnostics import Code, Diagnostic, Severity
from .fastpath import Reader, build_reader
from .items import Diagnostics
from .layouts.jsonlines import read_json
from .layouts.pairs import read_pairs
from .profiles import Profile, get_profile
from .resolve import resolve
from .task import Task, load_task


@dataclass(slots=True)
class ParseResult:
    """What one output means: a label for every aspect, the diagnostics, the verdict."""

    labels: dict[str, str]
    diagnostics: list[Diagnostic]
    is_format_error: bool
    profile: str = "strict"
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        """The distinct diagnostic codes, in order of first appearance."""
        return list(dict.fromkeys(d.code for d in self.diagnostics))

    @property
    def worst(self) -> Severity | None:
        """The highest severity among the diagnostics, None when there are none."""
        return max((d.severity for d in self.diagnostics), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, object]:
        return {
            "labels": dict(self.labels),
            "is_format_error": self.is_format_error,
            "profile": self.profile,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            **({"descriptions": dict(self.descriptions)} if self.descriptions else {}),
        }


_readers: dict[tuple[int, Design], tuple[Task, Reader]] = {}


def _fast_reader(task: Task, design: Design) -> Reader:
    key = (id(task), design)
    cached = _readers.get(key)
    if cached is None or cached[0] is not task:
        cached = (task, build_reader(task, design))
        _readers[key] = cached
    return cached[1]


#: The last (task, design, profile) arguments and what they resolved to, as one tuple that is
#: replaced whole (so threads never see half of one setup): a run parses thousands of outputs
#: with the same three arguments, so they are resolved once and then recognized by identity.
_last_setup: tuple = (None, None, None, None, None, None, None)


def _resolve_setup(task, design, profile) -> tuple[Task, Design, Profile, Reader]:
    global _last_setup
    last = _last_setup
    if last[0] is task and last[1] is design and last[2] is profile:
        return last[3], last[4], last[5], last[6]
    resolved_task = load_task(task)
    resolved_design = Design.parse(design)
    chosen = get_profile(profile)
    reader = _fast_reader(resolved_task, resolved_design)
    _last_setup = (task, design, profile, resolved_task, resolved_design, chosen, reader)
    return resolved_task, resolved_design, chosen, reader


#: Outputs longer than this (characters) are read up to here: generation is capped at a few
#: hundred tokens, so anything longer is runaway text, and reading it all would cost seconds.
MAX_READ = 65_536


def diagnose(
    text: str, task: Task, design: Design
) -> tuple[dict[str, str], dict[str, str], list[Diagnostic]]:
    """The full parser: labels, descriptions and every diagnostic, whatever the text."""
    diags = Diagnostics()
    if not text.strip():
        if design.omit_unmentioned:
            if text:
                diags.add(
                    Code.EMPTY_OUTPUT,
                    0,
                    len(text),
                    "only whitespace (an empty answer is legal under OU)",
                    "read as nothing mentioned",
                    severity=Severity.INFO,
                )
        else:
            diags.add(
                Code.EMPTY_OUTPUT,
                0,
                len(text),
                "nothing but whitespace" if text else "the output is empty",
                "every aspect gets the placeholder",
            )
        return {a: task.placeholder for a in task.aspect_names}, {}, diags
    if len(text) > MAX_READ:
        cut = text.rfind("\n", MAX_READ - 4096, MAX_READ) + 1 or MAX_READ
        diags.add(
            Code.EXTRA_TEXT,
            cut,
            len(text),
            f"the output is {len(text)} characters long; only the first {cut} were read",
            "rest ignored",
        )
        text = text[:cut]
    items = None
    if design.is_json:
        if "{" in text or not any(c in text for c in "：:"):
            items = read_json(text, task, design, diags)
        else:
            diags.add(
                Code.FORMAT_MISMATCH,
                0,
                len(text),
                "key-value pairs where JSON objects were trained",
                "read the pairs",
            )
            items = read_pairs(text, task, design, diags, expected=False)
    else:
        if "{" in text:
            trial = Diagnostics()
            json_items = read_json(text, task, design, trial, expected=False)
            if json_items:
                diags.add(
                    Code.FORMAT_MISMATCH,
                    0,
                    len(text),
                    f"JSON objects where {design.format.capitalize()} pairs were trained",
                    "read the objects",
                )
                diags.extend(trial)
                items = json_items
        if items is None:
            items = read_pairs(text, task, design, diags)
    labels, descriptions = resolve(items, text, task, design, diags)
    return labels, descriptions, diags.sorted()


def parse(
    text: str, task: Task | str, design: Design | str, profile: str | Profile = "strict"
) -> ParseResult:
    """Parse one model output for `task` under `design`; never raises on any string."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs the model output as str, not {type(text).__name__}")
    task, design, chosen, reader = _resolve_setup(task, design, profile)
    fast = reader(text)
    # The one canonical text the paper's script rejects: the empty OU answer (SPEC §3.1, OU
    # outputs get the Natural rules, where the empty string is an "empty output" error).
    if fast is not None and not (text == "" and chosen.name == "paper"):
        labels, descriptions = fast
        return ParseResult(labels, [], False, chosen.name, descriptions)
    labels, descriptions, diagnostics = diagnose(text, task, design)
    labels, is_error = chosen.decide(text, task, design, labels, diagnostics)
    return ParseResult(labels, diagnostics, is_error, chosen.name, descriptions)
