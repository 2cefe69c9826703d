"""The long-running commands log to the standard error of the moment: a handler bound to the
stream it was made with outlived it wherever a command ran in-process (pytest's capture),
and every later record was a "--- Logging error --- I/O operation on closed file"."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from api.logs import FORMAT, CurrentStderr


def test_a_record_goes_to_the_standard_error_of_the_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the handler made while one stream was standard error, which is then closed
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = CurrentStderr()
    handler.setFormatter(logging.Formatter(FORMAT))
    first.close()
    # when a record is emitted after standard error became another stream
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    handler.emit(logging.LogRecord("fivestar", logging.INFO, __file__, 1, "caught up", (), None))
    # then it is written there, and nothing fails on the closed one
    assert second.getvalue() == "INFO: fivestar: caught up\n"
