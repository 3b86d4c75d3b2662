"""The consume-transform-produce runtime shared by the stream stages."""

from streamops.runtime.batch import tune_garbage_collector
from streamops.runtime.records import (
    BatchResult,
    ErrorKind,
    InRecord,
    OutRecord,
    Reason,
    Rejection,
    Transform,
)
from streamops.runtime.settings import ProcessingGuarantee, StreamSettings
from streamops.runtime.stage import Stage

__all__ = [
    "BatchResult",
    "ErrorKind",
    "InRecord",
    "OutRecord",
    "ProcessingGuarantee",
    "Reason",
    "Rejection",
    "Stage",
    "StreamSettings",
    "Transform",
    "tune_garbage_collector",
]
