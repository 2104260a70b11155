"""The puppet prompt of the open shot: boxes the artist draws, moves and deletes.

The prompt is read and written with the library's :mod:`laika_fx.prompts`
(``load_prompts``, ``save_prompts``) at ``<shot folder>.laika_fx/prompt.json``, the file
``laika-fx batch`` reads by default, so the app and the batch cannot disagree about it.
A drawn box (or a click on the face: a disc of ``DEFAULT_RADIUS``) holds for the whole shot; after *Key* (``K``) its prompt is keyed and moving
the box on a frame sets a key there (the batch interpolates between keys).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from laika_fx.prompts import (
    DEFAULT_RADIUS,
    Prompt,
    PromptError,
    PromptKey,
    Region,
    ShotPrompts,
    load_prompts,
    save_prompts,
)

__all__ = ["PromptEditor"]


class PromptEditor(QObject):
    """The shot's prompts, the one selected, and saving.

    Signals
    -------
    changed() : the prompts (or the selection) changed.
    saved(str) : the prompt file was written or removed (its path).
    load_failed(str) : the shot's prompt file exists but is invalid (the batch would
        refuse it for the same reason); the app shows no prompt until it is replaced.
    """

    changed = Signal()
    saved = Signal(str)
    load_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.prompts = ShotPrompts()
        self.selected: int | None = None

    def load(self, path: str | os.PathLike | None) -> None:
        """Read the shot's prompt file (none yet: no prompt)."""
        self.path = None if path is None else Path(path)
        self.prompts, self.selected = ShotPrompts(), None
        if self.path is not None and self.path.is_file():
            try:
                self.prompts = load_prompts(self.path)
            except PromptError as exc:
                self.load_failed.emit(f"puppet prompt not used: {exc}")
        self.changed.emit()

    def regions(self, frame: int) -> list[tuple[int, Region]]:
        """``(prompt index, region)`` of every prompt on ``frame``."""
        return [(i, r) for i, p in enumerate(self.prompts.prompts) if (r := p.at(frame)) is not None]

    def is_keyed(self, index: int) -> bool:
        return self.prompts.prompts[index].keys[0].frame is not None

    # -- edits (each saved at once) ------------------------------------------------------
    def add_box(self, x: float, y: float, w: float, h: float) -> int:
        """A new box on the whole shot; selected and saved. Its index."""
        return self._add(Region("box", (x, y, w, h)))

    def add_point(self, x: float, y: float) -> int:
        """A new click on the whole shot (a disc of ``DEFAULT_RADIUS``); selected and saved."""
        return self._add(Region("point", (x, y, DEFAULT_RADIUS)))

    def set_box(self, index: int, frame: int, x: float, y: float, w: float, h: float) -> None:
        """Move/resize box ``index`` as seen on ``frame`` (a keyed prompt gets a key there)."""
        self._set_region(index, frame, Region("box", (x, y, w, h)))

    def move_point(self, index: int, frame: int, x: float, y: float) -> None:
        """Move click ``index`` to (x, y) on ``frame``, keeping its radius."""
        region = self.prompts.prompts[index].at(frame)
        if region is not None and region.kind == "point":
            self._set_region(index, frame, Region("point", (x, y, region.values[2])))

    def _add(self, region: Region) -> int:
        self._set((*self.prompts.prompts, Prompt((PromptKey(None, region),))))
        self.selected = len(self.prompts.prompts) - 1
        self._save()
        return self.selected

    def _set_region(self, index: int, frame: int, region: Region) -> None:
        prompt = self.prompts.prompts[index]
        if self.is_keyed(index):
            keys = [k for k in prompt.keys if k.frame != frame] + [PromptKey(frame, region)]
            new = Prompt(tuple(sorted(keys, key=lambda k: k.frame)), prompt.first, prompt.last)
        else:
            new = Prompt((PromptKey(None, region),), prompt.first, prompt.last)
        self._replace(index, new)
        self.selected = index
        self._save()

    def key(self, index: int, frame: int) -> None:
        """Key prompt ``index`` on ``frame`` (where it is now); later moves set keys."""
        prompt = self.prompts.prompts[index]
        region = prompt.at(frame)
        if region is None:
            return
        keys = [k for k in prompt.keys if k.frame is not None and k.frame != frame] + [PromptKey(frame, region)]
        self._replace(index, Prompt(tuple(sorted(keys, key=lambda k: k.frame)), prompt.first, prompt.last))
        self._save()

    def delete(self, index: int) -> None:
        """Remove prompt ``index`` (the file goes when no prompt is left)."""
        items = list(self.prompts.prompts)
        del items[index]
        self._set(tuple(items))
        self.selected = None
        self._save()

    def select(self, index: int | None) -> None:
        self.selected = index
        self.changed.emit()

    # -- internals -------------------------------------------------------------------
    def _replace(self, index: int, prompt: Prompt) -> None:
        items = list(self.prompts.prompts)
        items[index] = prompt
        self._set(tuple(items))

    def _set(self, prompts: tuple[Prompt, ...]) -> None:
        self.prompts = ShotPrompts(prompts)

    def _save(self) -> None:
        if self.path is None:
            self.changed.emit()
            return
        if self.prompts:
            save_prompts(self.path, self.prompts)
        else:
            self.path.unlink(missing_ok=True)
        self.changed.emit()
        self.saved.emit(str(self.path))
