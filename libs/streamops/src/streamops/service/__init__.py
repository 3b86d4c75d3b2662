"""The one service entry: how every streamops service process starts.

Logging in one format (`configure_logging`, ``STREAMOPS_LOG_*``), settings that fail
naming the variable and a spec that fails naming field and line (exit 2, `ServiceEntry`),
one health port name (``STREAMOPS_<SERVICE>_HEALTH_PORT``, `ServiceSettings`), the
pipeline's topics from the catalog (`ensure_pipeline_topics`), waiting out an unreachable
registry or cluster (`retry_while_unavailable`), and the warning when the native Avro
codec is missing. ``services/*/service.py`` start with `start_service`.
"""

from streamops.service.entry import (
    EXIT_CANNOT_START,
    ServiceEntry,
    start_service,
    warn_without_native_codec,
)
from streamops.service.logs import configure_logging
from streamops.service.retry import UNAVAILABLE, Backoff, retry_while_unavailable
from streamops.service.settings import (
    LogSettings,
    ServiceSettings,
    StartupError,
    describe_settings_error,
    read_pipeline,
    read_settings,
)
from streamops.service.topics import ensure_pipeline_topics

__all__ = [
    "EXIT_CANNOT_START",
    "UNAVAILABLE",
    "Backoff",
    "LogSettings",
    "ServiceEntry",
    "ServiceSettings",
    "StartupError",
    "configure_logging",
    "describe_settings_error",
    "ensure_pipeline_topics",
    "read_pipeline",
    "read_settings",
    "retry_while_unavailable",
    "start_service",
    "warn_without_native_codec",
]
