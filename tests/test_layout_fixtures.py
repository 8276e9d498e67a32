"""Layout fixtures: for every output in tests/fixtures/layouts/*.txt, the exact labels and every
diagnostic's code, severity and span, so that any change of behaviour shows as a readable diff.

The file format is described in the comment at the top of each fixture file; `split_file` reads
it and `render_file` writes it.
The expected blocks were generated from the parser's behaviour and then read one by one;
after a deliberate change of behaviour, regenerate them with

    SDEPARSE_UPDATE_FIXTURES=1 python -m pytest -q tests/test_layout_fixtures.py

and read the `git diff` of the fixture files before committing it. Without that variable the
tests only compare.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import sdeparse

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"
FILES = ("natural.txt", "lines.txt", "json.txt", "cot.txt")
#: Which design formats each file holds (the layout the model was trained on).
FORMATS_OF_FILE = {
    "natural.txt": {"natural"},
    "lines.txt": {"lines"},
    "json.txt": {"json"},
    "cot.txt": {"cot", "rcot"},
}
MIN_CASES = 25
UPDATE = os.environ.get("SDEPARSE_UPDATE_FIXTURES", "") not in ("", "0")

_HEADER = re.compile(r"^=== (?P<task>\S+) (?P<design>\S+)(?: {2}# (?P<note>.*))?$")
_DIAG = re.compile(
    r"^(?P<code>[a-z_]+) (?P<severity>[a-z]+) (?P<start>\d+)-(?P<end>\d+)(?: {2}#.*)?$"
)
_JSON_MARK = "--- json"
_EXPECTED_MARK = "--- expected"
_LABELS = "labels: "
_NO_LABELS = "-"


# ---- the body of a case: raw lines when that is exact and visible, else one JSON string ------


def _escape_invisible(dumped: str) -> str:
    """json.dumps(ensure_ascii=False) output with every non-printable character escaped too
    (NBSP, U+3000, zero-width and line-separator characters would otherwise stay invisible)."""
    out = []
    for ch in dumped:
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code > 0xFFFF:  # as a surrogate pair, the way JSON writes it
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
    return "".join(out)


def dump_string(text: str) -> str:
    """One line of JSON that reads back as `text`, readable where the text is."""
    return _escape_invisible(json.dumps(text, ensure_ascii=False))


def is_raw_safe(output: str) -> bool:
    """Whether the output is written as raw lines: not empty, no leading or trailing
    whitespace on the output or any line, no character other than newline that is
    invisible or not printable (tab, CR, NBSP, U+3000...), no line a marker could take."""
    if not output or output != output.strip():
        return False
    for line in output.split("\n"):
        if line != line.rstrip() or line.startswith(("===", "---")):
            return False
        if not all(ch.isprintable() for ch in line):
            return False
    return True


def encode_body(output: str) -> list[str]:
    if is_raw_safe(output):
        return output.split("\n")
    return [_JSON_MARK, dump_string(output)]


def decode_body(lines: list[str], where: str) -> str:
    if lines and lines[0] == _JSON_MARK:
        if len(lines) != 2:
            raise ValueError(f"{where}: '{_JSON_MARK}' must be followed by exactly one line")
        output = json.loads(lines[1])
        if not isinstance(output, str):
            raise ValueError(f"{where}: the line after '{_JSON_MARK}' is not a JSON string")
        return output
    output = "\n".join(lines)
    if not is_raw_safe(output):
        raise ValueError(
            f"{where}: this output must be written in the '{_JSON_MARK}' form "
            "(empty, surrounding or trailing whitespace, invisible characters or a marker line)"
        )
    return output


# ---- cases ----------------------------------------------------------------------------------


@dataclass
class Case:
    file: str
    line: int  # 1-based line of the header
    task: str
    design: str
    output: str
    note: str | None = None
    notes: list[str] = field(default_factory=list)  # "# ..." lines of the expected block
    expected: list[str] = field(default_factory=list)  # labels line, then diagnostic lines

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def split_file(text: str, name: str) -> tuple[list[str], list[Case]]:
    """The preamble (comment lines before the first case) and the cases of one file."""
    if "\r" in text:
        raise ValueError(f"{name}: carriage return in the file (save it with LF line ends)")
    if not text.endswith("\n"):
        raise ValueError(f"{name}: the file must end with a newline")
    lines = text[:-1].split("\n")
    heads = [i for i, line in enumerate(lines) if line.startswith("=== ")]
    preamble = lines[: heads[0]] if heads else lines
    for line in preamble:
        if line and not line.startswith("#"):
            raise ValueError(f"{name}: only comments before the first case, got {line!r}")
    cases = []
    for k, head in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else len(lines)
        where = f"{name}:{head + 1}"
        match = _HEADER.match(lines[head])
        if not match:
            raise ValueError(f"{where}: bad header {lines[head]!r}")
        block = lines[head + 1 : stop]
        if _EXPECTED_MARK not in block:
            raise ValueError(f"{where}: no '{_EXPECTED_MARK}' line")
        cut = block.index(_EXPECTED_MARK)
        output = decode_body(block[:cut], where)
        notes, expected = [], []
        for line in block[cut + 1 :]:
            if not line:
                continue
            if line.startswith("# "):
                if expected:
                    raise ValueError(f"{where}: notes go before the labels line")
                notes.append(line)
            elif line.startswith(_LABELS) or _DIAG.match(line):
                expected.append(_strip_excerpt(line))
            else:
                raise ValueError(f"{where}: unreadable expected line {line!r}")
        if not expected or not expected[0].startswith(_LABELS):
            raise ValueError(f"{where}: the expected block must start with '{_LABELS}...'")
        cases.append(
            Case(
                name,
                head + 1,
                match["task"],
                match["design"],
                output,
                match["note"],
                notes,
                expected,
            )
        )
    return preamble, cases


def _strip_excerpt(line: str) -> str:
    """A diagnostic line without its excerpt comment (derived from the span, never compared)."""
    return line.split("  #", 1)[0]


def excerpt(output: str, start: int, end: int) -> str:
    """What a span covers, for people reading the fixture (not compared)."""
    if start == 0 and end == len(output) and output:
        return "whole output"
    if start == end:
        if start >= len(output):
            return "at the end"
        return "before " + dump_string(output[start : start + 6])
    text = output[start:end]
    if len(text) > 24:
        return dump_string(text[:12]) + "…" + dump_string(text[-8:])
    return dump_string(text)


def labels_line(task: sdeparse.Task, labels: dict[str, str]) -> str:
    shown = [f"{a}={lab}" for a, lab in labels.items() if lab != task.placeholder]
    for pair in shown:
        if " " in pair or pair.count("=") != 1:
            raise ValueError(f"aspect or label {pair!r} cannot be written in a labels line")
    return _LABELS + (" ".join(shown) if shown else _NO_LABELS)


def diagnostic_lines(diagnostics) -> list[str]:
    ordered = sorted(diagnostics, key=lambda d: (d.start, d.end, d.code, d.severity.rank))
    return [f"{d.code} {d.severity.value} {d.start}-{d.end}" for d in ordered]


def actual_block(case: Case) -> list[str]:
    task = sdeparse.load_task(case.task)
    result = sdeparse.parse(case.output, task, case.design)
    return [labels_line(task, result.labels), *diagnostic_lines(result.diagnostics)]


def with_excerpts(case: Case, block: list[str]) -> list[str]:
    out = []
    for line in block:
        match = _DIAG.match(line)
        if match:
            span = excerpt(case.output, int(match["start"]), int(match["end"]))
            line = f"{line}  # {span}"
        out.append(line)
    return out


def render_case(case: Case) -> str:
    head = f"=== {case.task} {case.design}" + (f"  # {case.note}" if case.note else "")
    return "\n".join(
        [
            head,
            *encode_body(case.output),
            _EXPECTED_MARK,
            *case.notes,
            *with_excerpts(case, case.expected),
        ]
    )


def render_file(preamble: list[str], cases: list[Case]) -> str:
    parts = ["\n".join(preamble).rstrip("\n")] if preamble else []
    parts += [render_case(case) for case in cases]
    return "\n\n".join(parts) + "\n"


def _load() -> dict[str, tuple[list[str], list[Case]]]:
    loaded = {}
    for name in FILES:
        path = LAYOUTS / name
        loaded[name] = split_file(path.read_bytes().decode("utf-8"), name)
    return loaded


def _update_all() -> None:
    """Rewrite every expected block from the current behaviour (SDEPARSE_UPDATE_FIXTURES=1)."""
    for name, (preamble, cases) in _load().items():
        for case in cases:
            case.expected = actual_block(case)
        (LAYOUTS / name).write_bytes(render_file(preamble, cases).encode("utf-8"))


if UPDATE:
    _update_all()

LOADED = _load()
CASES = [case for _, cases in LOADED.values() for case in cases]


# ---- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_strict(case: Case) -> None:
    actual = actual_block(case)
    if actual != case.expected:
        diff = difflib.unified_diff(
            with_excerpts(case, case.expected),
            with_excerpts(case, actual),
            fromfile=f"{case.id} expected",
            tofile=f"{case.id} actual (strict profile)",
            lineterm="",
        )
        pytest.fail(
            f"{case.id}: {case.task} {case.design}, output {dump_string(case.output)}\n"
            + "\n".join(diff),
            pytrace=False,
        )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_paper_profile(case: Case) -> None:
    task = sdeparse.load_task(case.task)
    result = sdeparse.parse(case.output, task, case.design, profile="paper")
    assert list(result.labels) == list(task.aspect_names)
    assert set(result.labels.values()) <= set(task.label_names)


@pytest.mark.parametrize("name", FILES)
def test_file_is_canonical(name: str) -> None:
    """Each file is exactly what the writer makes of it: the format round-trips, and the
    excerpt comments match their spans."""
    preamble, cases = LOADED[name]
    text = (LAYOUTS / name).read_bytes().decode("utf-8")
    rendered = render_file(preamble, cases)
    if rendered != text:
        diff = difflib.unified_diff(
            text.split("\n"),
            rendered.split("\n"),
            f"{name} as written",
            f"{name} as the writer writes it",
            lineterm="",
        )
        pytest.fail(
            "\n".join(diff) + "\n(excerpts follow their spans: SDEPARSE_UPDATE_FIXTURES=1 "
            "rewrites the files in this form)",
            pytrace=False,
        )
    assert preamble and preamble[0].startswith("#"), f"{name} needs its format comment"


@pytest.mark.parametrize(
    "output",
    [
        "",
        "\n",
        "  ",
        "\t",
        " \n ",
        "a\n",
        "\na",
        "a \nb",
        "a\tb",
        "a\r\nb",
        "=== x y",
        "--- json",
        "a\n--- expected",
        "\u3000a",
        "a\u200bb",
        "a\u2028b",
        "😀\x00",
        "\ud800 lone surrogate",
        "\U000e0001 astral format character",
        '"quoted" \\ back',
        "食品评价：中性，饮品评价：未提及。",
        "a\n\nb",
    ],
)
def test_body_round_trips(output: str) -> None:
    lines = encode_body(output)
    assert decode_body(lines, "test") == output
    # and through a whole file
    case = Case("x.txt", 2, "masa-d1", "natural", output, expected=["labels: -"])
    (back,) = split_file(render_file(["# x"], [case]), "x.txt")[1]
    assert back.output == output
    for line in lines:
        assert line == line.strip() and all(ch.isprintable() for ch in line)


def test_cases_sit_in_the_file_of_their_layout() -> None:
    for name, (_, cases) in LOADED.items():
        assert len(cases) >= MIN_CASES, f"{name} has {len(cases)} cases"
        for case in cases:
            fmt = sdeparse.Design.parse(case.design).format
            assert fmt in FORMATS_OF_FILE[name], f"{case.id}: a {fmt} case"
    assert {case.task for case in CASES} <= set(sdeparse.BUILTIN_TASKS)


def test_every_code_in_every_layout() -> None:
    """Every diagnostic code can occur whatever the trained layout (a Natural design can be
    answered in JSON, a JSON design in pairs), and each file pins each of them at least once;
    each file also holds canonical outputs (no diagnostic), numeric and OU designs and the
    English task."""
    for name, (_, cases) in LOADED.items():
        codes = {line.split()[0] for case in cases for line in case.expected[1:]}
        missing = set(sdeparse.CODES) - codes
        assert not missing, f"{name} never shows {sorted(missing)}"
        assert any(len(case.expected) == 1 for case in cases), f"{name}: no canonical output"
        designs = [sdeparse.Design.parse(case.design) for case in cases]
        assert any(d.numeric_labels for d in designs), f"{name}: no numeric design"
        assert any(d.omit_unmentioned for d in designs), f"{name}: no OU design"
        assert any(case.task == "restaurant-en" for case in cases), f"{name}: no English case"
