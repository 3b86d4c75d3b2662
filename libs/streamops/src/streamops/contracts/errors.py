"""The exceptions of `streamops.contracts`, each with a message a user can act on."""

from __future__ import annotations

from streamops.serde.avro import RegistryUnavailable


class ContractError(Exception):
    """Base class of every error about the platform's Avro contracts."""


class SchemaDirectoryNotFoundError(ContractError):
    """No directory with the platform .avsc files exists where the loader looks."""


class UnknownSchemaError(ContractError, LookupError):
    """A schema name that has no .avsc file."""


class InvalidSchemaError(ContractError, ValueError):
    """An .avsc file that is not valid JSON or not a valid Avro schema."""


class CodegenError(ContractError):
    """The schemas cannot be turned into Python types (e.g. two definitions of one name)."""


class RegistryUnavailableError(ContractError, RegistryUnavailable):
    """The schema registry could not be reached or answered with an unexpected error.

    Also a ``streamops.serde.RegistryUnavailable``: one exception to catch for "the
    registry is down", whichever part of the library asked it.
    """
