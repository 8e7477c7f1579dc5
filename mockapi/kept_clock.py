"""The clock of a server that keeps its state in a directory (--data-dir, or the one its workers share):
where the clock stood is kept beside the stored objects, so a restart resumes where the clock left it. Jobs
that were running do not go back to where they stood at --fixed-time, nor lose the seconds advanced.

A reading (clock time, wall time) is kept at start and at every advance; between readings the clock runs at
its speed, so the last reading extrapolates it exactly: a restart resumes at reading + speed x the wall
seconds since it. A clock that stands still resumes where it stood; one at real time as if it had run on.
"""

from __future__ import annotations

from mockapi.records import Records, RecordStores
from mockapi.seeding import Clock, Seeding
from mockapi.settings import Settings

KIND = "clock"
# No caller is ever this owner (callers are "org:..." or "key:...").
OWNER = ""
READING = "reading"


class KeptClock(Clock):
    __slots__ = ("_records",)

    def __init__(self, records: Records, fixed_time: int | None = None, speed: float | None = None) -> None:
        super().__init__(fixed_time, speed)
        self._records = records
        kept = records.get(OWNER, READING)
        if kept is not None:
            resumed = float(kept["now"]) + self.speed * max(0.0, Seeding.wall_time() - float(kept["wall"]))
            self._origin, self._started, self._advanced = max(resumed, self._origin), Seeding.monotonic(), 0.0
        self._keep()

    def resume(self) -> None:
        """Stand where the kept reading says, as another process that shares it moved the clock."""
        kept = self._records.get(OWNER, READING)
        if kept is not None:
            self.speed = float(kept.get("speed", self.speed))
            resumed = float(kept["now"]) + self.speed * max(0.0, Seeding.wall_time() - float(kept["wall"]))
            self._origin, self._started, self._advanced = resumed, Seeding.monotonic(), 0.0

    def advance(self, seconds: float) -> float:
        now = super().advance(seconds)
        self._keep()
        return now

    def pin(self, fixed_time: int) -> None:
        super().pin(fixed_time)
        self._keep()

    def _keep(self) -> None:
        self._records.put(OWNER, READING, {"now": self.time(), "wall": Seeding.wall_time(), "speed": self.speed}, 0)


def open_clock(settings: Settings, records: RecordStores, kept: bool) -> Clock:
    """A kept clock when stored objects outlive the process or are shared by workers; else a plain one."""
    if not kept:
        return Clock(settings.fixed_time, settings.job_speed)
    return KeptClock(records(KIND), settings.fixed_time, settings.job_speed)
