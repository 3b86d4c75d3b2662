"""Event ids stamped on events that come without one: a prefix and random hex digits, shaped
to pass the spec.

The format is taken, in order, from the caller's settings (ingestion's
``STREAMOPS_INGESTION_ID_PREFIX`` / ``_ID_HEX_DIGITS``), from the spec's ``regex`` on the id
field when it has the shape ``<prefix>[0-9a-f]{N}`` (fraud's ``tx-[0-9a-f]{16}`` gives ``tx-``
+ 16 hex digits), else 32 hex digits and no prefix (as random as a uuid4). Whatever the
source, a sample id is checked against the spec's regex and max_length at start-up, so no id
is ever stamped that validation would reject.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from streamops.events.errors import EventConfigError
from streamops.pipeline import PipelineSpec

DEFAULT_HEX_DIGITS = 32
# <literal prefix>[0-9a-f]{N}, optionally anchored; the prefix may escape . - _ / :
_HEX_ID = re.compile(
    r"\^?(?P<prefix>(?:[A-Za-z0-9_:/-]|\\[.\-_/:])*)"
    r"\[(?:0-9a-f|a-f0-9|0-9a-fA-F|0-9A-Fa-f|a-fA-F0-9|A-Fa-f0-9)\]"
    r"\{(?P<digits>\d+)\}\$?"
)


@dataclass(frozen=True)
class IdFormat:
    """Ids are ``prefix`` followed by ``hex_digits`` random lowercase hex digits."""

    prefix: str = ""
    hex_digits: int = DEFAULT_HEX_DIGITS

    def new_id(self) -> str:
        """A fresh id from the OS's random source."""
        return self.prefix + os.urandom((self.hex_digits + 1) // 2).hex()[: self.hex_digits]


def id_format_for(
    spec: PipelineSpec, prefix: str | None = None, hex_digits: int | None = None
) -> IdFormat:
    """The id format of ``spec``'s events (see the module doc); raises EventConfigError when
    the ids would break the spec's own rules on the id field."""
    field = spec.event.id_field
    rules = spec.expectations.fields.get(field)
    regex = rules.regex if rules else None
    if prefix is not None or hex_digits is not None:
        found = IdFormat(prefix or "", hex_digits or DEFAULT_HEX_DIGITS)
    elif regex and (match := _HEX_ID.fullmatch(regex)):
        found = IdFormat(match["prefix"].replace("\\", ""), int(match["digits"]))
    else:
        found = IdFormat()
    sample = found.new_id()
    if regex and re.fullmatch(regex, sample) is None:
        raise EventConfigError(
            f"stamped ids such as {sample!r} would not match the spec's regex {regex!r} on "
            f"{field}: set STREAMOPS_INGESTION_ID_PREFIX and STREAMOPS_INGESTION_ID_HEX_DIGITS"
        )
    if rules and rules.max_length is not None and len(sample) > rules.max_length:
        raise EventConfigError(
            f"stamped ids such as {sample!r} are longer than the spec's max_length "
            f"{rules.max_length} on {field}: lower STREAMOPS_INGESTION_ID_HEX_DIGITS"
        )
    return found
