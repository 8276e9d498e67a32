"""The HTML report (issue 13, item 1): charts present, hostile output escaped, deterministic,
and, in a real headless browser, a page that loads offline and is not blank."""

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sdeparse
from sdeparse.cli import main
from sdeparse.evaluation import evaluate_file
from sdeparse.report import Example, MarkedSpan
from sdeparse.tables import Table
from sdeparse.testing import CORRUPTIONS

pytest.importorskip("matplotlib", reason="the HTML report needs matplotlib (sdeparse[report])")

from sdeparse.html_report import highlight, render_html  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "generations.jsonl")
MAVEN = str(ROOT / "examples" / "maven_generations.jsonl")
TASK = sdeparse.load_task("masa-d1")
HOSTILE = "食品评价：正面<script>alert('x')</script><img src=x onerror=alert(1)>"


def charts(page):
    """The data-chart names of the page's figures that hold an inline SVG."""
    found = re.findall(r'<figure class="chart" data-chart="([^"]+)"[^>]*>\s*<svg', page)
    return found


def design_files(directory, designs=("natural", "lines", "json")):
    """The shipped example's labels rendered in several designs, with seeded corruptions (a
    different share per design), one file per design: a comparison of designs."""
    records = [json.loads(line) for line in Path(EXAMPLE).read_text("utf-8").splitlines()]
    paths = []
    for k, name in enumerate(designs):
        design = sdeparse.Design.parse(name)
        rng = random.Random(k)
        ops = [c for c in CORRUPTIONS.values() if c.applies_to(design)]
        lines = []
        for record in records:
            gold = sdeparse.parse(record["target"], TASK, "lines").labels
            predicted = sdeparse.parse(record["prediction"], TASK, "lines").labels
            text = sdeparse.render(predicted, TASK, design)
            if rng.random() < 0.1 + 0.1 * k:
                text = rng.choice(ops).apply(text, TASK, design, rng) or text
            lines.append(json.dumps({"prompt": record["prompt"],
                                     "target": sdeparse.render(gold, TASK, design),
                                     "prediction": text}, ensure_ascii=False))
        path = Path(directory) / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        paths.append(f"{path}::{name}")
    return paths


@pytest.fixture(scope="module")
def masa():
    return evaluate_file(EXAMPLE, "masa-d1", "lines", "strict")


def test_every_chart_of_a_classification_report(masa):
    page = render_html([masa])
    assert charts(page) == ["codes", "confusion-1", "slots"]
    for section in ("headline", "codes", "confusion", "slots", "examples"):
        assert f'<section id="{section}">' in page
    assert page.count('<div class="example">') == sum(
        len(v) for v in masa.code_examples.values())
    assert "<mark class=" in page and "食品评价" in page


def test_the_page_is_deterministic(masa):
    first = render_html([masa, masa.copy()])
    assert first == render_html([masa, masa.copy()])
    assert "<?xml" not in first and "dc:date" not in first.lower()
    assert not re.search(r"(?<!-)https?:(?!//www.w3.org/)", first)  # only SVG namespaces
    assert "<script" not in first.lower() and "<link" not in first.lower()


def test_an_extraction_report_shows_scores_by_type_and_no_confusion():
    report = evaluate_file(MAVEN, "maven-ed", "heuristic", "strict")
    page = render_html([report])
    assert charts(page) == ["codes", "slots"]
    assert ">precision</th>" in page and "Catastrophe" in page


def test_hostile_output_and_file_names_are_escaped(tmp_path):
    record = {"prompt": "p", "target": sdeparse.render({}, TASK, "lines"),
              "prediction": HOSTILE + "\n" + sdeparse.render({}, TASK, "lines")}
    path = tmp_path / "<script>x<.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    report = evaluate_file(str(path), "masa-d1", "lines", "strict")
    assert report.code_examples
    report.source = "<script>x</script>.jsonl"  # a name no file system would take
    page = render_html([report], comparison=Table(("<b>",), (("<script>",),)))
    lowered = page.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<b>" not in lowered
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert '<section id="comparison">' in page
    assert "Content-Security-Policy" in page


def test_highlight_marks_the_span_and_points():
    e = Example(7, "ab<c>d", 0, 6, (MarkedSpan(2, 5, "error", 'bad "<c>"'),
                                   MarkedSpan(6, 6, "warning", "missing")))
    out = highlight(e)
    assert out.startswith('ab<mark class="error" title="bad &quot;&lt;c&gt;&quot;">&lt;c&gt;'
                          "</mark>d")
    assert out.endswith('<span class="point" title="missing"></span>')
    window = Example(1, "xyz", 10, 40, (MarkedSpan(11, 12, "info", "m"),))
    assert highlight(window) == '…x<mark class="info" title="m">y</mark>z…'


def test_cli_html_and_the_missing_extra(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.html"
    assert main(["eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", "--html",
                 str(out)]) == 0
    assert charts(out.read_text("utf-8")) == ["codes", "confusion-1", "slots"]
    assert "wrong format" in capsys.readouterr().out  # the text report is still printed
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main(["eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", "--html",
                 str(tmp_path / "s.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "sdeparse[report]"' in err
    assert not (tmp_path / "s.html").exists()


CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
def test_in_a_headless_browser(tmp_path):
    """A three-design comparison: loads offline, every chart is in the DOM, not blank."""
    from matplotlib.image import imread

    page_path = tmp_path / "report.html"
    files = design_files(tmp_path)
    assert main(["eval", *files, "--task", "masa-d1", "--html", str(page_path), "-q"]) == 0
    expected = charts(page_path.read_text("utf-8"))
    assert expected == ["codes", "confusion-1", "confusion-2", "confusion-3", "slots"]
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    url = page_path.as_uri()
    shot = tmp_path / "shot.png"
    run = subprocess.run([*base, "--window-size=1200,2400", f"--screenshot={shot}", url],
                         capture_output=True, timeout=120)
    assert shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    pixels = imread(str(shot))[..., :3]
    grey = pixels.mean(axis=2)
    assert grey.var() > 0.005 and (grey < 0.9).mean() > 0.02  # ink on the page
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, timeout=120,
                         check=True).stdout.decode("utf-8")
    for name in expected:
        figure = re.search(rf'<figure class="chart" data-chart="{name}"[^>]*>\s*<svg[^>]*>',
                           dom)
        assert figure, name
    assert dom.count("<path") > 50  # the bars, cells and axes were parsed as SVG
