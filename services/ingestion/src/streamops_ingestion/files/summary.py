"""The end-of-ingest summary a person reads: counts, reasons, the first rejected rows."""

from __future__ import annotations

from pathlib import Path

from streamops_ingestion.files.ingest import IngestReport


def render_summary(report: IngestReport, topic: str, rejects: Path | None) -> str:
    """Plain text, one fact per line, numbers aligned."""
    rate = report.rows_read / report.seconds if report.seconds > 0 else 0.0
    lines = [
        _fact("rows read", f"{report.rows_read:,}"),
        _fact("produced", f"{report.produced:,}", f"to {topic}"),
        _fact("rejected", f"{report.rejected:,}"),
    ]
    lines += [_fact(f"  {r}", f"{n:,}") for r, n in report.by_reason.most_common()]
    if report.delivery_failed:
        lines.append(
            _fact(
                "NOT DELIVERED",
                f"{report.delivery_failed:,}",
                "Kafka did not acknowledge these rows: they are not in the topic",
            )
        )
    lines.append(_fact("elapsed", f"{report.seconds:.1f} s", f"({rate:,.0f} rows/s)"))
    if report.first_rejected:
        lines.append("")
        lines.append(f"first rejected rows (of {report.rejected:,}):")
        for rejected in report.first_rejected:
            lines.append(f"  row {rejected.row}: " + "; ".join(e.message for e in rejected.errors))
    if report.first_delivery_errors:
        lines.append("")
        lines.append("first delivery errors:")
        for row, error in report.first_delivery_errors:
            lines.append(f"  row {row}: {error}" if row else f"  {error}")
    lines.append("")
    if report.read_error is not None:
        lines.append(
            f"STOPPED after row {report.rows_read:,}: the rest of the file could not "
            f"be read ({report.read_error})."
        )
    if not report.ok:
        lines.append(
            "FAILED: some valid rows are not in Kafka; run the ingest again for them "
            "(rows already written would be written twice unless they carry ids)."
        )
    elif report.rejected:
        where = f"every one is in {rejects}" if rejects else "pass --rejects FILE to list them all"
        lines.append(
            f"done: every valid row is in Kafka; {report.rejected:,} rows were rejected "
            f"for their data (not a failure; {where})."
        )
    else:
        lines.append("done: every row is in Kafka.")
    return "\n".join(lines)


def _fact(label: str, value: str, note: str = "") -> str:
    """``label`` padded, ``value`` right-aligned, an optional note after it."""
    return f"{label:<17}{value:>10}" + (f"   {note}" if note else "")
