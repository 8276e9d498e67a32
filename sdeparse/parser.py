"""The pipeline, compiled once per (task, design, profile):

text -> canonical matcher (exactly what `render` writes: no diagnostics) or
detect layout -> layout reader (records + syntax diagnostics) -> schema (labels + semantic
diagnostics) -> profile (label source, format-error rule) -> ParseResult.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import fold
from .design import Design, Format
from .detect import read
from .diagnostics import Code, Diagnostic, Severity
from .layouts import Reading, layout_for
from .paper import paper_decide
from .paper.extraction import check_paper_design, read_output
from .profiles import FormatErrorRule, LabelSource, Profile, get_profile
from .records import Diagnostics
from .render import check_design
from .result import ParseResult
from .schemas import Prediction, schema_for
from .task import Task, TaskKind, load_task
from .unwrap import unwrap


class Parser:
    """Everything one (task, design, profile) needs, built once: the layout, the schema, the
    canonical matcher and the profile. ``Parser(task, design).parse(text)`` never raises on a
    str."""

    def __init__(
        self, task: Task | str | Path, design: Design | str, profile: Profile | str = "strict"
    ) -> None:
        self.task = load_task(task)
        self.design = self.task.design(design)
        check_design(self.task, self.design)
        self.profile = get_profile(profile)
        if self.task.is_extraction and self.profile.uses_paper:
            check_paper_design(self.task, self.design)  # a ProfileError where it cannot read
        self.layout = layout_for(self.design)
        self.schema = schema_for(self.task, self.design)
        self._canonical = (
            None
            if self.task.is_extraction
            else self.layout.canonical_reader(self.task, self.design)
        )

    def __repr__(self) -> str:
        return f"Parser({self.task.name!r}, {self.design.name!r}, {self.profile.name!r})"

    def parse(self, text: str, source: str | None = None) -> ParseResult:
        """Parse one model output: labels for every slot (or the extracted pairs), diagnostics,
        the verdict. `source`, the model's input, lets an extraction task report spans that do
        not occur in it."""
        if not isinstance(text, str):
            raise TypeError(f"parse() needs the model output as str, not {type(text).__name__}")
        if source is not None and not isinstance(source, str):
            raise TypeError(f"the source must be a str, not {type(source).__name__}")
        profile = self.profile
        if self._canonical is None:  # extraction: no fast path
            return self._parse_extraction(text, source)
        fast = self._canonical(text)
        # The one canonical text the paper's script rejects: the empty OU answer (OU outputs
        # get the Natural rules there, where the empty string is an "empty output" error).
        if fast is not None and not (text == "" and profile.uses_paper):
            labels, descriptions = fast
            return ParseResult(labels, [], False, profile.name, descriptions)
        prediction, diagnostics = self.diagnose(text)
        labels = prediction.labels
        is_error = any(d.severity is not Severity.INFO for d in diagnostics)
        if profile.uses_paper:
            paper_labels, paper_error = paper_decide(text, self.task, self.design)
            if profile.labels is LabelSource.PAPER:
                labels = paper_labels
            if profile.format_error is FormatErrorRule.PAPER:
                is_error = paper_error
        return ParseResult(labels, diagnostics, is_error, profile.name, prediction.descriptions)

    def _parse_extraction(self, text: str, source: str | None) -> ParseResult:
        """Strict diagnostics always; under the paper profile the pairs (and the predictions
        that are no pair) and the verdict of the released evaluation (`paper.extraction`)."""
        profile = self.profile
        prediction, diagnostics = self.diagnose(text, source)
        extractions = prediction.extractions
        is_error = any(d.severity is not Severity.INFO for d in diagnostics)
        unpaired = 0
        if profile.uses_paper:
            reading = read_output(text, self.task, self.design)
            if profile.labels is LabelSource.PAPER:
                extractions, unpaired = reading.pairs, reading.unpaired
            if profile.format_error is FormatErrorRule.PAPER:
                is_error = reading.format_error
        return ParseResult(
            {},
            diagnostics,
            is_error,
            profile.name,
            extractions=extractions,
            kind=TaskKind.EXTRACTION,
            unpaired=unpaired,
        )

    def diagnose(
        self, text: str, source: str | None = None
    ) -> tuple[Prediction, list[Diagnostic]]:
        """The full reading, whatever the text: the schema's prediction and every diagnostic.
        A chat wrapper or markdown decoration (unwrap.py) is removed first; the rest is read
        as usual and every diagnostic mapped back to the original text."""
        unwrapped = unwrap(text, self.task, self.design, self.schema)
        if unwrapped is None:
            return self._diagnose(text, source)
        prediction, inner = self._unwrapped(unwrapped.text, source)
        diags = Diagnostics(map(unwrapped.diagnostic, inner))
        diags.extend(unwrapped.notes)
        return prediction, diags.sorted()

    def _unwrapped(
        self, text: str, source: str | None = None
    ) -> tuple[Prediction, list[Diagnostic]]:
        """The reading of a text without its wrapper: what `_diagnose` gives, by the canonical
        matcher when the text is canonical (a wrapper around a canonical answer, the usual
        case), since the full reading of a canonical text has no diagnostic and the same
        labels and descriptions (tests/test_speed.py)."""
        if self._canonical is not None:
            fast = self._canonical(text)
            if fast is not None:
                return Prediction(fast[0], fast[1]), []
        return self._diagnose(text, source)

    def _diagnose(
        self, text: str, source: str | None = None
    ) -> tuple[Prediction, list[Diagnostic]]:
        """The reading of a text without its wrapper (see `diagnose`)."""
        diags = Diagnostics()
        design = self.design
        if not text.strip():
            if self._empty_is_legal:
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
                    "no pair" if self.task.is_extraction else "every aspect gets the placeholder",
                )
            return self.schema.nothing(), diags
        layout, reading = read(text, self.task, design, self.schema, diags)
        prediction = self.schema.resolve(reading.records, text, diags, layout.name, source)
        if reading.unread is not None and not self.task.is_extraction:
            self._unread(prediction, reading, diags)
        return prediction, diags.sorted()

    def _unread(self, prediction: Prediction, reading: Reading, diags: Diagnostics) -> None:
        """A long output read only up to its first MAX_ITEMS spellings (fold.py): every slot
        named in the rest may have been given another label there, so it gets the placeholder
        and the output an error; nothing is guessed."""
        task = self.task
        named = {a for name in reading.unread_names for a in task.resolve_aspect(name).aspects}
        names = sorted(named, key=task.aspect_names.index)
        for aspect in names:
            prediction.labels[aspect] = task.placeholder
            prediction.descriptions.pop(aspect, None)
        assert reading.unread is not None
        start, end = reading.unread
        diags.add(
            Code.EXTRA_TEXT,
            start,
            end,
            f"{end - start:,} characters after the first {fold.MAX_ITEMS:,} spellings, not "
            "read (long output); " + ("、".join(names) or "no aspect") + " named there",
            "those aspects get the placeholder",
            severity=Severity.ERROR,
        )

    @property
    def _empty_is_legal(self) -> bool:
        """Whether the empty string is a canonical answer: OU designs, and the tuples design
        of a task whose empty answer is the empty output."""
        design = self.design
        if design.format is Format.TUPLES:
            return self.task.spans.empty_tuples == ""
        return design.omit_unmentioned


@lru_cache(maxsize=32)
def _cached_parser(task: Task | str | Path, design: Design | str, profile: Profile | str) -> Parser:
    return Parser(task, design, profile)


#: The last (task, design, profile) arguments and their parser, as one tuple replaced whole
#: (so threads never see half of one setup): a run parses thousands of outputs with the same
#: three arguments, so they are recognized by identity before the value-keyed cache.
_last: tuple[object, object, object, Parser | None] = (None, None, None, None)


def parser_for(
    task: Task | str | Path, design: Design | str, profile: Profile | str = "strict"
) -> Parser:
    """A Parser from a small cache keyed by the arguments' values (equal tasks share one)."""
    global _last
    last = _last
    if last[0] is task and last[1] is design and last[2] is profile and last[3] is not None:
        return last[3]
    try:
        parser = _cached_parser(task, design, profile)
    except TypeError:  # an unhashable argument: build it (and let Parser say what is wrong)
        parser = Parser(task, design, profile)
    _last = (task, design, profile, parser)
    return parser


def parse(
    text: str,
    task: Task | str | Path,
    design: Design | str,
    profile: str | Profile = "strict",
    source: str | None = None,
) -> ParseResult:
    """Parse one model output for `task` under `design`; never raises on any string.
    `source` (the model's input) lets an extraction task report spans not found in it."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs the model output as str, not {type(text).__name__}")
    return parser_for(task, design, profile).parse(text, source)


def diagnose(
    text: str, task: Task | str | Path, design: Design | str
) -> tuple[dict[str, str], dict[str, str], list[Diagnostic]]:
    """The full reading (no fast path): labels, descriptions and every diagnostic."""
    prediction, diagnostics = parser_for(task, design).diagnose(text)
    return prediction.labels, prediction.descriptions, diagnostics
