"""streamops training service.

Trains, exports to ONNX, gates and promotes models from {p}.features and {p}.labels.
"""
