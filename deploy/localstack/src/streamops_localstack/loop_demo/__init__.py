"""`make demo`: the closed loop on the fraud example, played on the local stack in minutes."""

from streamops_localstack.loop_demo.plan import DemoPlan
from streamops_localstack.loop_demo.play import Outcome, play, play_loop

__all__ = ["DemoPlan", "Outcome", "play", "play_loop"]
