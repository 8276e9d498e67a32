"""The ``sdeparse`` command: ``eval`` scores generation files, ``parse`` annotates them,
``render`` writes canonical targets, ``tasks`` and ``codes`` show what sdeparse knows.

Exit status: 0 success; 1 nothing could be scored (every line an input or gold error), a bad
input line under --strict-input, an unreadable input (UTF-16) or an output that cannot be
written; 2 a usage error (unknown task, design or profile, a
missing file, bad arguments, an output that is one of the inputs); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, BinaryIO, TextIO

from . import __version__
from .advice import likely_cause, nothing_scored, unscored_share
from .diagnostics import ALL_CODES, EXTRACTION_CODES
from .errors import ClusterError, InputError, SdeparseError
from .evaluation import (
    MAX_LINE_BYTES,
    Targets,
    check_setup,
    dumps,
    evaluate_file,
    parse_file,
    stop_workers,
)
from .export import GRAMMAR_FORMATS, export_grammar
from .info import describe_task, render_file, render_task
from .profiles import PROFILES, get_profile
from .render import check_design
from .render_text import render_summary, render_text
from .report import Report
from .tables import Table, TableFormat, render_table
from .task import BUILTIN_EXTRACTION_TASKS, BUILTIN_TASKS, load_task


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
        "--prediction-field",
        default="prediction",
        metavar="PATH",
        help="the field holding the output: a name, or a dotted path of keys and list indices "
        "(outputs.0.text for vLLM, response.body.choices.0.message.content for OpenAI batch "
        "files; default: prediction)",
    )
    parser.add_argument(
        "--sample-index",
        type=int,
        default=None,
        metavar="K",
        help="when the prediction field holds a list of samples, read sample K (from 0)",
    )
    parser.add_argument(
        "--strip",
        action="append",
        default=[],
        metavar="STRING",
        help="remove STRING wherever it occurs in a prediction before parsing (stop "
        "sequences); repeatable",
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
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help=f"parse in N processes, same results (1 to {MAX_JOBS}; more than the machine's "
        "cores only adds overhead)",
    )
    parser.add_argument(
        "--max-line-bytes",
        type=int,
        default=MAX_LINE_BYTES,
        metavar="N",
        help="a longer line is an input error and reading goes on at the next line "
        f"(default: {MAX_LINE_BYTES:,}, 64 MiB)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def _targets_options(parser: argparse.ArgumentParser) -> None:
    """Where the targets are: a field of each record, or a separate file."""
    parser.add_argument(
        "--target-field", default="target", metavar="PATH", help="like --prediction-field "
        "(default: target); with --targets, the field of the targets file"
    )
    parser.add_argument(
        "--targets",
        metavar="FILE",
        help="read the targets from this JSON Lines file instead, joined by line number "
        "(line k holds the target of output k) or by --id-field",
    )
    parser.add_argument(
        "--id-field",
        metavar="PATH",
        default="",
        help="with --targets: join outputs and targets by this field (a string or an integer "
        "in both files) instead of by line number; with several files: pair their records by "
        "it for the bootstrap differences",
    )


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
        help="JSON Lines files (.gz too); - for stdin; FILE::DESIGN gives a file its own "
        "design, so one run tabulates several designs (natural.jsonl::natural lines.jsonl::lines)",
    )
    _common(ev, per_file_design=True)
    _targets_options(ev)
    ev.add_argument(
        "--predictions-only",
        action="store_true",
        help="no targets: count format errors and codes only, score nothing",
    )
    ev.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: the run's metadata and a list of reports, one per file",
    )
    ev.add_argument(
        "--errors-out",
        metavar="PATH",
        help="write every output with a format error in full (line, prediction, target, "
        "labels, diagnostics) as JSON Lines to PATH",
    )
    _report_options(ev)
    _compare_options(ev)

    pa = commands.add_parser(
        "parse",
        help="add parsed labels and diagnostics to each record",
        description="Write JSON Lines: each input record with a 'parsed' field holding labels, "
        "is_format_error and diagnostics; one output line per input line, in order. A bad "
        "line gets an 'input_error' field instead (with 'raw' text when it is not an object).",
    )
    pa.add_argument("file", metavar="FILE", help="a JSON Lines file; - for stdin")
    _common(pa)
    _targets_options(pa)
    pa.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")

    ta = commands.add_parser(
        "tasks",
        help="list the built-in tasks, or show one task's slots and labels",
        description="Without NAME: the built-in tasks. With a name or a task file: its slots "
        "(or types), labels with their codes and synonyms, punctuation, JSON keys and designs.",
    )
    ta.add_argument("name", nargs="?", metavar="NAME", help="a built-in task or a task file")
    ta.add_argument("--json", action="store_true", help="print as JSON")

    co = commands.add_parser(
        "codes",
        help="the table of diagnostic codes",
        description="Every diagnostic code: its usual severity, what it means and an example.",
    )
    co.add_argument("--json", action="store_true", help="print as JSON")

    re_ = commands.add_parser(
        "render",
        help="write canonical targets (fine-tuning samples) for a JSON Lines file of labels",
        description="Read records holding labels ({aspect: label}; an extraction task: a list "
        "of [type, span] pairs) and write each record with the canonical output of the design "
        "added: the fine-tuning target. A record that cannot be rendered gets an "
        "'input_error' field instead.",
    )
    re_.add_argument("file", metavar="FILE", help="a JSON Lines file; - for stdin")
    re_.add_argument("--task", required=True, help="a built-in task or a task file")
    re_.add_argument("--design", required=True, help="the design to write")
    re_.add_argument(
        "--labels-field", default="labels", metavar="NAME", help="default: labels"
    )
    re_.add_argument(
        "--descriptions-field",
        default="descriptions",
        metavar="NAME",
        help="CoT/R-CoT: the record's {aspect: description} (default: descriptions)",
    )
    re_.add_argument(
        "--target-field", default="target", metavar="NAME", help="written here (default: target)"
    )
    re_.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")
    _grammar_parser(commands)
    return parser


# ---- grammar: a design's canonical outputs as a grammar for constrained decoding ----


def _grammar_parser(commands: Any) -> None:
    gr = commands.add_parser(
        "grammar",
        help="print a grammar of the canonical outputs, for constrained decoding",
        description="Print a grammar of exactly the outputs `render` writes for a task and "
        "design: lark (llguidance's dialect; vLLM, llama.cpp), gbnf (llama.cpp, xgrammar), "
        "regex (outlines, vLLM) or json-schema (JSON designs: one object per line).",
    )
    gr.add_argument("--task", required=True, help="a built-in task or a task file")
    gr.add_argument("--design", required=True, help="the design the model was trained on")
    gr.add_argument("--format", default="lark", choices=GRAMMAR_FORMATS, help="default: lark")
    gr.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")


def _run_grammar(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        text = export_grammar(args.task, args.design, args.format)
    except SdeparseError as exc:
        return _fail(str(exc), stderr)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            return _fail(f"{args.output}: {exc.strerror or exc}", stderr)
        return 0
    _write_text(stdout, text if text.endswith("\n") else text + "\n")
    _flush(stdout)
    return 0


#: The most worker processes --jobs starts (each is a Python process with its own parser).
MAX_JOBS = max(64, 4 * (os.cpu_count() or 1))


#: Temporary outputs of this run, removed if a signal stops it before they are renamed.
_TEMPORARY: set[str] = set()


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: kill the workers, remove unfinished outputs and exit at once with
    the shell's status (128 + the signal). Done in the handler, not by raising: an exception
    raised there can land in code that swallows it (a finalizer) and the run would go on."""
    stop_workers()
    for path in list(_TEMPORARY):
        with contextlib.suppress(OSError):
            os.unlink(path)
    word = "interrupted" if signum == signal.SIGINT else "terminated"
    with contextlib.suppress(OSError):
        os.write(2, f"sdeparse: {word}\n".encode())
    os._exit(128 + signum)


def _fail(message: str, stderr: TextIO | None, status: int = 2) -> int:
    if stderr is not None:
        with contextlib.suppress(OSError):
            print(f"sdeparse: error: {message}", file=stderr)
    return status


class OutputError(Exception):
    """Writing the results failed (disk full, closed stream): names the output."""

    def __init__(self, output: str, reason: str) -> None:
        super().__init__(f"cannot write {output}: {reason}")


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _file_designs(specs: Sequence[str], default: str | None) -> list[tuple[str, str | None]]:
    """(path, design) for each FILE or FILE::DESIGN argument; None where neither gives one."""
    pairs = []
    for spec in specs:
        path, separator, design = spec.rpartition("::")
        if os.path.exists(spec) or not (separator and path):  # a file named a::b is a file
            pairs.append((spec, default))
        else:
            pairs.append((path, design))
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
    if not 1 <= args.jobs <= MAX_JOBS:
        return _fail(f"--jobs must be between 1 and {MAX_JOBS}", stderr)
    if args.max_line_bytes < 1:
        return _fail("--max-line-bytes must be at least 1", stderr)
    if any(not text for text in args.strip):
        return _fail("--strip takes a non-empty string", stderr)
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


def _check_targets(args: argparse.Namespace, files: Sequence[str], stderr: TextIO) -> int:
    """Validate the targets options (and --errors-out): 0 or exit status 2."""
    if args.id_field and not args.targets and len(files) < 2:
        return _fail("--id-field joins by id with a --targets file; give --targets", stderr)
    if args.targets:
        if getattr(args, "predictions_only", False):
            return _fail("--predictions-only reads no targets; leave out --targets", stderr)
        if args.targets != "-" and not os.path.isfile(args.targets):
            return _fail(f"{args.targets}: no such file", stderr)
        if args.targets == "-" and "-" in files:
            return _fail("standard input (-) can be read only once", stderr)
    errors_out = getattr(args, "errors_out", None)
    if errors_out and any(path != "-" and _same_file(errors_out, path)
                          for path in [*files, args.targets or "-"]):
        return _fail(f"{errors_out}: is an input file; write the errors elsewhere", stderr)
    return 0


def _load_targets(args: argparse.Namespace, stderr: TextIO) -> tuple[Targets | None, int]:
    """The --targets file, read once for every FILE, and 0; or None and the exit status
    after one line saying why it cannot be read."""
    if not args.targets:
        return None, 0
    try:
        targets = Targets.load(
            args.targets, args.target_field, args.id_field, args.max_line_bytes
        )
    except InputError as exc:
        print(f"sdeparse: bad input: {exc}", file=stderr)
        return None, 1
    except OSError as exc:
        return None, _fail(f"{args.targets}: {exc.strerror or exc}", stderr)
    return targets, 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The options a run's results depend on, for the metadata of --json."""
    return {
        "design": args.design,
        "prediction_field": args.prediction_field,
        "target_field": args.target_field,
        "targets": args.targets,
        "id_field": args.id_field or None,
        "predictions_only": args.predictions_only,
        "sample_index": args.sample_index,
        "strip": list(args.strip),
        "input_field": args.input_field,
        "strict_input": args.strict_input,
        "max_line_bytes": args.max_line_bytes,
    }


def run_time() -> str:
    """The time of a run, UTC, ISO 8601 to the second (SOURCE_DATE_EPOCH, when set, fixes it
    for reproducible output)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = (datetime.fromtimestamp(int(fixed), timezone.utc) if fixed.isdigit()
              else datetime.now(timezone.utc))
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def json_document(reports: Sequence[Report], args: argparse.Namespace,
                  warnings: Sequence[str]) -> dict[str, Any]:
    """What `eval --json` prints, whatever the number of files: one object with the run's
    metadata and ``reports``, a list of one report per file."""
    data = [r.to_dict() for r in reports]
    for item, warning in zip(data, warnings, strict=True):
        if warning:
            item["warnings"] = [warning]
    return {
        "sdeparse": __version__,
        "time": run_time(),
        "task": args.task,
        "profile": get_profile(args.profile).name,
        "options": _options(args),
        "reports": data,
    }


def _run_eval(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    files = _file_designs(args.files, args.design)
    status = _check_setup(args, [path for path, _ in files], stderr, [d for _, d in files])
    status = status or _check_targets(args, [path for path, _ in files], stderr)
    status = status or _check_report_options(args, [path for path, _ in files], stderr)
    if status:
        return status
    targets, status = _load_targets(args, stderr)
    if status:
        return status
    runs, status = _bootstrap_runs(args, len(files), stderr)
    if status:
        return status
    with _replacing(args.errors_out) as errors_out, _evaluator(args) as evaluate:
        reports = []
        for k, (path, design) in enumerate(files):
            assert design is not None  # _check_setup refused a file without a design
            try:
                reports.append(
                    evaluate(
                        path,
                        args.task,
                        design,
                        args.profile,
                        **_reading(args),
                        target_field=args.target_field,
                        predictions_only=args.predictions_only,
                        targets=targets,
                        errors_out=errors_out,
                        **_per_record(args, runs, k),
                    )
                )
            except InputError as exc:
                print(f"sdeparse: bad input: {exc}", file=stderr)
                return 1
            except BrokenPipeError:
                raise
            except OSError as exc:
                return _fail(f"{path}: {exc.strerror or exc}", stderr)
    warnings = [_advice(report, path, args, design) for (path, design), report in
                zip(files, reports, strict=True)]
    comparison = _comparison(args, files, reports, runs)
    extra = comparison.as_table() if comparison is not None else None
    table_on_stdout = _write_report_extras(args, reports, stdout, stderr, warnings, extra)
    if args.json:
        document = json_document(reports, args, warnings)
        if comparison is not None:
            document["bootstrap"] = comparison.to_dict()
        _write_bytes(stdout, dumps(document) + b"\n")
    elif not table_on_stdout:
        for warning in filter(None, warnings):
            _write_text(stdout, f"warning: {warning}\n")
        if any(warnings):
            _write_text(stdout, "\n")
        if len(reports) == 1:
            _write_text(stdout, render_text(reports[0]))
            if comparison is not None:
                _write_text(stdout, "\n" + comparison.to_text())
        else:
            _write_text(stdout, render_summary(reports))
            if comparison is not None:
                _write_text(stdout, "\n" + comparison.to_text())
            for report in reports:
                _write_text(stdout, "\n" + render_text(report))
    _flush(stdout)
    if not any(report.n for report in reports):
        reasons = [nothing_scored(report) for report in reports]
        return _fail("; ".join(filter(None, reasons)), stderr, 1)
    return 0


# ---- --html and --table -------------------------------------------------------------------------
def _report_options(parser: argparse.ArgumentParser) -> None:
    """The options of `eval` that write the HTML report and the comparison table."""
    parser.add_argument(
        "--html",
        metavar="PATH",
        help="also write a self-contained HTML report (charts as inline SVG, no network "
        'needed) to PATH; needs matplotlib: pip install "sdeparse[report]"',
    )
    parser.add_argument(
        "--table",
        choices=[f.value for f in TableFormat],
        help="print the comparison of the files (one row per file: n, format-error rate, main "
        "scores, most frequent codes) as csv, markdown or latex instead of the text report",
    )
    parser.add_argument(
        "--table-out",
        metavar="PATH",
        help="write the --table to PATH instead of standard output (the report is printed)",
    )


def _check_report_options(args: argparse.Namespace, files: Sequence[str],
                          stderr: TextIO) -> int:
    """Validate --html, --table and --table-out before any work: 0 or exit status 2."""
    if args.table_out and not args.table:
        return _fail("--table-out names where the --table goes; give --table too", stderr)
    if args.table and not args.table_out and args.json:
        return _fail("--table and --json both print to standard output; give --table-out",
                     stderr)
    for option, output in (("--html", args.html), ("--table-out", args.table_out)):
        if output and any(path != "-" and _same_file(output, path)
                          for path in [*files, args.targets or "-"]):
            return _fail(f"{output}: is an input file; write the {option} output elsewhere",
                         stderr)
    if args.html:
        from .html_report import MissingDependency, require_matplotlib

        try:
            require_matplotlib()
        except MissingDependency as exc:
            return _fail(str(exc), stderr)
    return 0


def _write_report_extras(args: argparse.Namespace, reports: Sequence[Report], stdout: TextIO,
                         stderr: TextIO, warnings: Sequence[str],
                         comparison: Table | None = None) -> bool:
    """Write the --html report and the --table (to --table-out, or to standard output with the
    warnings on standard error); True when the table took standard output's place.
    `comparison` is an extra table shown after the scores in both."""
    if args.html:
        from .html_report import render_html

        page = render_html(reports, comparison=comparison)
        with _replacing(args.html) as out:
            assert out is not None
            out.write(page.encode("utf-8"))
    if not args.table:
        return False
    text = render_table(reports, args.table, comparison=comparison)
    if args.table_out:
        _write_replacing(args.table_out, iter([text.encode("utf-8")]))
        return False
    for warning in filter(None, warnings):
        with contextlib.suppress(OSError):
            print(f"sdeparse: warning: {warning}", file=stderr)
    _write_text(stdout, text)
    return True


# ---- --bootstrap, --seed and --dask: is the difference real; evaluating on Dask -----------------
def _compare_options(parser: argparse.ArgumentParser) -> None:
    """The options of the bootstrap intervals and of evaluating on a Dask cluster."""
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=None,
        metavar="N",
        help="bootstrap resamples of the 95%% percentile intervals of each file's main scores "
        "and, for files holding the same inputs (aligned by --id-field, else by the input "
        "text), of the paired difference between every two files (default: 1000 with "
        "several files, none with one; 0 for none)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="the seed of the bootstrap resamples (default: 0)")
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="evaluate on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' "
        "for a local cluster of --jobs worker processes (2 when --jobs is 1); needs "
        'pip install "sdeparse[dask]"',
    )


def _bootstrap_runs(args: argparse.Namespace, files: int,
                    stderr: TextIO) -> tuple[list[Any] | None, int]:
    """One RecordScores per file when intervals are asked for (else None), and 0; or None and
    exit status 2 for bad values, or for --dask without Dask installed."""
    if args.bootstrap is not None and args.bootstrap < 0:
        return None, _fail("--bootstrap must be 0 or more", stderr)
    if args.seed < 0:
        return None, _fail("--seed must be 0 or more", stderr)
    if args.dask:
        from .dask import DaskUnavailable, require

        try:
            require()
        except DaskUnavailable as exc:
            return None, _fail(str(exc), stderr)
    resamples = args.bootstrap if args.bootstrap is not None else (1000 if files > 1 else 0)
    if not resamples:
        return None, 0
    from .compare import RecordScores

    return [RecordScores() for _ in range(files)], 0


def _per_record(args: argparse.Namespace, runs: list[Any] | None, k: int) -> dict[str, Any]:
    """The evaluate_file options that collect file k's per-record scores, if asked for."""
    if runs is None:
        return {}
    return {"per_record": runs[k], "align_field": args.id_field}


@contextlib.contextmanager
def _evaluator(args: argparse.Namespace) -> Iterator[Any]:
    """The function evaluating one file: in this process (or --jobs processes), or on the
    --dask cluster, connected to (or started) for the whole run."""
    if not args.dask:
        yield evaluate_file
        return
    import functools

    from .dask import connect
    from .dask import evaluate_file as on_cluster

    try:
        cluster = connect(args.dask, args.jobs if args.jobs > 1 else 2)
        client = cluster.__enter__()
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"--dask {args.dask}: cannot connect: {exc}") from None
    try:
        yield functools.partial(on_cluster, client=client)
    finally:
        with contextlib.suppress(Exception):
            cluster.__exit__(None, None, None)




def _comparison(args: argparse.Namespace, files: Sequence[tuple[str, str | None]],
                reports: Sequence[Report], runs: list[Any] | None) -> Any:
    """The bootstrap intervals of the run (a compare.Comparison), or None if not asked for."""
    if runs is None:
        return None
    from .compare import compare

    names = [path for path, _ in files]
    if len(set(names)) < len(names):
        names = [f"{path}::{design}" for path, design in files]
    alignment = (f"the id field {args.id_field!r}" if args.id_field
                 else f"the input text (field {args.input_field or 'prompt'!r})")
    resamples = args.bootstrap if args.bootstrap is not None else 1000
    return compare(list(zip(names, reports, runs, strict=True)), resamples, args.seed,
                   alignment=alignment)


@contextlib.contextmanager
def _replacing(output: str | None) -> Iterator[_NamedWrites | None]:
    """A binary file that replaces `output` once the block ends without an error (written to
    a temporary file beside it, then renamed, so an interrupted or failed run leaves the old
    file whole); None when no output is asked for."""
    if not output:
        yield None
        return
    target = os.path.realpath(output)  # a link is followed, not replaced
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".part",
            dir=os.path.dirname(target) or "."
        )
    except OSError as exc:
        raise OutputError(output, exc.strerror or str(exc)) from None
    _TEMPORARY.add(temporary)  # a signal handler removes it if the run is stopped
    try:
        with os.fdopen(handle, "wb") as stream:
            yield _NamedWrites(stream, output)
            try:
                stream.flush()
            except OSError as exc:
                raise OutputError(output, exc.strerror or str(exc)) from None
        with contextlib.suppress(OSError):  # the old file's permissions, else as open() would
            os.chmod(temporary, _permissions(target))
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(output, exc.strerror or str(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        _TEMPORARY.discard(temporary)


def _permissions(target: str) -> int:
    """The mode a replaced output keeps: the old file's, or for a new one what ``open()``
    gives (0o666 less the umask), not mkstemp's private 0o600."""
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class _NamedWrites:
    """A binary stream whose failed writes are OutputErrors naming the output."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream, self._name = stream, name

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except OSError as exc:
            raise OutputError(self._name, exc.strerror or str(exc)) from None


def _advice(report: Report, path: str, args: argparse.Namespace, design: str | None) -> str:
    """A warning naming the likely cause when more than half of a file's lines were not
    scored ('' otherwise)."""
    share = unscored_share(report)
    if share <= 0.5:
        return ""
    chosen = load_task(args.task).design(design or args.design)
    cause = likely_cause(
        report, path, args.task, chosen, args.prediction_field, args.target_field,
        targets_elsewhere=bool(args.targets),
    )
    return f"{path}: {share:.0%} of the lines were not scored; {cause}"


def _run_parse(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    status = _check_setup(args, [args.file], stderr)
    if status:
        return status
    if args.output and args.file != "-" and _same_file(args.output, args.file):
        return _fail(f"{args.output}: is the input file; write the output elsewhere", stderr)
    status = _check_targets(args, [args.file], stderr)
    if status:
        return status
    targets, status = _load_targets(args, stderr)
    if status:
        return status
    lines = parse_file(
        args.file,
        args.task,
        args.design,
        args.profile,
        **_reading(args),
        target_field=args.target_field,
        targets=targets,
    )
    return _write_lines(lines, args, stdout, stderr)


def _reading(args: argparse.Namespace) -> dict[str, Any]:
    """The options of reading records that eval and parse share."""
    return {
        "prediction_field": args.prediction_field,
        "strict_input": args.strict_input,
        "jobs": args.jobs,
        "progress": _show_progress(args),
        "input_field": args.input_field,
        "max_line_bytes": args.max_line_bytes,
        "strip": args.strip,
        "sample_index": args.sample_index,
    }


def _write_lines(
    lines: Iterator[bytes], args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> int:
    """Write JSON Lines made while reading args.file: to args.output (replaced whole at the
    end) or standard output; the exit status (a bad input line under --strict-input: 1)."""
    try:
        if args.output:
            _write_replacing(args.output, lines)
        else:
            for line in lines:
                _write_bytes(stdout, line)
            _flush(stdout)
    except InputError as exc:
        print(f"sdeparse: bad input: {exc}", file=stderr)
        return 1
    except OSError as exc:  # reading the input (writes raise OutputError)
        return _fail(f"{exc.filename or args.file}: {exc.strerror or exc}", stderr)
    return 0


def _same_file(output: str, path: str) -> bool:
    """Whether `output` names the file `path` (also through a link)."""
    try:
        return os.path.samefile(output, path)
    except OSError:
        return False


def _write_replacing(output: str, lines: Iterator[bytes]) -> None:
    """Write the lines to `output`, replaced whole only once they are all written."""
    with _replacing(output) as out:
        assert out is not None
        for line in lines:
            out.write(line)


def _flush(stream: TextIO) -> None:
    try:
        stream.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise OutputError("standard output", exc.strerror or str(exc)) from None


def _write_bytes(stream: TextIO, data: bytes) -> None:
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(data)
        else:
            stream.write(data.decode("utf-8"))
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError("standard output", exc.strerror or str(exc)) from None


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
    if stdout is None and not getattr(args, "output", None):
        return _fail("standard output is closed; give --output or redirect it", stderr, 1)
    previous = _install(_stop)
    try:
        return _COMMANDS[args.command](args, stdout, stderr)
    except OutputError as exc:
        _silence_stdout()  # what is left in its buffer cannot be written either
        return _fail(str(exc), stderr, 1)
    except ClusterError as exc:  # --dask: the cluster cannot be reached or started
        return _fail(str(exc), stderr)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error of ours
        _silence_stdout()
        return 0
    except KeyboardInterrupt:  # where the handler could not be installed (not the main thread)
        stop_workers()
        with contextlib.suppress(OSError, AttributeError):
            print("sdeparse: interrupted", file=stderr)
        return 130
    finally:
        _install(previous)


def _install(handlers: object) -> dict[int, object]:
    """Set the handler of SIGINT and SIGTERM (one function, or the mapping a previous call
    returned); gives back the handlers it replaced. Outside the main thread, nothing."""
    replaced: dict[int, object] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = handlers.get(signum) if isinstance(handlers, dict) else handlers
        if handler is None:
            continue
        try:
            replaced[signum] = signal.signal(signum, handler)  # type: ignore[arg-type]
        except ValueError:
            return replaced
    return replaced


def _run_tasks(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.name is None:
        tasks = [load_task(name) for name in BUILTIN_TASKS + BUILTIN_EXTRACTION_TASKS]
        if args.json:
            data = [{"name": t.name, "kind": t.kind.value, "description": t.description}
                    for t in tasks]
            _write_bytes(stdout, dumps(data) + b"\n")
        else:
            width = max(len(t.name) for t in tasks)
            lines = [f"{t.name:<{width}}  {t.kind.value:<14}  {t.description}" for t in tasks]
            lines.append("\nsdeparse tasks NAME shows a task's slots and labels.")
            _write_text(stdout, "\n".join(lines) + "\n")
        _flush(stdout)
        return 0
    try:
        task = load_task(args.name)
    except SdeparseError as exc:
        return _fail(str(exc), stderr)
    if args.json:
        _write_bytes(stdout, dumps(describe_task(task)) + b"\n")
    else:
        _write_text(stdout, render_task(task))
    _flush(stdout)
    return 0


def _run_codes(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    rows = [(info.code.value, info.severity.value, info.summary, info.example,
             "extraction" if info.code in EXTRACTION_CODES else "all")
            for info in ALL_CODES.values()]
    if args.json:
        keys = ("code", "severity", "summary", "example", "tasks")
        data = [dict(zip(keys, row, strict=True)) for row in rows]
        _write_bytes(stdout, dumps(data) + b"\n")
    else:
        width = max(len(row[0]) for row in rows)
        lines = []
        for code, severity, summary, example, kinds in rows:
            scope = " (extraction tasks)" if kinds == "extraction" else ""
            lines.append(f"{code:<{width}}  {severity:<7}  {summary}{scope}")
            if example:
                lines.append(f"{'':<{width}}  {'':<7}  e.g. {example!r}")
        _write_text(stdout, "\n".join(lines) + "\n")
    _flush(stdout)
    return 0


def _run_render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        task = load_task(args.task)
        design = task.design(args.design)
        check_design(task, design)
    except SdeparseError as exc:
        return _fail(str(exc), stderr)
    if args.file != "-" and not os.path.isfile(args.file):
        return _fail(f"{args.file}: no such file", stderr)
    if args.output and args.file != "-" and _same_file(args.output, args.file):
        return _fail(f"{args.output}: is the input file; write the output elsewhere", stderr)
    lines = render_file(
        args.file, task, design, args.labels_field, args.descriptions_field, args.target_field
    )
    return _write_lines(lines, args, stdout, stderr)


_COMMANDS = {
    "eval": _run_eval,
    "parse": _run_parse,
    "tasks": _run_tasks,
    "codes": _run_codes,
    "render": _run_render,
    "grammar": _run_grammar,
}


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush is quiet."""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
