"""Evaluation on a Dask cluster (`sdeparse.dask`, `eval --dask`): the same Report as one
process, bad lines, gold errors and line numbers included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sdeparse import evaluate
from sdeparse.cli import main
from sdeparse.errors import InputError
from sdeparse.evaluation import evaluate_file

db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")

from sdeparse.dask import evaluate as dask_evaluate  # noqa: E402
from sdeparse.dask import evaluate_file as dask_evaluate_file  # noqa: E402

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "generations.jsonl"
MAVEN = ROOT / "examples" / "maven_generations.jsonl"
TASK = "masa-d1"
#: cluster start-up (and each computation) must end within this many seconds
STARTUP = 60


def mixed_lines() -> list[bytes]:
    """The shipped example twice, with input errors (bad JSON, blank, bad UTF-8, a missing
    field) and gold errors (a target that does not parse) between."""
    lines = EXAMPLE.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[0])
    gold_error = json.dumps({**record, "target": "食品评价：好"}, ensure_ascii=False)
    return [
        *lines[:20],
        b"not json\n",
        b"\n",
        b'{"prompt": "\xff\xfe", "target": "x", "prediction": "y"}\n',
        json.dumps({"prompt": "p", "prediction": "x"}).encode() + b"\n",
        gold_error.encode() + b"\n",
        *lines[20:],
        gold_error.encode() + b"\n",
        *lines,
    ]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None, timeout=STARTUP) as cluster, \
            distributed.Client(cluster, timeout=STARTUP) as c:
        yield c


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "mixed.jsonl"
    path.write_bytes(b"".join(mixed_lines()))
    return path


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_bag_of_lines_gives_the_single_process_report(client, partitions):
    lines = mixed_lines()
    expected = evaluate(lines, TASK, "lines")
    assert expected.input_errors == 4 and expected.gold_errors == 2 and expected.format_errors
    got = dask_evaluate(db.from_sequence(lines, npartitions=partitions), TASK, "lines",
                        client=client)
    assert got == expected
    assert got.to_dict() == expected.to_dict()
    assert got.format_error_lines == expected.format_error_lines


def test_bag_of_text_lines_and_of_records(client, mixed_file):
    text = db.read_text(str(mixed_file), errors="surrogateescape", blocksize=2000)
    assert text.npartitions > 1
    expected = evaluate_file(mixed_file, TASK, "lines", samples=50)
    assert dask_evaluate(text, TASK, "lines", client=client, samples=50).to_dict() == \
        {**expected.to_dict(), "file": ""}
    records = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    got = dask_evaluate(db.from_sequence(records, npartitions=4), TASK, "lines", client=client)
    assert got == evaluate(records, TASK, "lines")


def test_extraction_task_on_the_cluster(client):
    lines = MAVEN.read_bytes().splitlines(keepends=True)
    bag = db.from_sequence(lines, npartitions=3)
    assert dask_evaluate(bag, "maven-ed", "heuristic", client=client) == \
        evaluate(lines, "maven-ed", "heuristic")


def test_without_a_client_the_default_scheduler_is_used():
    lines = mixed_lines()
    got = dask_evaluate(db.from_sequence(lines, npartitions=2), TASK, "lines")
    assert got == evaluate(lines, TASK, "lines")


def test_strict_input_names_the_line_in_the_whole(client):
    lines = mixed_lines()
    with pytest.raises(InputError) as caught:
        dask_evaluate(db.from_sequence(lines, npartitions=4), TASK, "lines", client=client,
                      strict_input=True)
    assert caught.value.line == 21


def test_dataframe_rows_are_records(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    records = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    frame = dd.from_pandas(pd.DataFrame(records), npartitions=3)
    assert dask_evaluate(frame, TASK, "lines", client=client) == \
        evaluate(pd.DataFrame(records), TASK, "lines")


def test_refuses_what_it_cannot_do(client):
    with pytest.raises(TypeError):
        dask_evaluate([b"{}"], TASK, "lines", client=client)


def test_file_blocks_on_the_cluster(client, mixed_file, tmp_path):
    for path in (mixed_file, EXAMPLE):
        assert dask_evaluate_file(path, TASK, "lines", client=client) == \
            evaluate_file(path, TASK, "lines")
    # blocks are about a megabyte: a file of several blocks, in flight two at a time
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"".join(mixed_lines()) * 40)
    got = dask_evaluate_file(big, TASK, "lines", client=client, in_flight=2)
    assert got == evaluate_file(big, TASK, "lines")
    assert got.records == 40 * len(mixed_lines())


def test_per_record_scores_match(client, mixed_file):
    from sdeparse.compare import RecordScores

    here, there = RecordScores(), RecordScores()
    evaluate_file(mixed_file, TASK, "lines", per_record=here)
    dask_evaluate_file(mixed_file, TASK, "lines", client=client, per_record=there)
    assert (here.keys, here.groups, here.rows) == (there.keys, there.groups, there.rows)


def run(*args):
    return subprocess.run([sys.executable, "-m", "sdeparse", *args], capture_output=True,
                          timeout=3 * STARTUP)


def test_cli_dask_local_processes_give_the_single_process_json(mixed_file, tmp_path):
    """`--dask local`: a LocalCluster of two worker processes; the same reports, bootstrap and
    --errors-out file as a single-process run."""
    common = ["eval", str(mixed_file), str(EXAMPLE), "--task", TASK, "--design", "lines",
              "--json", "--bootstrap", "50"]
    env_fixed = ["--errors-out"]
    one = run(*common, *env_fixed, str(tmp_path / "one.jsonl"))
    two = run(*common, *env_fixed, str(tmp_path / "two.jsonl"), "--dask", "local")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert a["reports"] == b["reports"] and a["bootstrap"] == b["bootstrap"]
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_cli_without_dask_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    status = main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines", "--dask", "local"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "sdeparse[dask]"' in err


def test_cli_unreachable_scheduler_is_one_line(capsys):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines",
                       "--dask", "tcp://127.0.0.1:9"])
    assert status == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and err.count("\n") == 1
