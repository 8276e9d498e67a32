"""sdeparse: read what a fine-tuned LLM generated for a structured task, tell how it deviates
from the trained format, repair what can be repaired, map the labels and score the result."""

from .design import Design, Format
from .diagnostics import ALL_CODES, CODES, EXTRACTION_CODES, Code, CodeInfo, Diagnostic, Severity
from .errors import (
    DesignError,
    InputError,
    RenderError,
    SdeparseError,
    TaskError,
    UnsupportedTaskError,
)
from .evaluation import evaluate, evaluate_file
from .export import GRAMMAR_FORMATS, GrammarFormat, export_grammar
from .parser import Parser, diagnose, parse
from .profiles import PROFILES, Profile, ProfileError
from .render import render
from .report import Report
from .result import ParseResult
from .task import (
    BUILTIN_EXTRACTION_TASKS,
    BUILTIN_TASKS,
    Aspect,
    Label,
    Quoting,
    SpanType,
    Task,
    TaskKind,
    load_task,
)

__version__ = "0.1.0"

__all__ = [
    "ALL_CODES",
    "BUILTIN_EXTRACTION_TASKS",
    "BUILTIN_TASKS",
    "CODES",
    "EXTRACTION_CODES",
    "GRAMMAR_FORMATS",
    "GrammarFormat",
    "Code",
    "PROFILES",
    "Aspect",
    "CodeInfo",
    "Design",
    "DesignError",
    "Format",
    "Diagnostic",
    "InputError",
    "Label",
    "ParseResult",
    "Parser",
    "Profile",
    "Quoting",
    "SpanType",
    "TaskKind",
    "ProfileError",
    "RenderError",
    "Report",
    "SdeparseError",
    "Severity",
    "Task",
    "TaskError",
    "UnsupportedTaskError",
    "diagnose",
    "evaluate",
    "evaluate_file",
    "export_grammar",
    "load_task",
    "parse",
    "render",
]
