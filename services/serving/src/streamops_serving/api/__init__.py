"""The HTTP side of serving: REST, the Open Inference Protocol (V2), probes and metrics."""
