"""Settings every service shares, and reading settings so that a bad value names its variable.

One name for the port of ``/healthz``, ``/readyz`` and ``/metrics`` in every service:
``STREAMOPS_<SERVICE>_HEALTH_PORT`` (and ``_HEALTH_HOST``), from `ServiceSettings`. A
service with an HTTP API of its own (ingestion) serves it on that same port. Logging is
``STREAMOPS_LOG_LEVEL`` and ``STREAMOPS_LOG_FORMAT`` (`LogSettings`), the same for all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from streamops.pipeline import Pipeline, SpecError, load_pipeline

S = TypeVar("S", bound=BaseSettings)

# Values of settings whose name contains one of these never appear in an error message.
_SECRET_WORDS = ("token", "password", "secret", "salt", "user_info")
_SHOWN_CHARS = 60


class StartupError(Exception):
    """A service cannot start: bad settings or spec. Each problem names what to fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class ServiceSettings(BaseSettings):
    """What every service has: the address of its /healthz, /readyz and /metrics.

    A service subclasses it with its own ``env_prefix`` (``STREAMOPS_<SERVICE>_``) and may
    override the default port; ``renamed`` maps old variable suffixes to new ones, so that
    a setting that was renamed fails loudly instead of being ignored.
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    renamed: ClassVar[Mapping[str, str]] = {}

    health_host: str = Field(
        "0.0.0.0", min_length=1, description="Address of /healthz, /readyz and /metrics."
    )
    health_port: int = Field(
        0, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics; 0 picks one."
    )


class LogSettings(BaseSettings):
    """How every service logs (env prefix ``STREAMOPS_LOG_``)."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_LOG_", frozen=True, extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="The least severe level written."
    )
    format: Literal["text", "json"] = Field(
        "text",
        description="text: 'time level logger message' lines; json: one JSON object a line "
        "with time, level, logger, message (and exception).",
    )


def describe_settings_error(exc: ValidationError, prefix: str) -> list[str]:
    """One line per bad setting, naming the environment variable a user has to fix."""
    lines = []
    for error in exc.errors():
        loc = "_".join(str(part) for part in error["loc"])
        if not loc:  # a check across several fields
            lines.append(f"{exc.title} ({prefix}*): {error['msg']}")
            continue
        shown = ""
        if error["type"] != "missing" and not any(w in loc.lower() for w in _SECRET_WORDS):
            got = repr(error.get("input"))
            shown = f" (got {got if len(got) <= _SHOWN_CHARS else got[:_SHOWN_CHARS] + '…'})"
        lines.append(f"{prefix}{loc.upper()}: {error['msg']}{shown}")
    return lines


def read_settings(cls: type[S], **overrides: Any) -> S:
    """``cls()`` from the environment (plus ``overrides``); `StartupError` naming each bad
    variable otherwise, or a variable that was renamed."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    renamed: Mapping[str, str] = getattr(cls, "renamed", {})
    stale = [
        f"{prefix}{old}: renamed to {prefix}{new}"
        for old, new in renamed.items()
        if f"{prefix}{old}" in os.environ
    ]
    if stale:
        raise StartupError(stale)
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise StartupError(describe_settings_error(exc, prefix)) from exc


def read_pipeline(file: Path) -> Pipeline:
    """The checked pipeline spec; `StartupError` with one problem a line (file:line: field)."""
    try:
        return load_pipeline(file)
    except SpecError as exc:
        # the first line only counts the problems; each further line names file, line, field
        lines = str(exc).splitlines()
        raise StartupError(lines[1:] or lines) from exc
