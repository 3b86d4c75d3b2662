"""streamops training service.

Trains, exports to ONNX, gates and promotes models from {p}.features and {p}.labels.
"""

import os

# OpenMP (scikit-learn's fits) reads this when it loads, before any submodule imports it:
# idle worker threads sleep instead of spinning, which on a busy machine slowed a 2-thread
# fit 3-10x (docs/benchmarks.md, "Training"). An explicit setting is left alone.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
