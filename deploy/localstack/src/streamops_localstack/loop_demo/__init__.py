"""`make demo`: the closed loop on the fraud example, played on the local stack in minutes."""

from streamops_localstack.loop_demo.play import play

__all__ = ["play"]
