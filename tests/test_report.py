"""Report: counting, merging, serialization and the terminal rendering."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Report
from sdeparse import report as report_module
from sdeparse.render_text import render_summary, render_text

TASK = sdeparse.load_task("masa-d1")
U = "未提及"


def labels(**kw):
    out = dict.fromkeys(TASK.aspect_names, U)
    out.update(kw)
    return out


def empty(profile="strict", samples=5):
    return Report.for_task(TASK, sdeparse.Design.parse("lines"), profile, "f.jsonl", samples)


def add(report, line, gold, prediction_text):
    report.add(line, sdeparse.parse(prediction_text, TASK, "lines"), gold)


def test_counts_of_one_output():
    r = empty()
    gold = labels(食品评价="正面")
    add(r, 7, gold, sdeparse.render(labels(食品评价="负面"), TASK, "lines").replace("：", ":"))
    d = r.to_dict()
    assert d["n"] == 1 and d["format_errors"] == 0  # ASCII colons: info only under strict
    assert d["codes"] == {"punctuation": 1} and d["code_lines"] == {"punctuation": [7]}
    assert d["confusion"]["by_aspect"]["食品评价"][0] == [0, 0, 1, 0]
    assert d["accuracy"]["all"] == 5 / 6 and d["accuracy"]["sentence"] == 0.0


def test_a_code_counts_once_per_output():
    r = empty()
    add(r, 1, labels(), "食品评价：未提及")  # five missing_aspect diagnostics, one output
    assert r.codes == {"missing_aspect": 1}


def test_empty_report_figures_are_none():
    d = empty().to_dict()
    assert d["n"] == 0 and d["format_error_rate"] is None
    assert d["accuracy"]["all"] is None and d["accuracy"]["sentence"] is None
    assert d["kappa"]["all"] is None
    assert d["per_class"]["all"]["正面"] == {
        "precision": None,
        "recall": None,
        "gold": 0,
        "predicted": 0,
    }
    assert "n/a" in render_text(empty())
    json.dumps(d)


def test_samples_are_bounded():
    r = empty(samples=3)
    for line in range(1, 101):
        add(r, line, labels(), "输出：" + sdeparse.render(labels(), TASK, "lines"))
        r.add_input_error(1000 + line, "blank_line", "blank line")
    d = r.to_dict()
    assert d["codes"]["extra_text"] == 100 and d["code_lines"]["extra_text"] == [1, 2, 3]
    assert d["format_error_lines"] == list(range(1, 101))  # every one (issue 11, item 10)
    assert d["input_errors"] == 100 and len(d["input_error_samples"]) == r.error_samples
    assert "... and 80 more" in render_text(r)


def test_round_trip_and_copy():
    r = empty()
    add(r, 1, labels(食品评价="中性"), "食品评价：积极")
    r.add_gold_error(2, "target does not parse cleanly: truncated")
    r.add_input_error(3, "invalid_json", "not valid JSON")
    back = Report.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r and back.to_dict() == r.to_dict()
    c = r.copy()
    add(c, 4, labels(), sdeparse.render(labels(), TASK, "lines"))
    assert c.n == 2 and r.n == 1


def test_merge_adds_every_count():
    a, b = empty(), empty()
    add(a, 1, labels(食品评价="正面"), "食品评价：积极")
    add(b, 2, labels(), "食品评价：未提及")
    b.add_input_error(3, "blank_line", "blank line")
    b.add_gold_error(4, "x")
    m = a + b
    assert m.n == 2 and m.records == 4 and m.input_errors == 1 and m.gold_errors == 1
    assert m.codes == {"label_synonym": 1, "missing_aspect": 2}
    assert m.code_lines == {"label_synonym": [1], "missing_aspect": [1, 2]}
    assert m.to_dict()["confusion"]["all"] == [
        [p + q for p, q in zip(ra, rb, strict=True)]
        for ra, rb in zip(a.pooled, b.pooled, strict=True)
    ]
    assert (b + a) == m  # order does not matter for counts or kept line numbers


def test_to_dict_keys_in_their_published_order():
    # `sdeparse eval --json` prints this dict: the envelope and the scorer interleave as always
    assert list(empty().to_dict()) == [
        "file", "task", "design", "profile", "records", "n", "format_errors",
        "format_error_rate", "coverage", "format_error_lines", "codes", "code_severities",
        "code_lines", "code_examples", "accuracy", "kappa", "confusion", "per_class",
        "sentence_correct",
        "format_error_as_wrong", "clean_hits", "clean_sentences", "gold_errors",
        "gold_error_samples",
        "input_errors", "input_error_kinds", "input_error_samples", "kappa_weights", "samples",
        "error_samples", "examples",
    ]  # fmt: skip


def test_merge_needs_the_same_setup():
    with pytest.raises(ValueError):
        empty() + empty("paper")
    with pytest.raises(TypeError):
        empty() + 1


def test_text_report_sections():
    r = empty()
    add(r, 1, labels(食品评价="正面"), "食品评价：积极")
    r.add_input_error(2, "invalid_json", "not valid JSON: Expecting value (column 1)")
    text = render_text(r)
    for part in (
        "f.jsonl",
        "wrong format       1  (100.00%)",
        "weighted kappa",
        "label_synonym",
        "Confusion matrix",
        "食品评价",
        "line 2: not valid JSON",
        "Input errors: 1",
    ):
        assert part in text, part
    summary = render_summary([r, r])
    assert summary.count("f.jsonl") == 2 and "kappa" in summary and "wrong format" in summary


def test_table_alignment_counts_wide_characters():
    text = render_text(empty())
    rows = [
        ln
        for ln in text.splitlines()
        if ln.startswith("  食品评价") or ln.startswith("  停车方便程度")
    ]
    from sdeparse.render_text import _width

    assert len({_width(row) for row in rows}) == 1


# ---- severities as raised -----------------------------------------------------------------------
# duplicate_aspect is a warning when the repeat agrees and an error when it conflicts;
# punctuation is info for an ASCII colon and a warning for a missing one.
CONFLICT = "食品评价：正面\n食品评价：负面"
AGREE = "食品评价：正面\n食品评价：正面"
NO_COLON = "食品评价正面"
ASCII_COLON = "食品评价:正面"
MIXED = "食品评价正面\n饮品评价:正面"  # punctuation raised twice: warning and info
SEVERITY_TEXTS = [CONFLICT, AGREE, NO_COLON, ASCII_COLON, MIXED, "食品评价：正面"]


def test_severity_counts_are_those_raised():
    r = empty()
    for line, text in enumerate([CONFLICT, AGREE, AGREE, NO_COLON, ASCII_COLON, MIXED], 1):
        add(r, line, labels(), text)
    d = r.to_dict()
    assert d["code_severities"]["duplicate_aspect"] == {"error": 1, "warning": 2}
    # one count per output, by the worst severity the code had in that output
    assert d["code_severities"]["punctuation"] == {"warning": 2, "info": 1}
    assert d["code_severities"]["missing_aspect"] == {"error": 6}
    assert all(sum(d["code_severities"][c].values()) == d["codes"][c] for c in d["codes"])
    assert list(d["code_severities"]) == list(d["codes"])  # catalogue order, like codes
    rows = {ln.split()[0]: ln for ln in render_text(r).splitlines() if ln.startswith("  ")}
    assert "error 1 · warning 2" in rows["duplicate_aspect"]
    assert "warning 2 · info 1" in rows["punctuation"]
    assert rows["missing_aspect"].split()[1:3] == ["error", "6"]


def test_a_code_raised_above_its_usual_severity_shows_as_raised():
    r = empty()
    add(r, 1, labels(食品评价="正面"), AGREE)
    assert sdeparse.Code.DUPLICATE_ASPECT.severity.value == "warning"
    assert r.severities("duplicate_aspect") == {"warning": 1}
    r2 = empty()
    add(r2, 1, labels(), CONFLICT)
    line = next(ln for ln in render_text(r2).splitlines() if "duplicate_aspect" in ln)
    assert line.split()[1] == "error"  # not the catalogue's default "warning"


def test_severities_survive_json_and_old_dicts_are_not_guessed():
    r = empty()
    for line, text in enumerate(SEVERITY_TEXTS, 1):
        add(r, line, labels(), text)
    back = Report.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r and back.code_severities == r.code_severities
    old = r.to_dict()
    del old["code_severities"]  # a report written before severities were counted
    legacy = Report.from_dict(old)
    assert legacy.severities("duplicate_aspect") == {"unrecorded": 2}
    merged = legacy + back
    assert merged.severities("duplicate_aspect") == {"error": 1, "warning": 1, "unrecorded": 2}
    assert "unrecorded" in render_text(legacy)


@given(
    st.lists(st.sampled_from(SEVERITY_TEXTS), max_size=12),
    st.integers(0, 12),
    st.integers(0, 12),
)
@settings(max_examples=40, deadline=None)
def test_severity_counts_merge_exactly(texts, i, j):
    i, j = sorted((min(i, len(texts)), min(j, len(texts))))
    parts = []
    for lo, hi in ((0, i), (i, j), (j, len(texts))):
        part = empty()
        for line in range(lo, hi):
            add(part, line + 1, labels(), texts[line])
        parts.append(part)
    whole = empty()
    for line, text in enumerate(texts, 1):
        add(whole, line, labels(), text)
    a, b, c = parts
    assert ((a + b) + c).to_dict() == (a + (b + c)).to_dict() == whole.to_dict()
    assert (c + a + b) == whole
    assert json.dumps((a + b + c).to_dict()) == json.dumps(whole.to_dict())


# ---- the first offending outputs of each code (issue 13: the HTML report shows them) ----------
def add_text(report, line, gold, text):
    report.add(line, sdeparse.parse(text, TASK, "lines"), gold, text)


def test_examples_keep_the_first_outputs_with_the_codes_spans():
    r = empty()
    r.examples = 2
    canonical = sdeparse.render(labels(), TASK, "lines")
    for line in (3, 5, 8):
        add_text(r, line, labels(), "输出：" + canonical)
    examples = r.code_examples["extra_text"]
    assert [e.line for e in examples] == [3, 5]  # bounded, the first by line
    e = examples[0]
    assert e.text == "输出：" + canonical and e.offset == 0 and e.length == len(e.text)
    assert e.spans and all(e.text[s.start:s.end] for s in e.spans)
    assert e.text[e.spans[0].start:e.spans[0].end].startswith("输出")
    assert {s.severity for s in e.spans} == {"warning"}
    add(r, 9, labels(), "输出：" + canonical)  # no text given: nothing kept, still counted
    assert r.codes["extra_text"] == 4 and len(r.code_examples["extra_text"]) == 2


def test_examples_of_a_long_output_are_a_bounded_window_around_the_span():
    r = empty()
    text = "x" * 10_000 + "\n" + sdeparse.render(labels(), TASK, "lines") + "\n" + "y" * 10_000
    add_text(r, 1, labels(), text)
    assert r.code_examples
    for examples in r.code_examples.values():
        for e in examples:
            assert len(e.text) <= report_module.EXAMPLE_CHARS and e.length == len(text)
            assert text[e.offset:e.offset + len(e.text)] == e.text
            for s in e.spans:
                assert e.offset <= s.start <= s.end <= e.offset + len(e.text)


def test_examples_round_trip_and_old_dicts_read():
    r = empty()
    add_text(r, 4, labels(食品评价="中性"), "食品评价：积极\n<script>alert(1)</script>")
    d = json.loads(json.dumps(r.to_dict()))
    assert d["code_examples"] and d["examples"] == report_module.DEFAULT_EXAMPLES
    back = Report.from_dict(d)
    assert back.code_examples == r.code_examples and back == r
    del d["code_examples"], d["examples"]
    old = Report.from_dict(d)
    assert old.code_examples == {} and old.examples == report_module.DEFAULT_EXAMPLES


_OUTPUTS = [
    sdeparse.render(labels(), TASK, "lines"),
    "输出：" + sdeparse.render(labels(), TASK, "lines"),
    "食品评价：积极",
    "食品评价:正面",
    "",
    "服务评价：负面\n价格水平：未提及",
]


@settings(max_examples=30, deadline=None)
@given(
    picks=st.lists(st.sampled_from(range(len(_OUTPUTS))), min_size=1, max_size=25),
    cuts=st.lists(st.integers(0, 25), max_size=4),
    keep=st.integers(1, 3),
)
def test_examples_merge_exactly_over_any_split(picks, cuts, keep):
    def report_of(lines):
        r = empty()
        r.examples = keep
        for line in lines:
            add_text(r, line, labels(), _OUTPUTS[picks[line - 1]])
        return r

    lines = list(range(1, len(picks) + 1))
    whole = report_of(lines)
    bounds = sorted({0, len(lines), *(min(c, len(lines)) for c in cuts)})
    parts = [report_of(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert sum(parts) == whole
    assert sum(reversed(parts)) == whole  # merge order does not matter
    for code, examples in whole.code_examples.items():
        assert len(examples) == min(keep, whole.codes[code])


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(0, 50))
def test_shifted_parts_merge_into_the_whole(cut: int) -> None:
    """A file evaluated in two parts, each counted from line 1, gives the whole file's report
    once the second part's line numbers are shifted by the first part's length: every line
    number the report keeps (codes, examples, samples) moves."""
    from pathlib import Path

    path = Path(__file__).parent.parent / "examples" / "generations.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[3] = {"prediction": "x"}  # a gold error
    whole = sdeparse.evaluate(records, "masa-d1", "lines")
    first = sdeparse.evaluate(records[:cut], "masa-d1", "lines")
    second = sdeparse.evaluate(records[cut:], "masa-d1", "lines").shift_lines(cut)
    assert first + second == whole
    assert (first + second).to_dict() == whole.to_dict()
