"""A rebuild's or verify's forked worker that loses the store: the command ends with the one
"unreachable" line and exit 3 (ADR 0022), as the single-process path does. A worker used to
print "rebuild worker for part N failed: ..." on standard output (into ``--json``) and the
parent raised ``RuntimeError: rebuild: 2 worker(s) failed``, a traceback with exit 1.

The workers are pointed at a port nothing listens on: the same failure as a server stopped
under them, without stopping one.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from domain.application.outage import StoreUnavailable
from domain.application.replay_check import Local, Shared, _forked_check, run_workers
from tests.support.server import free_port


def test_a_worker_that_loses_the_store_ends_the_command_with_the_outage(
    capfd: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    context = multiprocessing.get_context("fork")
    shared = Shared(context.Value("q", 0), context.Value("b", 0))
    results = context.SimpleQueue()
    workers = [
        context.Process(target=_forked_check, args=(url, part, 10, shared, results), daemon=True)
        for part in range(2)
    ]
    with pytest.raises(StoreUnavailable) as raised:
        run_workers("verify", workers, lambda: None, shared, 10, None, results)
    assert raised.value.store == url
    assert raised.value.line().endswith("run the same command again to resume")
    out, err = capfd.readouterr()
    assert out == ""  # nothing on stdout, which may be carrying JSON
    assert "worker for part" not in err


def test_a_worker_that_fails_otherwise_is_named_on_stderr(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    context = multiprocessing.get_context("fork")
    shared = Shared(Local(), Local())
    results = context.SimpleQueue()
    missing = str(tmp_path / "missing" / "x.db")  # a worker creates nothing, not even a folder
    workers = [
        context.Process(target=_forked_check, args=(missing, 0, 10, shared, results), daemon=True)
    ]
    with pytest.raises(RuntimeError, match="1 worker"):
        run_workers("verify", workers, lambda: None, shared, 10, None, results)
    out, err = capfd.readouterr()
    assert out == ""
    assert "verify worker for part 0 failed" in err
    assert not (tmp_path / "missing").exists()
