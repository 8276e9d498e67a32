"""Sample designs: an output format plus the OU (omit unmentioned) and NumLabel options."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._compat import StrEnum
from .errors import DesignError


class Format(StrEnum):
    """The output formats of the paper's designs (values are the names users write)."""

    NATURAL = "natural"
    LINES = "lines"
    JSON = "json"
    COT = "cot"
    RCOT = "rcot"
    #: Extraction tasks only: one ``["type", "span"]`` list per line.
    TUPLES = "tuples"


FORMATS: tuple[str, ...] = tuple(f.value for f in Format)
#: The formats of classification tasks (every format but tuples).
CLASSIFICATION_FORMATS: tuple[Format, ...] = tuple(f for f in Format if f is not Format.TUPLES)
#: The formats of extraction tasks (a span list per type, or one pair per tuple).
EXTRACTION_FORMATS: tuple[Format, ...] = (
    Format.TUPLES,
    Format.NATURAL,
    Format.LINES,
    Format.JSON,
)

#: The paper's mode names (and the SDE mixes), as aliases of a base design.
PAPER_MODES: dict[str, str] = {
    "instruction-last": "natural",
    "instruction-first": "natural",
    "no-instruction": "natural",
    "input-modeling": "natural",
    "lines-output": "lines",
    "json-output": "json",
    "omit-unmentioned": "natural+omit",
    "numerical-label": "natural+numeric",
    "cot": "cot",
    "rev-cot": "rcot",
    "es-sde": "lines",
    "ew-sde": "natural+omit",
}

_OPTION_ALIASES = {
    "omit": "omit",
    "ou": "omit",
    "numeric": "numeric",
    "num": "numeric",
    "numlabel": "numeric",
    "pu": "",
    "text": "",
    "txtlabel": "",
}
_FORMAT_ALIASES = {
    "r-cot": "rcot",
    "rev-cot": "rcot",
    "reverse-cot": "rcot",
    "tuple": "tuples",
}


@dataclass(frozen=True)
class Design:
    """What a model was trained to output: `format` with OU and numeric-label options."""

    format: Format = Format.NATURAL
    omit_unmentioned: bool = False
    numeric_labels: bool = False
    #: derived from `format` once (see `__post_init__`); not compared, hashed or shown
    _is_json: bool = field(default=False, init=False, repr=False, compare=False)
    _has_description: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise DesignError(
                f"unknown format {self.format!r}; valid formats: {', '.join(FORMATS)}"
            )
        fmt = Format(self.format)
        object.__setattr__(self, "format", fmt)  # a str given is made a Format
        # Asked per line by the readers: answered once (identity tests, not str equality).
        object.__setattr__(self, "_is_json", fmt is Format.JSON or fmt is Format.COT
                           or fmt is Format.RCOT)
        object.__setattr__(self, "_has_description", fmt is Format.COT or fmt is Format.RCOT)

    @property
    def is_json(self) -> bool:
        """JSON, CoT and R-CoT all write one JSON object per line."""
        return self._is_json

    @property
    def has_description(self) -> bool:
        """CoT and R-CoT carry a description field beside the label."""
        return self._has_description

    @property
    def description_first(self) -> bool:
        """CoT writes the description before the label; R-CoT after it."""
        return self.format is Format.COT

    @property
    def name(self) -> str:
        """The canonical spelling, e.g. ``lines+omit+numeric``, which `Design.parse` reads back."""
        parts: list[str] = [self.format.value]
        if self.omit_unmentioned:
            parts.append("omit")
        if self.numeric_labels:
            parts.append("numeric")
        return "+".join(parts)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def parse(cls, spec: str | Design) -> Design:
        """Read ``natural``, ``lines+omit``, ``json+numeric``... or a paper mode (``ES-SDE``)."""
        if isinstance(spec, Design):
            return spec
        if not isinstance(spec, str):
            raise TypeError(f"a design is a string such as 'lines+omit', not {type(spec).__name__}")
        text = spec.strip().lower().replace("_", "-").replace(" ", "")
        text = PAPER_MODES.get(text, text)
        head, *options = text.split("+")
        head = _FORMAT_ALIASES.get(head, head)
        if head not in FORMATS and head in PAPER_MODES:
            head, *implied = PAPER_MODES[head].split("+")
            options = implied + options
        omit = numeric = False
        if head not in FORMATS:
            raise DesignError(
                f"unknown design {spec!r}; valid: a format ({', '.join(FORMATS)}) with optional "
                f"+omit and +numeric, or a paper mode name "
                f"({', '.join(sorted(name for name in PAPER_MODES))}; case does not matter)"
            )
        for option in options:
            canonical = _OPTION_ALIASES.get(option)
            if canonical is None:
                raise DesignError(
                    f"unknown design option {option!r} in {spec!r}; valid options: +omit, +numeric"
                )
            if canonical == "omit":
                omit = True
            elif canonical == "numeric":
                numeric = True
        return cls(Format(head), omit, numeric)

    @classmethod
    def all(cls) -> tuple[Design, ...]:
        """Every design of a classification task: each format but tuples with each option
        combination (20 designs)."""
        return tuple(
            cls(fmt, omit, numeric)
            for fmt in CLASSIFICATION_FORMATS
            for omit in (False, True)
            for numeric in (False, True)
        )

    @classmethod
    def extraction(cls) -> tuple[Design, ...]:
        """Every design of an extraction task: tuples (which always leaves types without
        spans out, so it has no +omit), natural, lines and json, text or numeric types."""
        return tuple(
            cls(fmt, omit, numeric)
            for fmt in EXTRACTION_FORMATS
            for omit in ((False,) if fmt is Format.TUPLES else (False, True))
            for numeric in (False, True)
        )
