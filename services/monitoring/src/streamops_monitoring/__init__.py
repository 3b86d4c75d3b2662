"""streamops monitoring service.

Drift, data-quality and model-performance monitoring; alerts to {p}.alerts.
"""
