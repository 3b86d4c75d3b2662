"""The spec's PII treatment, applied to every event before it reaches Kafka."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from streamops.pipeline.spec import PiiSpec


class MissingSaltError(RuntimeError):
    """salted_hash is used but the salt's environment variable is not set."""


class PiiTreatment:
    """Drops, salt-hashes (HMAC-SHA256, hex) or masks the spec's PII fields of a record."""

    def __init__(self, spec: PiiSpec, salt: str | None = None) -> None:
        self.fields = dict(spec.fields)
        self.keep_last = spec.mask_keep_last
        if salt is None and "salted_hash" in self.fields.values():
            salt = os.environ.get(spec.salt_env)
            if not salt:
                hashed = sorted(k for k, v in self.fields.items() if v == "salted_hash")
                raise MissingSaltError(
                    f"the spec salt-hashes {hashed}: set the salt in ${spec.salt_env} (any "
                    "secret string, the same for every ingestion replica, so that equal values "
                    "hash equal)"
                )
        self._key = (salt or "").encode()

    def apply(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``record`` with the PII fields treated (None stays None)."""
        out = dict(record)
        for name, treatment in self.fields.items():
            value = out.get(name)
            if treatment == "drop":
                out[name] = None
            elif value is None:
                continue
            elif treatment == "salted_hash":
                out[name] = hmac.new(self._key, str(value).encode(), hashlib.sha256).hexdigest()
            else:  # mask: keep the last few characters, so people can still tell values apart
                text = str(value)
                visible = text[-self.keep_last :] if self.keep_last else ""
                out[name] = "*" * (len(text) - len(visible)) + visible
        return out
