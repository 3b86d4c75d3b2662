"""Settling the alerts a retrain answered without changing the champion.

A retrain the gates rejected says the champion handles what the alert is about (e.g. a
covariate drift its trees cope with). No job starts for that alert again (an alert is
answered once), and with the spec's ``retraining.not_promoted: acknowledge`` (the
default) training writes it again as ACKNOWLEDGED, with the run that answered it, so that
whoever reads the alerts topic sees it settled. Monitoring still writes its RESOLVED
event when the condition ends.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from streamops.contracts.types import Alert


def acknowledgements(
    alerts: Mapping[str, Alert],
    answered: Iterable[str],
    run_id: str,
    reason: str,
    champion: int | None,
    now: datetime.datetime,
) -> list[Alert]:
    """The ACKNOWLEDGED records of the ``answered`` alerts whose latest record is OPEN."""
    kept = f"champion v{champion} kept" if champion is not None else "no champion"
    out: list[Alert] = []
    for alert_id in answered:
        alert = alerts.get(alert_id)
        if alert is None or alert["state"] != "OPEN":
            continue
        details = {**(alert.get("details") or {}), "acknowledged_by_run": run_id}
        out.append(
            {
                **alert,
                "state": "ACKNOWLEDGED",
                "message": f"acknowledged: retrained for it, not promoted ({reason}); {kept}",
                "details": details,
                "emitted_at": now,
            }
        )
    return out
