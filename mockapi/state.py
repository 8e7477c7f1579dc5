"""Everything mutable the server holds, in one object built by create_app, with reset()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockapi.caches import BoundedCache
from mockapi.catalogue import Catalogue
from mockapi.files_directory import DirectoryFileStore
from mockapi.files_store import FileStore, MemoryFileStore
from mockapi.files_store import Limits as FileLimits
from mockapi.fine_tuned_models import FineTunedModels
from mockapi.fixtures import load_rules
from mockapi.generators.drafting import DraftMemo
from mockapi.image_store import DirectoryImageStore, ImageStore, MemoryImageStore
from mockapi.journal import Journal
from mockapi.kept_clock import KeptClock, open_clock
from mockapi.prompt_cache import MAX_PREFIXES, PromptCache
from mockapi.ratelimit import Limiter, Limits, RateLimiter
from mockapi.recording import Recording
from mockapi.records import RecordStores
from mockapi.rulebook import RuleBook
from mockapi.seeding import Clock, Seeding
from mockapi.settings import Settings
from mockapi.shared import Board
from mockapi.shared.journal import SharedJournal
from mockapi.shared.limits import SharedPromptCache, SharedRateLimiter
from mockapi.shared.rules import META, SharedRuleBook

if TYPE_CHECKING:
    from mockapi.batch_runner import BatchRunner


def open_image_store(settings: Settings) -> ImageStore:
    """In the bucket of --files-url; else in memory, unless worker processes must share the images (then in
    their shared directory)."""
    bounds = (settings.image_cache_size, settings.image_cache_bytes, settings.image_url_ttl_seconds)
    if settings.files_url is not None:
        from mockapi.image_s3 import S3ImageStore
        from mockapi.s3_bucket import Bucket

        return S3ImageStore(Bucket(settings.files_url, settings.s3_endpoint_url), *bounds)
    shared = settings.shared_store_dir
    if shared is None:
        return MemoryImageStore(*bounds)
    return DirectoryImageStore(shared / "images", *bounds)


def open_file_store(settings: Settings, new_id: Callable[[], str], now: Callable[[], int]) -> FileStore:
    """In the bucket of --files-url; else in memory, unless files must outlive the process (--data-dir) or be
    shared by its workers. boto3 is loaded only for a bucket."""
    limits = FileLimits(settings.max_file_bytes, settings.org_storage_bytes, settings.total_storage_bytes)
    if settings.files_url is not None:
        from mockapi.files_s3 import S3FileStore
        from mockapi.s3_bucket import Bucket

        return S3FileStore(Bucket(settings.files_url, settings.s3_endpoint_url), limits, new_id, now)
    root = settings.data_dir or settings.shared_store_dir
    if root is None:
        return MemoryFileStore(limits, new_id, now)
    return DirectoryFileStore(root / "files", limits, new_id, now)


BOARD_NAME = "board.sqlite3"


def open_board(settings: Settings) -> Board | None:
    """Redis for --state-url; SQLite in the shared directory for several workers; else None (one process)."""
    if settings.state_url is not None:
        from mockapi.shared.redis import RedisBoard

        return RedisBoard(settings.state_url)
    shared = settings.shared_store_dir
    if shared is None:
        return None
    from mockapi.shared.sqlite import SQLiteBoard

    shared.mkdir(parents=True, exist_ok=True)
    return SQLiteBoard(shared / BOARD_NAME)


def discard_board(settings: Settings) -> None:
    """Workers start from an empty board, as one process starts with no runtime rules, counters or journal:
    a board left in the data directory by an earlier run is removed before they open it."""
    shared = settings.shared_store_dir
    if settings.state_url is None and shared is not None:
        for suffix in ("", "-wal", "-shm", ".lock"):
            (shared / (BOARD_NAME + suffix)).unlink(missing_ok=True)


@dataclass
class AppState:
    settings: Settings
    seeding: Seeding
    catalogue: Catalogue
    rules: RuleBook = field(default_factory=lambda: RuleBook([]))
    journal: Journal = field(default_factory=lambda: Journal(1000))
    limiter: Limiter = field(default_factory=lambda: Limiter(RateLimiter(60), Limits(), Seeding.monotonic))
    # The latest drafts of generated text, which repeated requests reuse.
    drafts: DraftMemo = field(default_factory=DraftMemo)
    # Request bodies as a router read them (checked, counted), by the bytes sent: a test suite or a load test
    # sends the same bodies again (routers/chat.py). Each counts four times its body's bytes.
    readings: BoundedCache = field(default_factory=lambda: BoundedCache(8 * 1024 * 1024, 1024))
    # The long prompt prefixes seen, for the cached tokens usage reports.
    prompt_cache: PromptCache = field(default_factory=PromptCache)
    # Record and replay (--upstream, --record, --mode), when asked for.
    recording: Recording | None = None
    images: ImageStore = field(init=False)
    files: FileStore = field(init=False)
    # Stored API objects (responses, vector stores, jobs...): `state.records("responses")`.
    records: RecordStores = field(init=False)
    # The models owners made by fine-tuning, which the routers' model checks consult beside the catalogue.
    fine_tuned: FineTunedModels = field(init=False)
    # Moves batches on the clock; made by create_app, as it answers their requests through the app.
    batches: BatchRunner | None = None
    # The state several processes share (rules, counters, journal, windows, clock), when they do.
    board: Board | None = None
    # The board's version and reset count this process last caught up with.
    _seen: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        # In memory, or on disk when they must outlive the process or be shared by its workers.
        self.images = open_image_store(self.settings)
        # File ids come from the seeded sequence; files expire on the clock.
        self.files = open_file_store(
            self.settings, lambda: self.seeding.next_id("file-", 24), lambda: self.seeding.now()
        )
        # In the data directory's database when objects must outlive the process or be shared by workers;
        # in Redis when replicas share them (--state-url).
        kept = self.settings.data_dir or self.settings.shared_store_dir
        self.records = RecordStores(kept, state_url=self.settings.state_url)
        # The clock too, where stored objects outlive the process: a restart resumes where it left off.
        self.seeding.clock = open_clock(
            self.settings, self.records, kept is not None or self.settings.state_url is not None
        )
        self.fine_tuned = FineTunedModels(self.records, self.catalogue, lambda: self.seeding.clock.time())

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        seeding = Seeding(
            settings.seed, settings.fixed_time, settings.id_salt, Clock(settings.fixed_time, settings.job_speed)
        )
        recording = Recording.open(settings)  # first: it makes the directory rules are recorded in
        catalogue = Catalogue.load(settings.fixture_dirs, seeding, settings.models)
        limits = Limits(settings.rpm, settings.tpm)
        board = open_board(settings)
        if board is None:
            return cls(
                settings,
                seeding,
                catalogue,
                RuleBook(load_rules(settings.fixture_dirs)),
                Journal(settings.journal_size),
                Limiter(RateLimiter(settings.rate_window_seconds), limits, seeding.monotonic),
                recording=recording,
            )
        state = cls(
            settings,
            seeding,
            catalogue,
            SharedRuleBook(load_rules(settings.fixture_dirs), board, lambda: load_rules(settings.fixture_dirs)),
            SharedJournal(settings.journal_size, board),
            # Windows on the wall clock, which every process reads alike.
            Limiter(SharedRateLimiter(settings.rate_window_seconds, board), limits, seeding.wall_time),
            prompt_cache=SharedPromptCache(board, MAX_PREFIXES),
            recording=recording,
            board=board,
        )
        state._seen = (board.count(META, "version"), board.count(META, "resets"))
        return state

    def sync(self) -> None:
        """Catch up with what processes sharing the state changed (their rules, clock, a reset): one read of
        the board's version per request, more only when it moved."""
        board = self.board
        if board is None:
            return
        version = board.count(META, "version")
        if version == self._seen[0]:
            return
        resets = board.count(META, "resets")
        if resets != self._seen[1]:
            self._reset_own()
        elif isinstance(self.seeding.clock, KeptClock):
            self.seeding.clock.resume()
        if isinstance(self.rules, SharedRuleBook):
            self.rules.refresh()
        self._seen = (version, resets)

    def changed(self) -> None:
        """Tell the processes sharing the state that it changed (the clock moved), so they catch up."""
        if self.board is not None:
            self._seen = (self.board.incr(META, "version"), self._seen[1])

    def reload(self) -> int:
        """Re-read the fixture directories' rules (all or nothing); answers how many there are."""
        rules = load_rules(self.settings.fixture_dirs)
        self.rules.replace_file_rules(rules)
        return len(rules)

    def reseed(self, seed: int) -> None:
        """Answers and ids from another seed, as if started with --seed SEED."""
        self.seeding = Seeding(seed, self.settings.fixed_time, self.settings.id_salt, self.seeding.clock)

    def reset(self) -> None:
        """Back to the state of a fresh start, as far as requests can change it: runtime rules, sequence
        counters and `times` budgets, the journal, rate-limit windows, stored images and files, remembered
        drafts, cached prompts, stored objects, the clock, the seeded id sequence."""
        self.rules.reset()
        self.journal.clear()
        self.limiter.clear()
        self.images.clear()
        self.files.clear()
        self.records.clear()
        if self.batches is not None:
            self.batches.clear()
        self.prompt_cache.clear()
        self._reset_own()
        if self.board is not None:
            self._seen = (self.board.incr(META, "version"), self.board.incr(META, "resets"))

    def _reset_own(self) -> None:
        """What each process keeps for itself: drafts and readings, the clock's reading, the seeded id sequence."""
        self.drafts.clear()
        self.readings.clear()
        kept = self.settings.data_dir or self.settings.shared_store_dir
        self.seeding.clock = open_clock(
            self.settings, self.records, kept is not None or self.settings.state_url is not None
        )
        self.reseed(self.settings.seed)
