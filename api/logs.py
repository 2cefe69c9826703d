"""Logging of the long-running commands (``serve``, ``project``): INFO and up to standard
error, as ``logging.basicConfig`` would, except that the handler writes to whatever
``sys.stderr`` is when a record is emitted. A handler bound to the stream of the moment it was
made outlives that stream wherever the command runs in-process (the tests run it so, under
pytest's capture): later records then failed with "--- Logging error --- I/O operation on
closed file" instead of being written."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

FORMAT = "%(levelname)s: %(name)s: %(message)s"


class CurrentStderr(logging.StreamHandler[TextIO]):
    """A ``StreamHandler`` on the current ``sys.stderr`` (as logging's own last resort)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:  # StreamHandler sets it: the current one wins
        pass


def configure() -> None:
    """INFO and up to the current standard error, once per process (as ``basicConfig``)."""
    logging.basicConfig(level=logging.INFO, format=FORMAT, handlers=[CurrentStderr()])
