"""Everything mutable the server holds, in one object built by create_app, with reset()."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockapi.catalogue import Catalogue
from mockapi.files_store import FileStore, open_file_store
from mockapi.fixtures import RuleBook, load_rules
from mockapi.image_store import ImageStore
from mockapi.seeding import Seeding
from mockapi.settings import Settings


@dataclass
class AppState:
    settings: Settings
    seeding: Seeding
    catalogue: Catalogue
    rules: RuleBook = field(default_factory=lambda: RuleBook([]))
    images: ImageStore = field(init=False)
    files: FileStore = field(init=False)

    def __post_init__(self) -> None:
        self.images = ImageStore.from_settings(self.settings)
        # In memory, or in settings.data_dir; file ids come from the seeded sequence.
        self.files = open_file_store(self.settings, lambda: self.seeding.next_id("file-", 24))

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        seeding = Seeding(settings.seed, settings.fixed_time)
        catalogue = Catalogue.load(settings.fixture_dirs, seeding)
        return cls(settings, seeding, catalogue, RuleBook(load_rules(settings.fixture_dirs)))

    def reset(self) -> None:
        """Back to the state of a fresh start, as far as requests can change it."""
        self.rules = RuleBook(load_rules(self.settings.fixture_dirs))
        self.images.clear()
        self.files.clear()
