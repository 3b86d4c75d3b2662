"""streamops features service: per-entity window features from {p}.events.valid to
{p}.features, computed by `streamops.features` on the stateful stream runtime."""
