"""The ``sdeparse`` command: ``eval`` scores generation files, ``parse`` annotates them.

Exit status: 0 success; 1 a bad input line under --strict-input; 2 a usage error (unknown
task, design or profile, a missing file, bad arguments).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from . import __version__
from .errors import InputError, SdeparseError
from .evaluation import check_setup, dumps, evaluate_file, parse_file
from .profiles import PROFILES, get_profile
from .render_text import render_summary, render_text
from .task import BUILTIN_EXTRACTION_TASKS, BUILTIN_TASKS


def _common(parser: argparse.ArgumentParser, per_file_design: bool = False) -> None:
    parser.add_argument(
        "--task",
        required=True,
        help="a built-in task "
        f"({', '.join(BUILTIN_TASKS + BUILTIN_EXTRACTION_TASKS)}) or a .toml/.json task file",
    )
    parser.add_argument(
        "--design",
        required=not per_file_design,
        help="lines, natural, json, cot, rcot, tuples, +omit, +numeric, ES-SDE, or a design "
        "name of the task (heuristic, ou, ...)"
        + (" (for every FILE not written FILE::DESIGN)" if per_file_design else ""),
    )
    parser.add_argument(
        "--profile",
        default="strict",
        metavar="NAME",
        help=f"what counts as a format error: {' or '.join(PROFILES)} (default: strict)",
    )
    parser.add_argument(
        "--prediction-field", default="prediction", metavar="NAME", help="default: prediction"
    )
    parser.add_argument(
        "--input-field",
        default=None,
        metavar="NAME",
        help="extraction tasks: the field holding the model's input, to report spans not in "
        "it (default: prompt, when a record has it; naming a field makes it required; '' for "
        "none)",
    )
    parser.add_argument(
        "--strict-input",
        action="store_true",
        help="fail (exit 1) at the first line that is not a valid record",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="parse in N processes (same results)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sdeparse`` command."""
    parser = argparse.ArgumentParser(
        prog="sdeparse",
        description="Diagnose, repair and score what a fine-tuned LLM generated.",
    )
    parser.add_argument("--version", action="version", version=f"sdeparse {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ev = commands.add_parser(
        "eval",
        help="score JSON Lines generation files",
        description="Score JSON Lines files of {prompt, target, prediction} records. "
        "Blank lines, invalid UTF-8 or JSON, missing or non-string fields are input errors: "
        "counted with their line numbers, not scored. A target that does not parse cleanly "
        "(strict profile) is a gold error, also not scored.",
    )
    ev.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="JSON Lines files; - for stdin; FILE::DESIGN gives a file its own design, so one "
        "run tabulates several designs (natural.jsonl::natural lines.jsonl::lines)",
    )
    _common(ev, per_file_design=True)
    ev.add_argument("--target-field", default="target", metavar="NAME", help="default: target")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")

    pa = commands.add_parser(
        "parse",
        help="add parsed labels and diagnostics to each record",
        description="Write JSON Lines: each input record with a 'parsed' field holding labels, "
        "is_format_error and diagnostics; one output line per input line, in order. A bad "
        "line gets an 'input_error' field instead (with 'raw' text when it is not an object).",
    )
    pa.add_argument("file", metavar="FILE", help="a JSON Lines file; - for stdin")
    _common(pa)
    pa.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")
    return parser


def _fail(message: str, stderr: TextIO) -> int:
    print(f"sdeparse: error: {message}", file=stderr)
    return 2


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _file_designs(specs: Sequence[str], default: str | None) -> list[tuple[str, str | None]]:
    """(path, design) for each FILE or FILE::DESIGN argument; None where neither gives one."""
    pairs = []
    for spec in specs:
        path, separator, design = spec.rpartition("::")
        pairs.append((path, design) if separator and path else (spec, default))
    return pairs


def _check_setup(args: argparse.Namespace, files: Sequence[str], stderr: TextIO,
                 designs: Sequence[str | None] = ()) -> int:
    """Validate task, design, profile, jobs and files before any work: 0 or exit status 2."""
    try:
        get_profile(args.profile)
        for design in designs or [args.design]:
            if design is None:
                return _fail("no design: give --design, or write each file as FILE::DESIGN",
                             stderr)
            check_setup(args.task, design, args.profile)
    except SdeparseError as exc:
        return _fail(str(exc), stderr)
    if args.jobs < 1:
        return _fail("--jobs must be at least 1", stderr)
    if list(files).count("-") > 1:
        return _fail("standard input (-) can be read only once", stderr)
    for path in files:
        if path == "-":
            continue
        if not os.path.exists(path):
            return _fail(f"{path}: no such file", stderr)
        if os.path.isdir(path):
            return _fail(f"{path}: is a directory", stderr)
        if not os.access(path, os.R_OK):
            return _fail(f"{path}: permission denied", stderr)
    return 0


def _run_eval(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    files = _file_designs(args.files, args.design)
    status = _check_setup(args, [path for path, _ in files], stderr, [d for _, d in files])
    if status:
        return status
    reports = []
    for path, design in files:
        assert design is not None  # _check_setup refused a file without a design
        try:
            reports.append(
                evaluate_file(
                    path,
                    args.task,
                    design,
                    args.profile,
                    prediction_field=args.prediction_field,
                    target_field=args.target_field,
                    strict_input=args.strict_input,
                    jobs=args.jobs,
                    progress=_show_progress(args),
                    input_field=args.input_field,
                )
            )
        except InputError as exc:
            print(f"sdeparse: bad input: {exc}", file=stderr)
            return 1
        except BrokenPipeError:
            raise
        except OSError as exc:
            return _fail(f"{path}: {exc.strerror or exc}", stderr)
    if args.json:
        data = [r.to_dict() for r in reports]
        _write_bytes(stdout, dumps(data[0] if len(data) == 1 else data) + b"\n")
    elif len(reports) == 1:
        _write_text(stdout, render_text(reports[0]))
    else:
        _write_text(stdout, render_summary(reports))
        for report in reports:
            _write_text(stdout, "\n" + render_text(report))
    return 0


def _run_parse(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    status = _check_setup(args, [args.file], stderr)
    if status:
        return status
    lines = parse_file(
        args.file,
        args.task,
        args.design,
        args.profile,
        prediction_field=args.prediction_field,
        strict_input=args.strict_input,
        jobs=args.jobs,
        progress=_show_progress(args),
        input_field=args.input_field,
    )
    try:
        if args.output:
            with open(args.output, "wb") as out:
                for line in lines:
                    out.write(line)
        else:
            for line in lines:
                _write_bytes(stdout, line)
            stdout.flush()
    except InputError as exc:
        print(f"sdeparse: bad input: {exc}", file=stderr)
        return 1
    except BrokenPipeError:
        raise
    except OSError as exc:
        return _fail(f"{exc.filename or args.output or args.file}: {exc.strerror or exc}", stderr)
    return 0


def _write_bytes(stream: TextIO, data: bytes) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
    else:
        stream.write(data.decode("utf-8"))


def _write_text(stream: TextIO, text: str) -> None:
    _write_bytes(stream, text.encode("utf-8", "backslashreplace"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        if args.command == "eval":
            return _run_eval(args, stdout, stderr)
        return _run_parse(args, stdout, stderr)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("sdeparse: interrupted", file=stderr)
        return 130
