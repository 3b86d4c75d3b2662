"""``streamops schemas``: generate the contract types and check schema compatibility."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka.schema_registry import SchemaRegistryClient
from pydantic import ValidationError

from streamops.cli.options import RegistryUrl
from streamops.contracts import SCHEMA_DIR, ContractError
from streamops.contracts.check import check_schemas
from streamops.contracts.codegen import TYPES_PATH, generate_types, write_types
from streamops.contracts.compat import RegistryCompatibility
from streamops.settings import SchemaRegistrySettings

app = typer.Typer(
    help="The platform Avro contracts (schemas/platform/*.avsc).", no_args_is_help=True
)

SchemaDir = Annotated[
    Path | None,
    typer.Option(
        "--schema-dir",
        file_okay=False,
        help=f"Directory of .avsc files to use instead of {SCHEMA_DIR}.",
    ),
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def codegen(
    schema_dir: SchemaDir = None,
    output: Annotated[
        Path, typer.Option("--output", dir_okay=False, help="The module to write.")
    ] = TYPES_PATH,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 when the module is out of date."),
    ] = False,
) -> None:
    """(Re)write the TypedDicts of streamops.contracts.types from the schemas."""
    try:
        if check:
            current = output.read_text(encoding="utf-8") if output.is_file() else ""
            if current != generate_types(schema_dir):
                typer.echo(f"{output} is out of date: run `streamops schemas codegen`", err=True)
                raise typer.Exit(1)
            typer.echo(f"{output} is up to date")
            return
        changed = write_types(output, schema_dir)
    except ContractError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"{'wrote' if changed else 'unchanged'} {output}")


@app.command()
def check(
    registry_url: RegistryUrl = None,
    schema_dir: SchemaDir = None,
    subject_prefix: Annotated[
        str,
        typer.Option(
            "--subject-prefix",
            help="Prepended to every subject, to check against a separate set of subjects "
            "in a shared registry.",
        ),
    ] = "",
) -> None:
    """Fail (exit 1) when a schema is not BACKWARD compatible with its previous versions.

    Each schema is compared with the latest version under its subject (the record's full
    name, e.g. streamops.platform.Alert) in the registry, and with its version at git HEAD
    when the file changed since. Exit 2 means the check could not run.
    """
    try:
        settings = (
            SchemaRegistrySettings()
            if registry_url is None
            else SchemaRegistrySettings(url=registry_url)
        )
    except ValidationError as exc:
        raise _fail(f"bad schema registry settings: {exc}") from exc
    registry = RegistryCompatibility(SchemaRegistryClient(settings.client_config()), settings.url)
    try:
        results = check_schemas(registry, schema_dir, subject_prefix)
    except ContractError as exc:
        raise _fail(str(exc)) from exc
    for result in results:
        typer.echo(result.describe(), err=result.compatible is False)
    failed = sum(result.compatible is False for result in results)
    if failed:
        typer.echo(f"{failed} incompatible change(s); see FAIL above", err=True)
        raise typer.Exit(1)
    compared = sum(result.compatible is True for result in results)
    typer.echo(
        f"{len({result.schema for result in results})} schemas: {compared} comparison(s) "
        f"BACKWARD compatible, {len(results) - compared} skipped (nothing to compare with)"
    )
