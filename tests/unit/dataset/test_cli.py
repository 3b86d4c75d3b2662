"""`streamops dataset build` without a broker: the cut-off option and the exits with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamops.cli import app
from streamops.cli.dataset import EXIT_ERROR, parse_cutoff
from tests.support.kafka import free_port
from tests.support.pipelines import private_pipeline

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1767225600000", 1_767_225_600_000),
        ("2026-01-01T00:00:00Z", 1_767_225_600_000),
        ("2026-01-01T01:00:00.250+01:00", 1_767_225_600_250),
        ("2026-01-01T00:00:00", 1_767_225_600_000),  # no offset: UTC
        ("2026-01-01", 1_767_225_600_000),
    ],
)
def test_the_cut_off_is_iso_8601_or_epoch_ms(text: str, ms: int) -> None:
    assert parse_cutoff(text) == ms


def build(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["dataset", "build", *args])
    return result.exit_code, result.output


def test_a_bad_cut_off_is_refused(tmp_path: Path) -> None:
    pipeline = private_pipeline(tmp_path, "ds")
    code, output = build("-p", str(pipeline.file), "--out", str(tmp_path / "x"), "--until", "soon")
    assert code == EXIT_ERROR
    assert "--until 'soon': give ISO-8601" in output


def test_until_and_same_as_exclude_each_other(tmp_path: Path) -> None:
    code, output = build(
        "-p", "p.yaml", "--out", "x", "--until", "1", "--same-as", str(tmp_path / "old")
    )
    assert code == EXIT_ERROR
    assert "exclude each other" in output


def test_a_bad_spec_exits_2_naming_the_problem(tmp_path: Path) -> None:
    code, output = build("-p", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "x"))
    assert code == EXIT_ERROR
    assert "missing.yaml" in output and "cannot read the file" in output


@pytest.mark.parametrize("section", ["labels", "features"])
def test_a_spec_without_features_or_labels_cannot_make_a_training_set(
    tmp_path: Path, section: str
) -> None:
    # the fraud example minus one section
    full = private_pipeline(tmp_path, "ds").file.read_text()
    start = full.index(f"\n{section}:")
    end = full.index("\n\n", start + 1)
    spec = tmp_path / "partial.yaml"
    spec.write_text(full[:start] + full[end:])
    code, output = build("-p", str(spec), "--out", str(tmp_path / "x"))
    assert code == EXIT_ERROR
    assert f"has no {section} section" in output


def test_an_unreachable_cluster_exits_2_with_the_address(tmp_path: Path) -> None:
    pipeline = private_pipeline(tmp_path, "ds")
    address = f"127.0.0.1:{free_port()}"
    code, output = build(
        "-p",
        str(pipeline.file),
        "--out",
        str(tmp_path / "x.parquet"),
        "--bootstrap-servers",
        address,
        "--timeout",
        "1",
    )
    assert code == EXIT_ERROR
    assert "cannot reach the Kafka cluster" in output and address in output
    assert not (tmp_path / "x.parquet").exists()
