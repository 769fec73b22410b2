"""Packs and their working-day calendars, loaded once per run and shared by every school."""

from pathlib import Path

from xinyu.cycle.system_templates import SYSTEM_TEMPLATES
from xinyu.packs import Pack, TaskTemplate, available_packs, load_pack
from xinyu.workdays import WorkCalendar


class PackBook:
    def __init__(self, packs_dir: Path) -> None:
        self.packs_dir = packs_dir
        self._packs: dict[str, Pack] = {}
        self._calendars: dict[str, WorkCalendar] = {}

    def pack(self, pack_id: str, version: str | None = None) -> Pack:
        """`version`: the stored version a cycle opened with (Cycle.pack_version); None: the newest."""
        if pack_id not in self._packs:
            self._packs[pack_id] = load_pack(pack_id, self.packs_dir)
        return self._packs[pack_id]

    def pack_ids(self) -> list[str]:
        """Every pack a school may be given, sorted."""
        return available_packs(self.packs_dir)

    def calendar(self, pack_id: str, version: str | None = None) -> WorkCalendar:
        if pack_id not in self._calendars:
            self._calendars[pack_id] = self.pack(pack_id).work_calendar()
        return self._calendars[pack_id]

    def template(self, pack_id: str, month: str, step_key: str, template_key: str,
                 version: str | None = None) -> TaskTemplate:
        """The template a task was made from: the pack's, or one of the system's (decisions, …)."""
        if template_key in SYSTEM_TEMPLATES:
            return SYSTEM_TEMPLATES[template_key]
        return self.pack(pack_id).template(int(month[5:7]), step_key, template_key)
