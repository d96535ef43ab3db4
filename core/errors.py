"""The one error type users see: a sentence naming the node, the cause and the fix."""
from __future__ import annotations


class LatentDirectionsError(ValueError):
    """Raised with one clear sentence: '<node>: <cause>. <fix>.'"""

    def __init__(self, node: str, cause: str, fix: str):
        self.node, self.cause, self.fix = node, cause.rstrip("."), fix.rstrip(".")
        super().__init__(f"{node}: {self.cause}. {self.fix}.")
