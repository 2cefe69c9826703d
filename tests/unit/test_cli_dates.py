"""Dates on the command line are written as the records write theirs, YYYY-MM-DD: Python's
``date.fromisoformat`` alone also takes ``20250101`` and ``2025-W01-1``, while the refusal
said YYYY-MM-DD."""

from __future__ import annotations

import argparse
from datetime import date

import pytest

from api.cli.output import date_arg


def test_a_date_written_yyyy_mm_dd_is_taken() -> None:
    assert date_arg("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize("text", ["20250101", "2025-W01-1", "2025-1-01", "2025-02-30", ""])
def test_other_forms_are_refused_naming_the_form(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="YYYY-MM-DD"):
        date_arg(text)
