"""The one exception type of the local stack; its message says what to do."""


class LocalStackError(RuntimeError):
    """The local Kafka broker or schema registry could not be fetched, started or stopped."""
