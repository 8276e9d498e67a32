"""Evaluating extraction tasks (issue 8 items 4-6): `evaluate`, `evaluate_file` and
`sdeparse eval` on maven-ed and genia-ner, under strict and paper, worked by hand where SPEC §6
decides, with properties where one holds; and the released MAVEN figure through the command."""

from __future__ import annotations

import json
import random
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design, ProfileError, Report, evaluate, evaluate_file, load_task, render
from sdeparse.cli import main
from sdeparse.paper.extraction import (
    PaperDesignError,
    evaluate_outputs,
    read_output,
)
from sdeparse.scoring import ExtractionScorer

MAVEN = load_task("maven-ed")
GENIA = load_task("genia-ner")


def tuples(*pairs):
    """A tuples-design output (canonical spacing)."""
    return render(list(pairs), MAVEN, "tuples")


def counts(report):
    m = report.scorer.micro
    return m.tp, m.fp, m.fn


# ---- strict: worked by hand ------------------------------------------------------------------
STRICT_RECORDS = [
    # 1: exact: 2 TP
    {
        "prompt": "The bird flew and the storm led to floods.",
        "target": tuples(("Motion", "flew"), ("Causation", "led to")),
        "prediction": tuples(("Motion", "flew"), ("Causation", "led to")),
    },
    # 2: one found, one missed: 1 TP, 1 FN
    {
        "prompt": "He hit him and then shot him.",
        "target": tuples(("Attack", "hit"), ("Killing", "shot")),
        "prediction": tuples(("Attack", "hit")),
    },
    # 3: a span not in the input: ungrounded_span (a warning: a format error), 1 FP
    {
        "prompt": "Nothing happened.",
        "target": "[]",
        "prediction": tuples(("Attack", "punched")),
    },
    # 4: a target cut off: a gold error, not scored
    {"prompt": "x", "target": '["Motion"', "prediction": "[]"},
    # 5: no prediction: an input error
    {"prompt": "x", "target": "[]"},
]


def test_strict_eval_worked_by_hand():
    r = evaluate(STRICT_RECORDS, "maven-ed", "tuples")
    assert (r.records, r.n, r.gold_errors, r.input_errors) == (5, 3, 1, 1)
    assert r.format_errors == 1 and r.format_error_lines == [3]
    assert r.codes == {"ungrounded_span": 1} and r.code_lines == {"ungrounded_span": [3]}
    assert counts(r) == (3, 1, 1)
    s = r.scorer
    assert isinstance(s, ExtractionScorer) and s.matching.value == "strict"
    assert s.headline() == {"f1": F(3, 4), "precision": F(3, 4), "recall": F(3, 4)}
    by = {t: (c.tp, c.fp, c.fn) for t, c in s.by_type.items() if (c.tp, c.fp, c.fn) != (0, 0, 0)}
    assert by == {"Motion": (1, 0, 0), "Causation": (1, 0, 0), "Attack": (1, 1, 0),
                  "Killing": (0, 0, 1)}


def test_json_carries_the_extraction_figures():
    d = evaluate(STRICT_RECORDS, "maven-ed", "tuples").to_dict()
    for key in ("n", "format_errors", "precision", "recall", "f1", "tp", "fp", "fn"):
        assert key in d
    assert (d["n"], d["format_errors"], d["tp"], d["fp"], d["fn"]) == (3, 1, 3, 1, 1)
    for key in ("precision", "recall", "f1"):
        assert set(d[key]) == {"all", "by_type"} and d[key]["all"] == 0.75
        assert list(d[key]["by_type"]) == list(MAVEN.type_names)
    assert d["precision"]["by_type"]["Attack"] == 0.5 and d["recall"]["by_type"]["Killing"] == 0
    assert d["scorer"] == "extraction" and d["matching"] == "strict"
    again = Report.from_dict(json.loads(json.dumps(d)))
    assert again.to_dict() == d


def test_the_input_field():
    records = [dict(STRICT_RECORDS[2])]
    # no input: nothing to check spans against
    assert evaluate(records, "maven-ed", "tuples", input_field="").codes == {}
    renamed = [{"sentence": r["prompt"], **{k: v for k, v in r.items() if k != "prompt"}}
               for r in records]
    assert evaluate(renamed, "maven-ed", "tuples").codes == {}  # no prompt: not checked
    got = evaluate(renamed, "maven-ed", "tuples", input_field="sentence")
    assert got.codes == {"ungrounded_span": 1}
    # a field named is required
    missing = evaluate(records, "maven-ed", "tuples", input_field="sentence")
    assert (missing.n, missing.input_error_kinds) == (0, {"missing_field": 1})


def test_designs_by_the_tasks_own_names():
    records = [{"target": "[]", "prediction": "[]"}]
    assert evaluate(records, "maven-ed", "heuristic").design == "tuples"
    assert evaluate(records, "genia-ner", "default").design == "tuples"
    with pytest.raises(sdeparse.DesignError):
        evaluate(records, "maven-ed", "cot")


# ---- paper: worked by hand (SPEC §6.1) -------------------------------------------------------
PAPER_RECORDS = [
    # soft matching: "flies" is replaced by "flew" (ratio 2/3 > 0.5), after de-duplication,
    # so two predictions claim one gold pair: TP 2, FP 0, FN -1 (strict: TP 1, FP 1, FN 0)
    {"target": tuples(("Motion", "flew")),
     "prediction": tuples(("Motion", "flies"), ("Motion", "flew"))},
    # the empty output: the one format error of the tuples design; FN 1 (strict: FN 1)
    {"target": tuples(("Attack", "hit")), "prediction": ""},
    # FP counted before de-duplication: TP 1, FP 1 (strict reads one pair: TP 1, FP 0,
    # and a duplicate_pair warning)
    {"target": tuples(("Attack", "hit")),
     "prediction": tuples(("Attack", "hit"), ("Attack", "hit"))},
    # a tuple of one string is one prediction matching nothing: TP 1, FP 1 (strict drops it
    # with malformed_tuple: TP 1, FP 0)
    {"target": tuples(("Attack", "hit")), "prediction": '["Attack", "hit"]\n["Attack"]'},
    # a line that is no literal and [] are skipped silently; case and spaces do not matter
    {"target": tuples(("Killing", "Shot")),
     "prediction": 'Killing: shot\n[]\n["KILLING", " shot "]'},
]


def test_paper_eval_worked_by_hand():
    paper = evaluate(PAPER_RECORDS, "maven-ed", "tuples", "paper")
    assert counts(paper) == (2 + 0 + 1 + 1 + 1, 0 + 0 + 1 + 1 + 0, -1 + 1 + 0 + 0 + 0)
    assert paper.format_errors == 1 and paper.format_error_lines == [2]
    assert paper.scorer.matching.value == "paper"
    assert paper.scorer.other.fp == 1  # the one-string tuple
    # strict diagnostics are still reported under paper
    assert paper.codes == {
        "empty_output": 1, "extra_text": 1, "type_alias": 1, "duplicate_pair": 1,
        "malformed_tuple": 1, "empty_item": 1,
    }
    # strict keeps the spaces inside the quotes of " shot ", so the last output misses
    strict = evaluate(PAPER_RECORDS, "maven-ed", "tuples", "strict")
    assert counts(strict) == (1 + 0 + 1 + 1 + 0, 1 + 0 + 0 + 0 + 1, 0 + 1 + 0 + 0 + 1)
    assert strict.codes == paper.codes
    assert strict.format_errors == 4  # all but the first: empty, duplicate, malformed, junk
    # the paper's figure is that of the released evaluation on its own
    released = evaluate_outputs((r["prediction"], r["target"]) for r in PAPER_RECORDS)
    assert released.scorer.micro == paper.scorer.micro
    assert released.format_errors == paper.format_errors


def test_paper_profile_parse_result():
    res = sdeparse.parse('["Motion", " Flew"]\n["x"]\n[]\nfoo', "maven-ed", "tuples", "paper")
    assert res.extractions == (("motion", "flew"),) and res.unpaired == 1
    assert not res.is_format_error
    assert {"malformed_tuple", "extra_text"} <= set(res.codes)  # strict diagnostics kept
    assert res.to_dict()["unpaired"] == 1
    assert sdeparse.parse("", "maven-ed", "tuples", "paper").is_format_error


# ---- paper: the other designs (the released script's branches, made safe) --------------------
def reading(text, design, task=MAVEN):
    got = read_output(text, task, Design.parse(design) if isinstance(design, str) else design)
    return list(got.pairs), got.unpaired, got.format_error


def test_paper_ou_branch():
    assert reading("Causation: led to; Motion: flew, came", "natural+omit") == (
        [("causation", "led to"), ("motion", "flew"), ("motion", "came")], 0, False)
    # a piece without a colon is the pair (piece, ""); text after a second colon is lost
    assert reading("Motion flew; Attack: hit: x", "natural+omit") == (
        [("motion flew", ""), ("attack", "hit")], 0, False)
    # the placeholder is a span under OU (as released), skipped in natural PU (ours)
    assert reading("Motion: NONE", "natural+omit") == ([("motion", "none")], 0, False)
    assert reading("Catastrophe: NONE; Motion: flew", "natural") == (
        [("motion", "flew")], 0, False)
    assert reading("", "natural+omit") == ([], 0, True)  # the empty string, as released


def test_paper_numerical_branch():
    canonical = render([("Motion", "flew"), ("Causation", "led to")], MAVEN, "numerical")
    assert reading(canonical, "natural+numeric") == (
        [("causation", "led to"), ("motion", "flew")], 0, False)
    # a code of no type with a span: the released script crashes; here a format error,
    # the piece dropped (as SPEC §3 rule 2 drops an unknown code)
    assert reading("3: led to; 6: flew, NONE; 12: x", "natural+numeric") == (
        [("causation", "led to"), ("motion", "flew")], 0, True)
    # ... with only placeholder spans the script passes it silently, and so do we
    assert reading("12: NONE; 3: a", "natural+numeric") == ([("causation", "a")], 0, False)
    # a piece without a colon (a trailing separator too) crashes it: a format error
    assert reading("3: a;", "natural+numeric") == ([("causation", "a")], 0, True)
    assert reading("3", "natural+numeric") == ([], 0, True)
    assert reading("Motion: flew", "natural+numeric") == ([], 0, True)


def test_paper_lines_branch():
    canonical = render([("Motion", "flew"), ("Motion", "came")], MAVEN, "lines")
    assert reading(canonical, "lines") == ([("motion", "flew"), ("motion", "came")], 0, False)
    # only a whole value equal to the placeholder is skipped; a line without a colon
    # (a blank one too) is the pair (line, "")
    assert reading("Motion: flew, NONE\n\njunk", "lines") == (
        [("motion", "flew"), ("motion", "none"), ("", ""), ("junk", "")], 0, False)
    assert reading("6: flew\n3: NONE", "lines+numeric") == ([("motion", "flew")], 0, False)


def test_paper_json_branch():
    canonical = render([("Motion", "flew"), ("Motion", "came")], MAVEN, "json")
    assert reading(canonical, "json") == ([("motion", "flew"), ("motion", "came")], 0, False)
    # Python literal syntax is fine; a str of spans is split on commas
    assert reading("{'event_type': 'Motion', 'trigger word': 'flew, came',}", "json") == (
        [("motion", "flew"), ("motion", "came")], 0, False)
    # where the released script crashes or flags: a format error, the line skipped
    for bad in (
        "not a dict",
        '{"event_type": "Motion"}',
        '["Motion", "flew"]',
        '{"event_type": "Motion", "trigger word": [1]}',
        '{"event_type": "Motion", "trigger word": 3}',
        '{"event_type": 6, "trigger word": ["flew"]}',
        "{'event_type': __import__('os').system('echo no'), 'trigger word': ['x']}",
        "",
    ):
        assert reading(bad + '\n{"event_type": "Attack", "trigger word": ["hit"]}', "json") == (
            [("attack", "hit")], 0, True), bad
    assert reading('{"event_type": 6, "trigger word": ["flew"]}', "json+numeric") == (
        [("motion", "flew")], 0, False)
    genia = render([("DNA", "IL-2 gene")], GENIA, "json")
    assert reading(genia, "json", GENIA)[0] == [("dna", "il-2 gene")]


def test_paper_tuples_numeric():
    # a code of no type, a bool: one prediction matching nothing each; `true` is no literal
    assert reading('[6, "flew"]\n[12, "x"]\n[True, "y"]\n[true, "z"]', "tuples+numeric") == (
        [("motion", "flew")], 2, False)


def test_paper_cannot_read_quoted_spans_by_splitting():
    for design in ("lines", "natural+omit"):
        with pytest.raises(ProfileError, match="quoted"):
            sdeparse.Parser("genia-ner", design, "paper")
        with pytest.raises(PaperDesignError):
            read_output("'DNA': 'x'", GENIA, Design.parse(design))
        with pytest.raises(ProfileError):
            evaluate([{"target": "", "prediction": ""}], "genia-ner", design, "paper")
    # strict reads them, and the tuples and json designs read under paper
    evaluate([{"target": "", "prediction": ""}], "genia-ner", "lines", "strict")
    evaluate([{"target": "", "prediction": ""}], "genia-ner", "tuples", "paper")


@pytest.mark.parametrize("design", ["tuples", "natural+omit", "natural+numeric", "lines", "json"])
def test_paper_reads_canonical_maven_outputs_as_strict(design):
    rng = random.Random(7)
    for _ in range(30):
        pairs = sorted({(rng.choice(MAVEN.type_names), rng.choice(["flew", "led to", "hit"]))
                        for _ in range(rng.randrange(4))})
        text = render(pairs, MAVEN, design)
        got = read_output(text, MAVEN, Design.parse(design))
        strict = sdeparse.parse(text, MAVEN, design).extractions
        assert sorted(got.pairs) == sorted((t.lower(), s.lower()) for t, s in strict)
        assert not got.format_error or (text == "" and design == "natural+omit")


# ---- the command -----------------------------------------------------------------------------
def write(path: Path, records) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return str(path)


def test_cli_text_and_json(tmp_path, capsys):
    path = write(tmp_path / "gen.jsonl", STRICT_RECORDS)
    assert main(["eval", path, "--task", "maven-ed", "--design", "heuristic"]) == 0
    out = capsys.readouterr().out
    assert "task maven-ed  design heuristic (tuples)  profile strict" in out
    assert "precision          0.7500   (strict matching)" in out
    assert "tp / fp / fn       3 / 1 / 1" in out
    assert "By type" in out and "Killing" in out
    assert "ungrounded_span  warning         1  3" in out
    assert "Gold errors: 1" in out and "Input errors: 1" in out
    assert main(["eval", path, "--task", "maven-ed", "--design", "tuples", "--json",
                 "--profile", "paper"]) == 0
    d = json.loads(capsys.readouterr().out)["reports"][0]
    assert (d["n"], d["tp"], d["fp"], d["fn"], d["matching"]) == (3, 3, 1, 1, "paper")
    assert main(["eval", path, "--task", "maven-ed", "--design", "tuples", "--json",
                 "--input-field", ""]) == 0
    assert json.loads(capsys.readouterr().out)["reports"][0]["codes"] == {}
    # two files: one row each
    assert main(["eval", path, f"{path}::heuristic", "--task", "maven-ed",
                 "--design", "tuples"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "tp/fp/fn" in out and "3/1/1" in out


def test_cli_refuses_what_does_not_apply(tmp_path, capsys):
    path = write(tmp_path / "gen.jsonl", [{"target": "", "prediction": ""}])
    assert main(["eval", path, "--task", "genia-ner", "--design", "good1",
                 "--profile", "paper"]) == 2
    assert "quoted" in capsys.readouterr().err
    assert main(["eval", path, "--task", "maven-ed", "--design", "cot"]) == 2
    assert main(["parse", path, "--task", "maven-ed", "--design", "tuples",
                 "--profile", "paper"]) == 0
    parsed = json.loads(capsys.readouterr().out)["parsed"]
    assert parsed["is_format_error"] and parsed["extractions"] == []


def test_jobs_give_the_same_report(tmp_path):
    rng = random.Random(3)
    records = []
    for _ in range(2300):
        gold = list(dict.fromkeys(
            (rng.choice(MAVEN.type_names), rng.choice(["flew", "hit", "led to"]))
            for _ in range(rng.randrange(3))
        ))  # a repeated gold pair is a gold error (duplicate_pair), not scored
        pred = gold[: rng.randrange(len(gold) + 1)] + [("Attack", rng.choice(["hit", "hot"]))]
        records.append({"target": tuples(*gold), "prediction": tuples(*pred)})
    path = write(tmp_path / "many.jsonl", records)
    for profile in ("strict", "paper"):
        one = evaluate_file(path, "maven-ed", "tuples", profile)
        two = evaluate_file(path, "maven-ed", "tuples", profile, jobs=2)
        assert one == two and one.n == 2300
        in_memory = evaluate(records, "maven-ed", "tuples", profile, jobs=2)
        assert in_memory == evaluate(records, "maven-ed", "tuples", profile)
        assert in_memory.scorer == one.scorer


# ---- properties ------------------------------------------------------------------------------
SPANS = ["flew", "flies", "hit", "led to", "shot", "Hit"]
pair = st.tuples(st.sampled_from(MAVEN.type_names + ("motion", "Fight")), st.sampled_from(SPANS))
junk_line = st.sampled_from(['["Motion"]', "[]", "Motion: flew", '["Attack", "hit", "x"]',
                             "[1, 2]", '["Attack", "hi', ""])


@st.composite
def record(draw):
    # unique: a repeated gold pair is a gold error (duplicate_pair) and is not scored
    gold = draw(st.lists(pair.filter(lambda p: p[0] in MAVEN.type_names), max_size=4,
                         unique_by=lambda p: (p[0], p[1].casefold())))
    pred_pairs = draw(st.lists(pair, max_size=5))
    lines = [json.dumps(list(p)) for p in pred_pairs]
    for junk in draw(st.lists(junk_line, max_size=2)):
        lines.insert(draw(st.integers(0, len(lines))), junk)
    return {"target": tuples(*gold), "prediction": "\n".join(lines)}


@settings(max_examples=60, deadline=None)
@given(st.lists(record(), max_size=12), st.integers(0, 12), st.sampled_from(["strict", "paper"]))
def test_merge_of_chunks_equals_one_run(records, cut, profile):
    cut = min(cut, len(records))
    whole = evaluate(records, "maven-ed", "tuples", profile)
    first = evaluate(records[:cut], "maven-ed", "tuples", profile)
    second = evaluate(records[cut:], "maven-ed", "tuples", profile, first_line=cut + 1)
    assert first + second == whole
    assert Report.from_dict(whole.to_dict()) == whole


@settings(max_examples=60, deadline=None)
@given(st.lists(record(), max_size=12))
def test_strict_tp_never_exceeds_the_gold(records):
    report = evaluate(records, "maven-ed", "tuples", "strict")
    gold = sum(len(sdeparse.parse(r["target"], MAVEN, "tuples").extractions) for r in records)
    m = report.scorer.micro
    assert 0 <= m.tp <= gold and m.fn >= 0 and m.tp + m.fn == gold
    for c in report.scorer.by_type.values():
        assert c.tp >= 0 and c.fp >= 0 and c.fn >= 0


@settings(max_examples=60, deadline=None)
@given(st.lists(record(), max_size=12))
def test_paper_eval_is_the_released_evaluation(records):
    """On canonical targets the paper profile's figures are those of paper.extraction alone."""
    report = evaluate(records, "maven-ed", "tuples", "paper")
    released = evaluate_outputs((r["prediction"], r["target"]) for r in records)
    assert report.scorer.micro == released.scorer.micro
    assert report.format_errors == released.format_errors


# ---- the released figure, through the command ------------------------------------------------
def released_files() -> tuple[Path, Path] | None:
    """The released Llama-2 tuples files: $SDEPARSE_MAVEN_DATA, else ../shared/data/maven."""
    import os

    root = Path(__file__).resolve().parent.parent
    env = os.environ.get("SDEPARSE_MAVEN_DATA")
    places = [Path(env)] if env else []
    places.append(root.parent / "shared" / "data" / "maven")
    for place in places:
        predictions = place / "prediction_heuristic_llama2.json"
        test = place / "heuristic_test.json"
        if predictions.is_file() and test.is_file():
            return predictions, test
    return None


def test_cli_reproduces_the_released_figure(tmp_path, capsys):
    found = released_files()
    if found is None:
        pytest.skip(
            "the released MAVEN files are not redistributable (no licence upstream): set "
            "SDEPARSE_MAVEN_DATA to a directory holding prediction_heuristic_llama2.json and "
            "heuristic_test.json of beyondguo/LLM-Tuning SDE/MAVEN/maven_eval_llama2"
        )
    predictions, test = found
    # as the released script pairs them: the prediction of line i against the output of line i
    preds = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    golds = [json.loads(line) for line in test.read_text("utf-8").splitlines()]
    assert len(preds) == len(golds) == 100
    path = write(tmp_path / "llama2.jsonl", [
        {"prompt": g["input"], "target": g["output"], "prediction": p["prediction"]}
        for p, g in zip(preds, golds, strict=True)
    ])
    args = ["eval", path, "--task", "maven-ed", "--design", "tuples", "--profile", "paper"]
    assert main(args) == 0
    out = capsys.readouterr().out
    for line in ("outputs scored     100  (of 100 records; 0 gold errors, 0 input errors)",
                 "wrong format       0  (0.00%)",
                 "precision          0.6569   (paper matching)",
                 "recall             0.4558",
                 "f1                 0.5382",
                 "tp / fp / fn       67 / 35 / 80"):
        assert line in out
    assert main([*args, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["reports"][0]
    assert (d["n"], d["format_errors"], d["tp"], d["fp"], d["fn"]) == (100, 0, 67, 35, 80)
    assert (d["precision"]["all"], d["recall"]["all"]) == (67 / 102, 67 / 147)
    assert round(d["f1"]["all"], 4) == 0.5382


# ---- the shipped example ---------------------------------------------------------------------
def test_the_extraction_example_is_what_its_script_writes():
    import importlib.util
    import sys

    root = Path(__file__).resolve().parent.parent / "examples"
    spec = importlib.util.spec_from_file_location(
        "sdeparse_make_extraction_example", root / "make_extraction_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    lines = (root / "maven_generations.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == module.build()
    report = evaluate_file(root / "maven_generations.jsonl", "maven-ed", "heuristic")
    assert (report.n, report.format_errors) == (30, 10)
    assert counts(report) == (37, 4, 5)


def test_requoting_quotes_a_whole_span_not_a_word_of_another():
    """Found by benchmarks/extraction_recovery.py: span_requoted used to quote the first
    occurrence of a span's text, inside a longer span (`won "expression"`)."""
    from sdeparse.testing import EXTRACTION_CORRUPTIONS

    op = EXTRACTION_CORRUPTIONS["span_requoted"]
    for design in ("lines+omit", "natural+omit", "lines+numeric"):
        d = Design.parse(design)
        truth = [("Catastrophe", "won expression"), ("Motion", "expression")]
        text = render(truth, MAVEN, d)
        for seed in range(10):
            out = op.apply(text, MAVEN, d, random.Random(seed))
            assert out is not None and 'won "' not in out
            assert sorted(sdeparse.parse(out, MAVEN, d).extractions) == sorted(truth)
