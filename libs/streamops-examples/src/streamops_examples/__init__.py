"""Example data sources for the pipelines shipped in ``deploy/pipelines/`` (e.g. ``fraud``)."""
