"""The Open Inference Protocol (KServe V2) REST data plane: request and response codec."""
