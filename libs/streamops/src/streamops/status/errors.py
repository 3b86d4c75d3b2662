"""The one error of `streamops.status`: the pipeline cannot be looked at."""

from __future__ import annotations


class StatusError(Exception):
    """The cluster, the registry or the pipeline's topics cannot be read; the message says
    which, and what to check."""
