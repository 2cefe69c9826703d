"""Tuning and the clock, injected into ``Ledger`` and ``FiveStar`` rather than read from
module globals, so a test or a deployment changes them without patching code.

``Settings.from_env()`` reads ``FIVESTAR_<FIELD>`` variables (for example
``FIVESTAR_IMPORT_BATCH_SIZE=50``), which is how a command-line run is tuned; code that builds
a service itself passes ``Settings(...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError


def utc_now() -> datetime:
    return datetime.now(UTC)


class SettingsError(ValueError):
    """A ``FIVESTAR_<FIELD>`` variable that is not a valid value of its setting."""


class Settings(BaseModel):
    """Every knob of the write side and the projection runner, with its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clock: Callable[[], datetime] = utc_now
    """Wall clock for recording times (the ledger keeps them strictly increasing)."""
    business_utc_offset_hours: int = Field(8, ge=-12, le=14)
    """Where "today" is: the business date D that compliance, cases and the ladder are
    judged on when none is given is the clock's date at this offset from UTC. Puyang keeps
    China Standard Time (UTC+8, no daylight saving), so between 00:00 and 08:00 there the
    day is already the next one, whatever the server's own time zone."""
    branch_cache_size: int = Field(2000, ge=1)
    """Branch states the ledger keeps in memory between batches."""
    branch_cache_events: int = Field(300_000, ge=1)
    """Events the cached branch states may hold in all (a state's memory grows with its
    events, ~180-300 bytes each): with ``branch_cache_size`` and ``import_park_mb``, what
    bounds an import's memory whatever the ledger's size (ADR 0021, ADR 0030)."""
    import_park_mb: int = Field(64, ge=0)
    """MiB of evicted branch states an import keeps in its own memory, packed (msgpack),
    instead of writing their snapshots to the store and reading them back when the branch
    comes round again; evictions beyond it are snapshotted to the store (ADR 0030). 0: none."""
    snapshot_after: int = Field(40, ge=1)
    """Unused since ADR 0021 (every evicted branch that changed is snapshotted, so a reload
    replays nothing); kept so settings and environments that name it stay valid."""
    import_batch_size: int = Field(5000, ge=1)
    """Lines of an import file decided and committed in one transaction."""
    import_cache_mb: int = Field(48, ge=0)
    """MiB of SQLite page cache the ledger's write connection has during an import (0:
    SQLite's default, 2 MB): the batches' inserts into the events' and the leaves' indexes
    then stop re-reading and spilling the same pages (peak memory grows by up to this)."""
    import_follower_bytes: int = Field(4_000_000, ge=0)
    """Import files of at least this many bytes are projected by a forked process that
    follows the ledger during the import (ADR 0021); smaller ones in the importing one."""
    import_projector_nice: int = Field(5, ge=0, le=19)
    """Niceness added to that forked projector. Deciding records is the import's critical
    path and the projector can catch up behind it: at 6,000 branches the importing process
    ran 84% of the time with the projector at equal priority (three processes on two cores),
    and the import took about 3% less time with this at 5 (ADR 0030). 0: equal priority."""
    import_writer: bool = True
    """With the follower: a second forked process commits each batch while the importing
    one decides the next (ADR 0027); off, the importing process commits them itself."""
    projection_batch_size: int = Field(20_000, ge=1)
    """Events the projection runner applies to the read models in one transaction."""
    rebuild_group: int = Field(500, ge=1)
    """Branch streams a rebuild commits in one transaction."""
    rebuild_workers: int = Field(2, ge=1)
    """Forked processes a rebuild works the stream key space with (1: in this process)."""

    def today(self) -> date:
        """The business date now (``business_utc_offset_hours``), from the injected clock."""
        return (self.clock() + timedelta(hours=self.business_utc_offset_hours)).date()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by ``FIVESTAR_<FIELD>`` variables for the numeric fields."""
        environ = os.environ if environ is None else environ
        values = {
            name: environ[f"FIVESTAR_{name.upper()}"]
            for name in cls.model_fields
            if name != "clock" and f"FIVESTAR_{name.upper()}" in environ
        }
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [
                f"FIVESTAR_{str(e['loc'][0]).upper()}={e.get('input')!r}: {e['msg']}"
                for e in exc.errors()
            ]
            raise SettingsError("setting " + "; ".join(problems)) from None
