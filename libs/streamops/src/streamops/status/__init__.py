"""The status of a running pipeline: topic counts and rates, consumer lag, the champion,
open alerts (and a retrain held for their rows) and the rolling primary metric
(`streamops status P`, and the demo's view).

`StatusView` is the live view (a rich renderable with `update` and `run`); `StatusReader`
takes the looks; `build_snapshot` derives a `Snapshot` from them without Kafka or a
terminal; `render_snapshot` draws one.
"""

from streamops.status.errors import StatusError
from streamops.status.reader import MONITORING_METRICS_URL, TRAINING_METRICS_URL, StatusReader
from streamops.status.render import render_snapshot
from streamops.status.snapshot import Observation, Snapshot, build_snapshot
from streamops.status.view import StatusView

__all__ = [
    "MONITORING_METRICS_URL",
    "TRAINING_METRICS_URL",
    "Observation",
    "Snapshot",
    "StatusError",
    "StatusReader",
    "StatusView",
    "build_snapshot",
    "render_snapshot",
]
