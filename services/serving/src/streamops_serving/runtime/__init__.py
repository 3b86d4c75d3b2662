"""Model runtimes: what loads a model's artifact and predicts with it (`base.ModelRuntime`)."""
