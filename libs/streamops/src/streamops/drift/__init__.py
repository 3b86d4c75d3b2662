"""Drift statistics for monitoring: binned counts, tests, and their calibration."""

from streamops.drift.binning import OTHER, Binning, binning, labels_of
from streamops.drift.calibrate import NullModel, corrected, null_model
from streamops.drift.stats import STATISTICS, drifted

__all__ = [
    "OTHER",
    "STATISTICS",
    "Binning",
    "NullModel",
    "binning",
    "corrected",
    "drifted",
    "labels_of",
    "null_model",
]
