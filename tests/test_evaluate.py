"""evaluate() figures against hand-computed values, merging, --jobs equality, bad input."""

import json
from pathlib import Path

import pytest

import sdeparse
from sdeparse import InputError, Report, evaluate, evaluate_file
from sdeparse.evaluation import dumps, parse_file

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
THREE = FIXTURES / "three.jsonl"
WEIGHTED = "masa-d1"  # the built-in task carries the paper's kappa weights
EXAMPLE = Path(__file__).parent.parent / "examples" / "generations.jsonl"
ASPECTS = ["食品评价", "饮品评价", "价格水平", "卫生情况", "服务人员态度", "停车方便程度"]
PAPER = [
    [1.0, 0.5, 0.0, 0.5],
    [0.67, 1.0, 0.67, 0.67],
    [0.0, 0.5, 1.0, 0.5],
    [0.5, 0.67, 0.5, 1.0],
]


def records(path=THREE):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ---- every figure of the 3-record fixture, computed by hand (see test_metrics) ------------
# record 1 canonical and right; record 2 canonical, 食品评价 负面 read as 中性;
# record 3 right but 价格水平 written 消极 (label_synonym: a strict format error only).


def test_three_records_strict_by_hand():
    d = evaluate(records(), WEIGHTED, "lines").to_dict()
    assert d["n"] == 3 and d["records"] == 3
    assert d["format_errors"] == 1 and d["format_error_rate"] == 1 / 3
    assert d["format_error_lines"] == [3]
    assert d["codes"] == {"label_synonym": 1} and d["code_lines"] == {"label_synonym": [3]}
    assert d["accuracy"]["all"] == 17 / 18
    assert d["accuracy"]["sentence"] == 2 / 3
    assert d["accuracy"]["by_aspect"] == {a: (2 / 3 if a == "食品评价" else 1.0) for a in ASPECTS}
    assert d["kappa"]["all"] == 503 / 578
    assert d["kappa"]["by_aspect"] == {
        "食品评价": 61 / 111,
        "饮品评价": 0.0,  # only 未提及 on both sides: 1 − p_e = 0
        "价格水平": 1.0,
        "卫生情况": 0.0,
        "服务人员态度": 1.0,
        "停车方便程度": 0.0,
    }
    c = d["confusion"]
    assert c["labels"] == ["正面", "中性", "负面", "未提及"]
    assert c["all"] == [[2, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 13]]
    assert c["by_aspect"]["食品评价"] == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert c["by_aspect"]["价格水平"] == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 2]]
    assert c["by_aspect"]["服务人员态度"] == [
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 2],
    ]
    assert c["by_aspect"]["饮品评价"] == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3]]
    pc = d["per_class"]["all"]
    assert [pc[lab]["precision"] for lab in c["labels"]] == [1.0, 0.5, 1.0, 1.0]
    assert [pc[lab]["recall"] for lab in c["labels"]] == [1.0, 1.0, 0.5, 1.0]
    assert [pc[lab]["gold"] for lab in c["labels"]] == [2, 1, 2, 13]
    assert [pc[lab]["predicted"] for lab in c["labels"]] == [2, 2, 1, 13]
    food = d["per_class"]["by_aspect"]["食品评价"]
    assert food["负面"]["precision"] is None  # never predicted: undefined, not 0
    assert food["未提及"]["recall"] is None  # never in the gold
    assert d["gold_errors"] == 0 and d["input_errors"] == 0
    assert d["sentence_correct"] == 2


def test_three_records_paper_profile():
    d = evaluate(records(), WEIGHTED, "lines", profile="paper").to_dict()
    # the paper's soft mapping takes 消极 silently: no format error, same labels
    assert d["format_errors"] == 0 and d["format_error_rate"] == 0.0
    assert d["codes"] == {"label_synonym": 1}  # diagnostics are reported all the same
    assert d["accuracy"]["all"] == 17 / 18
    assert d["kappa"]["all"] == 503 / 578
    assert d["profile"] == "paper"


def test_plain_cohen_kappa_for_a_task_without_weights(tmp_path):
    # the same records under a task whose file gives no weights: identity, κ = 43/49
    text = (Path(sdeparse.__file__).parent / "tasks" / "masa-d1.toml").read_text(encoding="utf-8")
    start = text.index("\nkappa_weights =") + 1
    end = text.index("\n]\n", start) + 3
    plain = tmp_path / "plain.toml"
    plain.write_text(text[:start] + text[end:], encoding="utf-8")
    assert sdeparse.load_task(str(plain)).kappa_weights is None
    report = evaluate(records(), str(plain), "lines")
    assert report.to_dict()["kappa"]["all"] == 43 / 49
    assert report.to_dict()["kappa_weights"] == [
        [1.0 if i == j else 0.0 for j in range(4)] for i in range(4)
    ]


def test_builtin_masa_task_uses_the_paper_weights():
    report = evaluate(records(), "masa-d1", "lines")
    assert [list(row) for row in report.weights] == PAPER
    assert report.to_dict()["kappa"]["all"] == 503 / 578


# ---- gold errors --------------------------------------------------------------------------
def test_gold_error_left_out_of_metrics():
    recs = records()
    recs.insert(1, {"prompt": "x", "target": "食品评价：正面", "prediction": "食品评价：正面"})
    d = evaluate(recs, WEIGHTED, "lines").to_dict()
    assert d["gold_errors"] == 1 and d["n"] == 3 and d["records"] == 4
    assert d["gold_error_samples"][0]["line"] == 2
    assert "missing_aspect" in d["gold_error_samples"][0]["reason"]
    assert d["accuracy"]["all"] == 17 / 18  # figures unchanged
    assert d["format_error_lines"] == [4]  # line numbers count the gold error's line


def test_gold_with_only_info_diagnostics_is_clean():
    target = sdeparse.render({"食品评价": "正面"}, "masa-d1", "lines").replace("：", ":", 1)
    d = evaluate([{"target": target, "prediction": target}], "masa-d1", "lines").to_dict()
    assert d["gold_errors"] == 0 and d["n"] == 1


# ---- merging ------------------------------------------------------------------------------
def test_halves_merge_to_the_whole():
    recs = records(EXAMPLE)
    whole = evaluate(recs, "masa-d1", "lines")
    for cut in (0, 1, 17, 25, len(recs)):
        a = evaluate(recs[:cut], "masa-d1", "lines")
        b = evaluate(recs[cut:], "masa-d1", "lines", first_line=cut + 1)
        assert (a + b).to_dict() == whole.to_dict()
        assert a.merge(b) == whole
        assert sum([a, b]) == whole
    # merging does not change its operands
    a = evaluate(recs[:10], "masa-d1", "lines")
    before = a.to_dict()
    _ = a + evaluate(recs[10:], "masa-d1", "lines", first_line=11)
    assert a.to_dict() == before


def test_merge_through_json_across_machines():
    recs = records(EXAMPLE)
    a = evaluate(recs[:20], "masa-d1", "lines")
    b = evaluate(recs[20:], "masa-d1", "lines", first_line=21)
    a2 = Report.from_dict(json.loads(json.dumps(a.to_dict())))
    b2 = Report.from_dict(json.loads(json.dumps(b.to_dict())))
    assert (a2 + b2) == evaluate(recs, "masa-d1", "lines")


def test_merge_keeps_only_the_first_line_numbers():
    recs = records(EXAMPLE)
    whole = evaluate(recs, "masa-d1", "lines", samples=2)
    parts = [
        evaluate(recs[i : i + 7], "masa-d1", "lines", first_line=i + 1, samples=2)
        for i in range(0, len(recs), 7)
    ]
    # merge in reverse order too: line samples are kept by line number, not arrival
    assert sum(reversed(parts)) == whole
    assert all(len(lines) <= 2 for lines in whole.to_dict()["code_lines"].values())


def test_merge_refuses_different_setups():
    a = evaluate(records(), "masa-d1", "lines")
    b = evaluate(records(), "masa-d1", "lines", profile="paper")
    with pytest.raises(ValueError):
        a + b


# ---- processes ------------------------------------------------------------------------------
def test_jobs_give_identical_reports(tmp_path):
    big = tmp_path / "big.jsonl"
    lines = EXAMPLE.read_bytes().splitlines(keepends=True)
    bad = [b"not json\n", b"\xff\xfe\n", b"\n", b'{"prompt": 1}\n']
    with big.open("wb") as out:
        for k in range(60):  # 3000 good lines and bad ones spread over several chunks
            out.writelines(lines)
            out.write(bad[k % len(bad)])
    one = evaluate_file(big, "masa-d1", "lines", jobs=1)
    for jobs in (2, 3):
        assert evaluate_file(big, "masa-d1", "lines", jobs=jobs).to_dict() == one.to_dict()
    assert one.input_errors == 60 and one.n == 3000
    par = list(parse_file(big, "masa-d1", "lines", jobs=2))
    assert par == list(parse_file(big, "masa-d1", "lines", jobs=1))
    assert len(par) == 3060


def test_jobs_give_byte_identical_severity_counts(tmp_path):
    texts = [
        "食品评价：正面\n食品评价：负面",
        "食品评价：正面\n食品评价：正面",
        "食品评价正面",
        "食品评价:正面",
    ]
    target = sdeparse.render(dict.fromkeys(ASPECTS, "未提及"), "masa-d1", "lines")
    big = tmp_path / "sev.jsonl"
    with big.open("w", encoding="utf-8") as out:
        for k in range(2000):
            rec = {"prompt": "", "target": target, "prediction": texts[k % 4]}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    one = evaluate_file(big, "masa-d1", "lines", jobs=1)
    two = evaluate_file(big, "masa-d1", "lines", jobs=2)
    assert dumps(two.to_dict()) == dumps(one.to_dict())
    assert set(one.code_severities["duplicate_aspect"]) == {"error", "warning"}
    assert set(one.code_severities["punctuation"]) == {"warning", "info"}


def test_jobs_strict_input_stops_at_the_first_bad_line(tmp_path):
    big = tmp_path / "big.jsonl"
    good = EXAMPLE.read_bytes()
    big.write_bytes(good * 50 + b"oops\n" + good * 10 + b"again\n")
    for jobs in (1, 2):
        with pytest.raises(InputError) as info:
            evaluate_file(big, "masa-d1", "lines", jobs=jobs, strict_input=True)
        assert info.value.line == 2501


# ---- bad input ------------------------------------------------------------------------------
GOOD = EXAMPLE.read_bytes().splitlines()[0]
BAD_LINES = [
    (b"this is not json", "invalid_json"),
    (b'{"prompt": "x", "target": "t"', "invalid_json"),
    (b'{"prompt": "x", "target": "t"}', "missing_field"),
    (b'{"prompt": "x", "prediction": "p"}', "missing_field"),
    (b'{"prompt": "x", "target": "t", "prediction": null}', "not_a_string"),
    (b'{"prompt": "x", "target": "t", "prediction": 3}', "not_a_string"),
    (b'{"prompt": "x", "target": ["t"], "prediction": "p"}', "not_a_string"),
    (b'["a", "b"]', "not_an_object"),
    (b'"just a string"', "not_an_object"),
    (GOOD[:40] + b"\xff\xfe" + GOOD[40:], "invalid_utf8"),
    (b"", "blank_line"),
    (b"   \t", "blank_line"),
]


@pytest.mark.parametrize(("raw", "kind"), BAD_LINES)
def test_each_bad_line_is_counted_with_line_and_reason(tmp_path, raw, kind):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(GOOD + b"\n" + raw + b"\n" + GOOD + b"\n")
    report = evaluate_file(path, "masa-d1", "lines")
    d = report.to_dict()
    assert d["n"] == 2 and d["records"] == 3
    assert d["input_errors"] == 1 and d["input_error_kinds"] == {kind: 1}
    (sample,) = d["input_error_samples"]
    assert sample["line"] == 2 and sample["kind"] == kind and sample["reason"]
    assert f"line 2: {sample['reason']}" in report.to_text()
    with pytest.raises(InputError) as info:
        evaluate_file(path, "masa-d1", "lines", strict_input=True)
    assert info.value.line == 2 and str(path) in str(info.value)
    # parse: one output line per input line, the bad one carrying its error
    # (parse reads only the prediction, so a bad target is no error there)
    out = [json.loads(line) for line in parse_file(path, "masa-d1", "lines")]
    assert len(out) == 3
    assert "parsed" in out[0] and "parsed" in out[2]
    if b'"prediction": "p"' not in raw:
        assert out[1]["input_error"]["kind"] == kind and out[1]["input_error"]["line"] == 2
        assert "parsed" not in out[1]
    else:
        assert "parsed" in out[1]


def test_records_that_are_not_mappings():
    d = evaluate([None, 5, "text", records()[0]], "masa-d1", "lines").to_dict()
    assert d["input_errors"] == 3 and d["n"] == 1
    assert [s["line"] for s in d["input_error_samples"]] == [1, 2, 3]
    with pytest.raises(InputError):
        evaluate([None], "masa-d1", "lines", strict_input=True)


def test_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + THREE.read_bytes().replace(b"\n", b"\r\n"))
    d = evaluate_file(path, WEIGHTED, "lines").to_dict()
    assert d["input_errors"] == 0 and d["n"] == 3 and d["kappa"]["all"] == 503 / 578


def test_lone_surrogates_are_scored_and_written_as_valid_json(tmp_path):
    path = tmp_path / "sur.jsonl"
    path.write_bytes(
        b'{"prompt": "\\udc80", "target": "\\u98df\\u54c1\\u8bc4\\u4ef7\\uff1a\\u6b63\\u9762", '
        b'"prediction": "\\ud800\\u98df\\u54c1"}\n'
    )
    (line,) = list(parse_file(path, "masa-d1", "natural+omit"))
    line.decode("utf-8")  # valid UTF-8
    back = json.loads(line)
    assert back["prompt"] == "\udc80" and back["prediction"] == "\ud800食品"
    assert dumps({"k": "a\ud800b"}) == b'{"k": "a\\ud800b"}'
    d = evaluate_file(path, "masa-d1", "natural+omit").to_dict()
    assert d["n"] == 1 and d["input_errors"] == 0


def test_custom_field_names_and_dataframe_like():
    recs = [{"gold": r["target"], "output": r["prediction"]} for r in records()]

    class FrameLike:  # what evaluate needs from a pandas DataFrame
        columns = ["gold", "output"]

        def to_dict(self, orient):
            assert orient == "records"
            return recs

    a = evaluate(recs, WEIGHTED, "lines", prediction_field="output", target_field="gold")
    b = evaluate(FrameLike(), WEIGHTED, "lines", prediction_field="output", target_field="gold")
    assert a == b and a.to_dict()["kappa"]["all"] == 503 / 578


def test_generator_input_is_streamed():
    def gen():
        yield from records(EXAMPLE)

    assert evaluate(gen(), "masa-d1", "lines") == evaluate(records(EXAMPLE), "masa-d1", "lines")


def test_example_file_figures():
    d = evaluate_file(EXAMPLE, "masa-d1", "lines").to_dict()
    assert d["n"] == 50 and d["input_errors"] == 0 and d["gold_errors"] == 0
    assert 0.18 <= d["format_error_rate"] <= 0.26
    assert sum(map(sum, d["confusion"]["all"])) == 300


# ---- streaming and progress -----------------------------------------------------------------
def test_pool_reads_only_a_bounded_window_ahead():
    from sdeparse.evaluation import Settings, evaluate_chunk, run_chunks

    recs = records(EXAMPLE)
    pulled = []

    def chunks():
        for k in range(40):
            pulled.append(k)
            yield [(k + 1, recs[k % len(recs)])]

    settings = Settings(sdeparse.load_task("masa-d1"), sdeparse.Design.parse("lines"), "strict")
    for consumed, _ in enumerate(run_chunks(evaluate_chunk, settings, chunks(), jobs=2), 1):
        assert len(pulled) - consumed <= 4  # at most 2 x jobs chunks in flight


def test_progress_bar_falls_back_without_tqdm(monkeypatch):
    import sys

    from sdeparse.evaluation import _NoBar, progress_bar

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    assert isinstance(progress_bar(True, 10, "B", "x"), _NoBar)
    report = evaluate(records(), WEIGHTED, "lines", progress=True)
    assert report.n == 3
    assert isinstance(progress_bar(False, 10, "B", "x"), _NoBar)
