"""Extraction fixtures: for every output in tests/fixtures/layouts/tuples.txt and extraction.txt,
the exact pairs and every diagnostic's code, severity and span (the format of the layout
fixtures, with an ``extractions:`` line instead of ``labels:``, and an optional ``source:``
line giving the model's input). Regenerate after a deliberate change with

    SDEPARSE_UPDATE_FIXTURES=1 python -m pytest -q tests/test_extraction_fixtures.py

and read the `git diff` of the fixture files before committing it.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field

import pytest
from test_layout_fixtures import (
    _DIAG,
    _EXPECTED_MARK,
    _HEADER,
    LAYOUTS,
    _strip_excerpt,
    decode_body,
    diagnostic_lines,
    encode_body,
    excerpt,
)

import sdeparse

FILES = ("tuples.txt", "extraction.txt")
#: Which design formats each file holds (the layout the model was trained on).
FORMATS_OF_FILE = {"tuples.txt": {"tuples"}, "extraction.txt": {"natural", "lines", "json"}}
UPDATE = os.environ.get("SDEPARSE_UPDATE_FIXTURES", "") not in ("", "0")
_PAIRS = "extractions: "
_SOURCE = "source: "


@dataclass
class Case:
    file: str
    line: int
    task: str
    design: str
    output: str
    note: str | None = None
    source: str | None = None
    expected: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def split_file(text: str, name: str) -> tuple[list[str], list[Case]]:
    """The preamble and the cases of one file."""
    lines = text[:-1].split("\n")
    heads = [i for i, line in enumerate(lines) if line.startswith("=== ")]
    preamble = lines[: heads[0]]
    cases = []
    for k, head in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else len(lines)
        where = f"{name}:{head + 1}"
        match = _HEADER.match(lines[head])
        if not match:
            raise ValueError(f"{where}: bad header {lines[head]!r}")
        block = lines[head + 1 : stop]
        cut = block.index(_EXPECTED_MARK)
        case = Case(name, head + 1, match["task"], match["design"], decode_body(block[:cut], where))
        case.note = match["note"]
        for line in block[cut + 1 :]:
            if not line:
                continue
            if line.startswith(_SOURCE) and not case.expected:
                case.source = json.loads(line[len(_SOURCE) :])
            elif line.startswith(_PAIRS) or _DIAG.match(line):
                case.expected.append(_strip_excerpt(line))
            else:
                raise ValueError(f"{where}: unreadable expected line {line!r}")
        if not case.expected or not case.expected[0].startswith(_PAIRS):
            raise ValueError(f"{where}: the expected block must start with '{_PAIRS}...'")
        cases.append(case)
    return preamble, cases


def actual_block(case: Case) -> list[str]:
    task = sdeparse.load_task(case.task)
    result = sdeparse.parse(case.output, task, case.design, source=case.source)
    pairs = json.dumps([list(pair) for pair in result.extractions], ensure_ascii=False)
    return [_PAIRS + pairs, *diagnostic_lines(result.diagnostics)]


def render_case(case: Case) -> str:
    head = f"=== {case.task} {case.design}" + (f"  # {case.note}" if case.note else "")
    body = []
    for line in case.expected:
        match = _DIAG.match(line)
        if match:
            line += "  # " + excerpt(case.output, int(match["start"]), int(match["end"]))
        body.append(line)
    source = [] if case.source is None else [_SOURCE + json.dumps(case.source, ensure_ascii=False)]
    return "\n".join([head, *encode_body(case.output), _EXPECTED_MARK, *source, *body])


def render_file(preamble: list[str], cases: list[Case]) -> str:
    return "\n\n".join(["\n".join(preamble).rstrip("\n")] + [render_case(c) for c in cases]) + "\n"


def _load() -> dict[str, tuple[list[str], list[Case]]]:
    return {name: split_file((LAYOUTS / name).read_text("utf-8"), name) for name in FILES}


if UPDATE:
    for _name, (_preamble, _cases) in _load().items():
        for _case in _cases:
            _case.expected = actual_block(_case)
        (LAYOUTS / _name).write_text(render_file(_preamble, _cases), "utf-8")

LOADED = _load()
CASES = [case for _, cases in LOADED.values() for case in cases]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_strict(case: Case) -> None:
    actual = actual_block(case)
    if actual != case.expected:
        diff = difflib.unified_diff(case.expected, actual, "expected", "actual", lineterm="")
        pytest.fail(f"{case.id}: {case.task} {case.design}\n" + "\n".join(diff), pytrace=False)


@pytest.mark.parametrize("name", FILES)
def test_file_is_canonical(name: str) -> None:
    preamble, cases = LOADED[name]
    assert render_file(preamble, cases) == (LAYOUTS / name).read_text("utf-8")


def test_cases_cover_the_extraction_codes_and_designs() -> None:
    for name, (_, cases) in LOADED.items():
        assert len(cases) >= 15, name
        for case in cases:
            fmt = sdeparse.load_task(case.task).design(case.design).format
            assert fmt in FORMATS_OF_FILE[name], f"{case.id}: a {fmt} case"
        assert any(len(case.expected) == 1 for case in cases), f"{name}: no canonical output"
    codes = {line.split()[0] for case in CASES for line in case.expected[1:]}
    missing = set(sdeparse.EXTRACTION_CODES) - codes
    assert not missing, f"the extraction fixtures never show {sorted(missing)}"
    assert {case.task for case in CASES} == set(sdeparse.BUILTIN_EXTRACTION_TASKS)
