"""The one exception hierarchy of sdeparse: every error it raises derives from SdeparseError."""

from __future__ import annotations


class SdeparseError(Exception):
    """Base class of every error sdeparse raises on purpose."""


class TaskError(SdeparseError, ValueError):
    """A task file or task name is wrong; the message names the file and the field."""

    def __init__(self, message: str, *, source: str = "", field: str = "") -> None:
        self.source = source
        self.field = field
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class DesignError(SdeparseError, ValueError):
    """A design name that is not one of the known formats, options or paper mode names."""


class RenderError(SdeparseError, ValueError):
    """Labels handed to the renderer name an aspect or a label the task does not have."""


class InputError(SdeparseError, ValueError):
    """A record of a generations file that cannot be read (bad JSON, missing field, bad UTF-8)."""

    def __init__(self, message: str, *, line: int | None = None, source: str = "") -> None:
        self.line = line
        self.source = source
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}" if where else message)


class UnsupportedTaskError(SdeparseError, ValueError):
    """A task of a kind that a command does not handle. Every command now handles both kinds
    (classification and extraction); the class is kept so that code catching it still runs."""


class MissingExtraError(SdeparseError, ImportError):
    """An optional dependency is not installed; the message says which extra installs it."""

    def __init__(self, feature: str, needs: str, extra: str) -> None:
        self.extra = extra
        super().__init__(f'{feature} needs {needs}: pip install "sdeparse[{extra}]"')


class ClusterError(SdeparseError):
    """The Dask cluster of ``eval --dask`` cannot be reached or started."""
