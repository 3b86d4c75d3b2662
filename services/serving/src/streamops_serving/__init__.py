"""streamops serving service.

Online predictions over HTTP (REST and KServe V2) and stream scoring with ONNX Runtime.
"""
