"""Settling the alerts a retrain answered without changing the champion.

A retrain the gates rejected says the champion handles what the alert is about (e.g. a
covariate drift its trees cope with). No job starts for that alert again unless it
grows (`Triggers.alert`), and with the spec's ``retraining.not_promoted: acknowledge`` (the
default) training writes it again as ACKNOWLEDGED, with the run that answered it, so that
whoever reads the alerts topic sees it settled. Monitoring still writes its RESOLVED
event when the condition ends.

With ``refresh_reference``, an alert about drift from the champion's reference
(`REFRESHED_KINDS`) is settled by a REFRESH deployment event instead: monitoring takes the
traffic of the next window it judges as the champion's new reference, so the alert
resolves as the traffic settles, and a later drift from there opens a new one. The
other kinds say nothing a reference could answer and are acknowledged.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from streamops.contracts.types import Alert, AlertKind

#: The alert kinds that measure drift from the champion's reference profile.
REFRESHED_KINDS: tuple[AlertKind, ...] = ("DATA_DRIFT", "PREDICTION_DRIFT")


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


def refreshed(alerts: Mapping[str, Alert], answered: Iterable[str]) -> list[Alert]:
    """The ``answered`` alerts still OPEN that a refreshed reference settles."""
    found = (alerts.get(alert_id) for alert_id in answered)
    return [a for a in found if a and a["state"] == "OPEN" and a["kind"] in REFRESHED_KINDS]


def refresh_reason(alerts: Iterable[Alert], run_id: str, reason: str) -> str:
    """The REFRESH event's reason: the alerts it settles and the run that was not promoted."""
    named = ", ".join(f"{a['kind']} {a['alert_id']}" for a in alerts)
    return (
        f"retrained for {named} in run {run_id}, not promoted ({reason}): the champion handles it"
    )
