"""The edges of reading and writing: nothing lost, nothing crashes, every failure one clear
line and a non-zero exit (the command in a subprocess, the library directly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sdeparse import InputError, evaluate, evaluate_file
from sdeparse.evaluation import BLOCK_SIZE, parse_file

EXAMPLE = Path(__file__).parent.parent / "examples" / "generations.jsonl"
LINES = EXAMPLE.read_bytes().splitlines(keepends=True)
SETUP = ("--task", "masa-d1", "--design", "lines", "-q")


def run(
    *args: str, stdin: bytes | None = None, shell_suffix: str = ""
) -> subprocess.CompletedProcess:
    if shell_suffix:  # redirections the subprocess module cannot spell (closed stdout)
        command = " ".join([sys.executable, "-m", "sdeparse", *map(_quote, args)]) + shell_suffix
        return subprocess.run(command, shell=True, capture_output=True, timeout=120)
    return subprocess.run(
        [sys.executable, "-m", "sdeparse", *args], input=stdin, capture_output=True, timeout=120
    )


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _one_error_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# ---- 1. the output is never one of the inputs; it is replaced whole or not at all ----------
def test_parse_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(EXAMPLE.read_bytes())
    link = tmp_path / "link.jsonl"
    link.symlink_to(data)
    for output in (data, link):
        p = run("parse", str(data), *SETUP, "-o", str(output))
        assert p.returncode == 2
        assert "is the input file" in _one_error_line(p.stderr)
        assert data.read_bytes() == EXAMPLE.read_bytes()


def test_a_failed_run_leaves_the_old_output_whole(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"".join(LINES[:3]) + b"not json\n" + b"".join(LINES[3:6]))
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n")
    p = run("parse", str(data), *SETUP, "--strict-input", "-o", str(out))
    assert p.returncode == 1
    assert out.read_text() == "previous results\n"
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".part")] == []


def test_the_output_is_replaced_through_a_link(tmp_path: Path) -> None:
    out = tmp_path / "real.jsonl"
    out.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(out)
    p = run("parse", str(EXAMPLE), *SETUP, "-o", str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink()
    assert len(out.read_text().splitlines()) == len(LINES)


def test_a_new_output_gets_the_usual_permissions_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    """A new output is made as ``open()`` would make it (0o666 less the umask), not with the
    temporary file's private 0o600; a replaced one keeps its mode."""
    new, old = tmp_path / "new.jsonl", tmp_path / "old.jsonl"
    old.write_text("old\n")
    old.chmod(0o640)
    for output in (new, old):
        p = subprocess.run(
            ["sh", "-c", 'umask 022 && exec "$0" -m sdeparse "$@"', sys.executable, "parse",
             str(EXAMPLE), *SETUP, "-o", str(output)],
            capture_output=True,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr
    assert new.stat().st_mode & 0o777 == 0o644
    assert old.stat().st_mode & 0o777 == 0o640


# ---- 2. an integer of more than 4,300 digits is a bad line, not a crash ---------------------
HUGE = b'{"prediction": "x", "target": "y", "n": ' + b"9" * 5000 + b"}\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_huge_integer_is_an_input_error(tmp_path: Path, jobs: str) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(LINES[0] + HUGE + LINES[1])
    p = run("eval", str(data), *SETUP, "--json", "--jobs", jobs)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)["reports"][0]
    assert report["n"] == 2 and report["input_error_kinds"] == {"invalid_json": 1}
    p = run("parse", str(data), *SETUP, "--jobs", jobs)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert rows[1]["input_error"]["line"] == 2 and "too long" in rows[1]["input_error"]["reason"]


def test_huge_integer_through_evaluate() -> None:
    report = evaluate([LINES[0], HUGE], "masa-d1", "lines")
    assert report.n == 1 and report.input_errors == 1


# ---- 3. one record's length is bounded ------------------------------------------------------
def test_a_line_over_the_limit_is_an_input_error_and_reading_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    long_line = b'{"prediction": "' + b"a" * 5000 + b'"}\n'
    data.write_bytes(LINES[0] + long_line + LINES[1])
    p = run("eval", str(data), *SETUP, "--json", "--max-line-bytes", "2000")
    report = json.loads(p.stdout)["reports"][0]
    assert report["n"] == 2 and report["input_error_kinds"] == {"line_too_long": 1}
    assert report["input_error_samples"][0]["line"] == 2


def test_a_file_without_line_breaks_reads_in_bounded_memory(tmp_path: Path) -> None:
    """3 MB of one line under a 1 MB limit: one input error, and the next line is read."""
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"{" * (3 * BLOCK_SIZE) + b"\n" + LINES[0])
    report = evaluate_file(data, "masa-d1", "lines", max_line_bytes=BLOCK_SIZE)
    assert report.n == 1 and report.input_errors == 1
    rows = list(parse_file(data, "masa-d1", "lines", max_line_bytes=BLOCK_SIZE))
    assert len(rows) == 2
    assert json.loads(rows[0])["input_error"]["kind"] == "line_too_long"
    assert "parsed" in json.loads(rows[1])


def test_an_unterminated_last_line_over_the_limit(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(LINES[0] + b"x" * (2 * BLOCK_SIZE + 7))
    report = evaluate_file(data, "masa-d1", "lines", max_line_bytes=BLOCK_SIZE)
    assert report.n == 1 and report.input_errors == 1


# ---- 4. output errors: one line naming the output, non-zero exit ----------------------------
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("command", ["eval", "parse"])
def test_a_full_disk_is_one_clear_line(command: str) -> None:
    p = run(command, str(EXAMPLE), *SETUP, shell_suffix=" > /dev/full")
    assert p.returncode == 1
    line = _one_error_line(p.stderr)
    assert "standard output" in line and "generations.jsonl" not in line


@pytest.mark.parametrize("command", ["eval", "parse"])
def test_a_closed_standard_output_is_one_clear_line(command: str) -> None:
    p = run(command, str(EXAMPLE), *SETUP, shell_suffix=" >&-")
    assert p.returncode == 1
    assert "standard output" in _one_error_line(p.stderr)


# ---- 7. input edges ---------------------------------------------------------------------------
def test_utf16_file_is_named_once(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"".join(LINES[:3]).decode().encode("utf-16"))
    p = run("eval", str(data), *SETUP)
    assert p.returncode == 1
    assert "UTF-16" in _one_error_line(p.stderr)
    with pytest.raises(InputError, match="UTF-16"):
        evaluate_file(data, "masa-d1", "lines")


def test_carriage_return_line_ends(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"".join(line.rstrip(b"\n") + b"\r" for line in LINES[:7]))
    report = evaluate_file(data, "masa-d1", "lines")
    assert report.n == 7 and report.input_errors == 0


def test_a_byte_order_mark_on_any_line(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"\xef\xbb\xbf" + LINES[0] + b"\xef\xbb\xbf" + LINES[1])
    report = evaluate_file(data, "masa-d1", "lines")
    assert report.n == 2 and report.input_errors == 0


def test_null_is_called_null() -> None:
    report = evaluate([b"null\n", b"[1]\n", b"3\n"], "masa-d1", "lines")
    reasons = [sample["reason"] for sample in report.to_dict()["input_error_samples"]]
    assert reasons == ["a JSON null, not an object", "a JSON array, not an object",
                       "a JSON number, not an object"]


def test_nan_and_infinity_are_never_written(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    record = json.loads(LINES[0])
    text = json.dumps({**record, "score": float("nan"), "upper": float("inf")}) + "\n"
    assert "NaN" in text
    data.write_text(text, encoding="utf-8")
    rows = list(parse_file(data, "masa-d1", "lines"))
    assert b"NaN" not in rows[0] and b"Infinity" not in rows[0]
    row = json.loads(rows[0])
    assert row["score"] is None and row["upper"] is None and "parsed" in row


def test_a_file_name_with_double_colon(tmp_path: Path) -> None:
    data = tmp_path / "a::b.jsonl"
    data.write_bytes(EXAMPLE.read_bytes())
    p = run("eval", str(data), *SETUP, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reports"][0]["n"] == len(LINES)
    p = run("eval", f"{data}::lines", "--task", "masa-d1", "--design", "json", "-q", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reports"][0]["design"] == "lines"


# ---- 5. signals under --jobs: quick exit, the shell's status, no traceback, no orphan ---------
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
@pytest.mark.parametrize(
    ("command", "signal_name", "status"),
    [("eval", "SIGINT", 130), ("parse", "SIGINT", 130), ("eval", "SIGTERM", 143),
     ("parse", "SIGTERM", 143)],
)
def test_signals_under_jobs(tmp_path: Path, command: str, signal_name: str, status: int) -> None:
    import signal
    import time

    data = tmp_path / "big.jsonl"
    data.write_bytes(EXAMPLE.read_bytes() * 1000)  # 50,000 lines: never done before the signal
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "sdeparse", command, str(data), *SETUP, "--jobs", "2",
         *(["-o", str(out)] if command == "parse" else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell job has
    )
    # wait until the workers run (imports done): the parse output's temporary file appears
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        started = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        if command == "parse" and started:
            break
        time.sleep(0.1)
        if command == "eval" and len(_children(process.pid)) >= 2:
            break
    assert process.poll() is None, "finished before the signal; make the input larger"
    sent = time.monotonic()
    if signal_name == "SIGINT":  # Ctrl-C reaches every process of the terminal's job
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert time.monotonic() - sent < 5
    assert process.returncode == status
    assert "Traceback" not in stderr.decode() and "Error" not in stderr.decode()
    time.sleep(0.3)
    with pytest.raises(ProcessLookupError):  # nothing of the group is left
        os.killpg(process.pid, 0)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc; empty where there is none)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


def test_jobs_has_an_upper_bound() -> None:
    p = run("eval", str(EXAMPLE), *SETUP, "--jobs", "100000")
    assert p.returncode == 2 and "--jobs must be between 1 and" in _one_error_line(p.stderr)


# ---- 9. where the outputs are ---------------------------------------------------------------
def _nested(tmp_path: Path, shape: str) -> Path:
    rows = []
    for line in LINES[:6]:
        record = json.loads(line)
        prediction = record.pop("prediction")
        if shape == "vllm":
            record["outputs"] = [{"text": prediction, "finish_reason": "stop"}]
        elif shape == "openai":
            record["response"] = {"body": {"choices": [{"message": {"content": prediction}}]}}
        else:  # several samples
            record["prediction"] = ["x", prediction + "</s>"]
        rows.append(json.dumps(record, ensure_ascii=False) + "\n")
    path = tmp_path / f"{shape}.jsonl"
    path.write_text("".join(rows), encoding="utf-8")
    return path


def test_field_paths_for_vllm_and_openai_batch_files(tmp_path: Path) -> None:
    plain = evaluate([json.loads(line) for line in LINES[:6]], "masa-d1", "lines")
    for shape, path in (("vllm", "outputs.0.text"),
                        ("openai", "response.body.choices.0.message.content")):
        p = run("eval", str(_nested(tmp_path, shape)), *SETUP, "--json",
                "--prediction-field", path)
        assert p.returncode == 0, p.stderr
        report = json.loads(p.stdout)["reports"][0]
        assert report["n"] == 6 and report["accuracy"] == plain.to_dict()["accuracy"]


def test_sample_index_and_strip(tmp_path: Path) -> None:
    plain = evaluate([json.loads(line) for line in LINES[:6]], "masa-d1", "lines")
    path = _nested(tmp_path, "samples")
    p = run("eval", str(path), *SETUP, "--json")
    assert json.loads(p.stdout)["reports"][0]["input_error_kinds"] == {"not_a_string": 6}
    assert b"--sample-index" in run("parse", str(path), *SETUP).stdout
    p = run("eval", str(path), *SETUP, "--json", "--sample-index", "1", "--strip", "</s>")
    report = json.loads(p.stdout)["reports"][0]
    assert report["n"] == 6 and report["codes"] == plain.to_dict()["codes"]


def test_gzip_input(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "g.jsonl.gz"
    path.write_bytes(gzip.compress(EXAMPLE.read_bytes()))
    p = run("eval", str(path), *SETUP, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reports"][0]["n"] == len(LINES)
    p = run("parse", str(path), *SETUP)
    assert len(p.stdout.splitlines()) == len(LINES)


# ---- 8. exit codes that scripts can trust -------------------------------------------------------
def test_nothing_scored_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    p = run("eval", str(EXAMPLE), *SETUP[:2], "--design", "json", "-q")
    assert p.returncode == 1
    assert "nothing could be scored" in _one_error_line(p.stderr)
    assert p.stdout.startswith(b"warning: ") and b"--design lines" in p.stdout.splitlines()[0]
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    p = run("eval", str(empty), *SETUP)
    assert p.returncode == 1 and "no records" in _one_error_line(p.stderr)


def test_most_lines_unscored_warns_with_the_likely_cause(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"".join(LINES[:2]) + b"oops\n" * 3)
    p = run("eval", str(data), *SETUP)
    assert p.returncode == 0
    assert b"not JSON objects" in p.stdout.splitlines()[0]
    p = run("eval", str(data), *SETUP, "--json")
    assert "JSON Lines" in json.loads(p.stdout)["reports"][0]["warnings"][0]
    p = run("eval", str(EXAMPLE), *SETUP, "--prediction-field", "output", "--json")
    assert p.returncode == 1
    assert "--prediction-field" in json.loads(p.stdout)["reports"][0]["warnings"][0]
    p = run("eval", str(EXAMPLE), *SETUP)  # a good run: no warning
    assert p.returncode == 0 and not p.stdout.startswith(b"warning")
