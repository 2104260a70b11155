"""laika_fx desktop app: open a shot, review, correct the seam mask, compare, batch.

Run ``laika-fx-gui [SHOT]`` (SHOT: a folder of numbered frames or a pattern).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from laika_fx.io import read_frame
from laika_fx.overrides import mask_override_path
from laika_fx.pipeline import BatchError, load_analyses, resolve_prompts
from laika_fx.plugins import registry
from laika_fx.preview import to_display8
from laika_fx.prompts import default_prompt_path
from laika_fx.report import REPORT_NAME
from laika_fx.sequence import format_frame_range
from laika_fx.sequence import open_shot as find_shot
from laika_fx.stabilize.sidecar import SIDECAR_NAME, CameraSolve, load_solve

from .batch_queue import BatchQueue, describe_progress, rejected_where, report_text
from .cache_bar import CacheBar
from .camera_plot import CameraPlot
from .carry import CarryRequest, CarryResult, CarryWorker
from .display import CHANNEL_NAMES, CHANNELS, alpha8
from .flow import FlowLayout
from .learn import LearnRunner
from .mask_paint import MaskEditor
from .plugin_panel import PluginStack, guard_wheel
from .prompt_tool import PromptEditor
from .render_cache import CachedFrame, RenderCache, RenderSetup
from .shot_model import (
    ShotModel,
    default_output_dir,
    load_shot_settings,
    save_shot_settings,
    shot_settings_path,
)
from .style import apply_theme, mono_font
from .timeline import Timeline
from .viewer import Viewer
from .workers import (
    BatchJob,
    BatchRunner,
    PreviewRequest,
    PreviewResult,
    PreviewWorker,
)

__all__ = ["MainWindow", "Notifier", "main"]

MAX_RECENT = 10


class Notifier(QWidget):
    """The one place messages go: a banner over the viewer plus the Messages log.

    Signals
    -------
    posted(str, str) : level ("info" or "error") and text.
    """

    posted = Signal(str, str)

    def __init__(self, log: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.label = QLabel(self)
        self.label.setObjectName("banner")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.last_error = ""
        self.hide()

    def info(self, text: str) -> None:
        self.log.appendPlainText(f"·  {text}")
        self.posted.emit("info", text)

    def error(self, text: str) -> None:
        """Show ``text`` in the banner and the log; the window carries on."""
        self.last_error = text
        self.log.appendPlainText(f"✖  {text}")
        self.label.setText(text)
        self.show()
        self.posted.emit("error", text)


def left_alone_text(note: dict | None) -> str:
    """What the status bar says of a frame's seam note: lines found but left alone, and why."""
    if not note or not note.get("lines_left_alone"):
        return ""
    why = [f"{note['outside_prompt']} outside the puppet box" if note.get("outside_prompt") else "",
           f"{note['rejected_by_gate']} rejected by the gate" + rejected_where(note.get("rejected_on_puppet"))
           if note.get("rejected_by_gate") else ""]  # fmt: skip
    n = note["lines_left_alone"]
    return (f" · {n} detected line{'s' if n != 1 else ''} left alone ({', '.join(w for w in why if w)}), "
            "cyan: paint to remove")


def _pattern_for_file(path: Path) -> str:
    """``shot/frame.1001.png`` -> ``shot/frame.####.png`` (a dropped single frame)."""
    m = re.match(r"^(.*?)(\d+)(\.[A-Za-z0-9]+)$", path.name)
    if not m:
        return str(path.parent)
    return str(path.parent / f"{m.group(1)}{'#' * len(m.group(2))}{m.group(3)}")


class _TextEntryExit(QObject):
    """Event filter on text fields: Enter / Return / Esc give the keyboard focus to ``target``
    (the field commits its text on losing focus), so the app's single-key shortcuts, which a
    focused text field keeps for typing, reach the app again without a click."""

    def __init__(self, target: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target = target

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Escape):
            if isinstance(obj, QWidget):
                if obj.window() is self.target.window():
                    self.target.setFocus(Qt.ShortcutFocusReason)
                else:  # a floating dock: its window keeps the focus, the field lets go of it
                    obj.clearFocus()
        return False


class MainWindow(QMainWindow):
    """The artist's window. ``settings`` defaults to the user's QSettings (tests pass a temp one)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings("laika_fx", "laika_fx_gui")
        self.setWindowTitle("laika_fx")
        self.setAcceptDrops(True)
        screen = QApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else None
        # 1500 x 920, or the screen's room on a smaller one (a 1280 x 720 laptop)
        self.resize(min(1500, room.width()) if room else 1500, min(920, room.height()) if room else 920)

        self.model = ShotModel(self)
        self.mask_editor = MaskEditor(self)
        self.prompt_editor = PromptEditor(self)
        self.preview = PreviewWorker(self)
        self.runner = BatchRunner(self)
        self.analysis_runner = BatchRunner(self)
        self.carry_worker = CarryWorker(self)
        self.learner = LearnRunner(self)  # learn from corrections: a child process
        self.pending: CarryResult | None = None  # a carried correction under review
        self._carry_id = 0
        self._stroke_blocked = False
        self._bulk_saving = False  # override files being written in bulk (see _bulk_overrides)
        # the processed shot rendered ahead of the playhead (version A), and version B of A/B
        self.cache = RenderCache(self, budget_mb=1024)
        self.compare_cache = RenderCache(self, budget_mb=384)
        self.compare_source = "output"  # "output" (the batch's frames) or "snapshot"
        self._compare_setup: RenderSetup | None = None
        self._compare_key: tuple | None = None  # what version B is (its frames are kept while it stays)
        self._snapshot: tuple[list, dict] | None = None  # (specs, analyses) kept as version B
        self._snapshot_time = ""
        self._snapshots_taken = 0
        self._light_frame: int | None = None  # shown from the cache while playing (mask editor not loaded)
        self._play_times: deque[float] = deque()
        self._play_start = 0.0
        self._waiting = False  # playback holds: the next frame is not rendered yet
        self._preview_pending = False
        self._preview_done = 0  # id of the newest preview that finished (shown or not)
        self._preview_shown = 0  # id of the preview on screen
        self._detected: np.ndarray | None = None
        self._analyses: dict[str, dict] = {}
        self._preview_frame: int | None = None
        self._preview_id = 0
        self.preview_output: np.ndarray | None = None  # the newest preview, as rendered (not 8-bit)
        self._laid_out = False
        self._shot_settings: Path | None = None  # the open shot's settings.json
        self._shot_settings_writable = False  # False: unreadable or newer: left as it is
        self._applying_shot_settings = False
        self._shot_settings_on_disk: dict | None = None  # what the shot's settings file holds (None: none)
        self._shot_settings_dirty = False  # the artist changed a setting since it was read or written

        self._build_widgets()
        self._build_docks()
        self._build_actions()
        self._connect()
        self._install_text_entry_exit()
        self._restore_settings()
        self._on_mask_changed()  # nothing to carry, undo or revert, no box to key: greyed out
        self._show_prompts()

    # ------------------------------------------------------------------ construction
    def _build_widgets(self) -> None:
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setFont(mono_font(9))
        self.notifier = Notifier(self.log, central)
        self.view_bar = QToolBar("View", central)
        self.view_bar.setObjectName("viewbar")
        self.paint_bar = QToolBar("Paint", central)
        self.paint_bar.setObjectName("paintbar")
        self.display_bar = QToolBar("Display", central)
        self.display_bar.setObjectName("displaybar")
        # the three groups of tools over the viewer in rows that wrap: two rows on a wide
        # window, three on a narrow one; never a control cut off into an overflow menu
        self.tool_rows = QWidget(central)
        rows = FlowLayout(self.tool_rows, spacing=4, whole_items=True)
        for bar in (self.view_bar, self.paint_bar, self.display_bar):
            bar.setMovable(False)
            rows.addWidget(bar)
        self.viewer = Viewer(central)
        self.timeline = Timeline(central)
        self.pending_bar = QWidget(central)
        self.pending_bar.setObjectName("banner")
        pl = QHBoxLayout(self.pending_bar)
        pl.setContentsMargins(8, 4, 8, 4)
        self.pending_label = QLabel("", self.pending_bar)
        self.pending_label.setWordWrap(True)
        self.apply_button = QPushButton("Apply", self.pending_bar)
        self.apply_button.setObjectName("primary")
        self.apply_button.setToolTip("Write the carried correction to every frame it reached (Ctrl+Return); "
                                     "one undo takes it all back")  # fmt: skip
        self.discard_button = QPushButton("Discard", self.pending_bar)
        self.discard_button.setToolTip("Forget the carried correction; nothing is written")
        pl.addWidget(self.pending_label, 1)
        pl.addWidget(self.apply_button)
        pl.addWidget(self.discard_button)
        self.pending_bar.hide()
        lay.addWidget(self.notifier)
        lay.addWidget(self.pending_bar)
        lay.addWidget(self.tool_rows)
        lay.addWidget(self.viewer, 1)
        lay.addWidget(self.timeline)
        self.setCentralWidget(central)

        self.header = QLabel("No shot open", self)
        self.header.setObjectName("header")
        self.header.setTextFormat(Qt.RichText)
        self.status_pixel = QLabel("", self)
        self.status_pixel.setFont(mono_font(9))
        self.statusBar().addPermanentWidget(self.status_pixel)
        self.preview_status = QLabel("", self)
        self.statusBar().addWidget(self.preview_status)
        self.cache_status = QLabel("", self)
        self.cache_status.setObjectName("dim")
        self.statusBar().addPermanentWidget(self.cache_status)

    def _build_docks(self) -> None:
        # effects: one panel per plugin, generated from its parameter schema
        self.plugins = PluginStack(self)
        effects = QWidget(self)
        el = QVBoxLayout(effects)
        el.setContentsMargins(6, 6, 6, 6)
        self.shot_settings_label = QLabel("Settings are saved with each shot you open.", effects)
        self.shot_settings_label.setObjectName("dim")
        self.shot_settings_label.setWordWrap(True)
        el.addWidget(self.shot_settings_label)
        el.addWidget(self.plugins)
        el.addStretch(1)
        scroll = self.effects_scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(effects)
        self.effects_dock = self._dock("Effects", scroll, Qt.RightDockWidgetArea)

        self.batch = BatchQueue(self.runner, self)
        self.batch_dock = self._dock("Batch", self.batch, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.effects_dock, self.batch_dock)
        self.effects_dock.raise_()

        cam = QWidget(self)
        cl = QVBoxLayout(cam)
        cl.setContentsMargins(6, 4, 6, 4)
        self.camera_plot = CameraPlot(cam)
        row = QHBoxLayout()
        self.analyze_button = QPushButton("Analyze shot", cam)
        self.analyze_button.setToolTip("Run the analyze pass (camera solve, exposure) into the output folder")
        self.analyze_button.setEnabled(False)
        load = QPushButton("Load solve…", cam)
        load.setToolTip("Open a stabilize.json")
        load.clicked.connect(self._load_solve_dialog)
        self.camera_status = QLabel("Click: go to frame · double-click: make it the reference", cam)
        self.camera_status.setObjectName("dim")
        row.addWidget(self.analyze_button)
        row.addWidget(load)
        row.addWidget(self.camera_status, 1)
        cl.addLayout(row)
        cl.addWidget(self.camera_plot, 1)
        self.camera_dock = self._dock("Camera solve", cam, Qt.BottomDockWidgetArea)
        self.log_dock = self._dock("Messages", self.log, Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.camera_dock, self.log_dock)
        self.camera_dock.raise_()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_"))
        dock.setWidget(widget)
        # opaque: Qt can leave a tab bar of the docks' first layout behind a dock, which
        # showed through the gaps between the camera panel's buttons and its plot
        widget.setAutoFillBackground(True)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, shortcut: str | QKeySequence | None, slot, *, tip: str = "",
                checkable: bool = False) -> QAction:  # fmt: skip
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            # wherever the keyboard focus is in the window (Qt counts its floating docks in);
            # a text field that has the focus keeps the keys it types (see _TextEntryExit)
            act.setShortcutContext(Qt.WindowShortcut)
        act.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString()})" if shortcut else (tip or text))
        act.setCheckable(checkable)
        (act.toggled if checkable else act.triggered).connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        top = QToolBar("Shot", self)
        top.setObjectName("shotbar")
        top.setMovable(False)
        self.addToolBar(Qt.TopToolBarArea, top)
        self.open_action = self._action("Open shot…", QKeySequence.Open, self.open_dialog,
                                        tip="Open a folder of numbered frames")  # fmt: skip
        top.addAction(self.open_action)
        self.recent_menu = QMenu(self)
        self.recent_button = QToolButton(self)
        self.recent_button.setText("Recent")  # the menu arrow is Qt's own (InstantPopup draws it)
        self.recent_button.setMenu(self.recent_menu)
        self.recent_button.setPopupMode(QToolButton.InstantPopup)
        top.addWidget(self.recent_button)
        self.learn_action = self._action(
            "Learn from corrections", None, self.learn_from_corrections,
            tip="Teach the seam detector this shot from the frames you corrected (a few minutes in the "
                "background); the preview and the batch then use the shot's own model "
                "(Effects: seam removal, shot model)")  # fmt: skip
        top.addAction(self.learn_action)
        self.learn_minutes = QSpinBox(self)  # the training budget of "Learn from corrections"
        self.learn_minutes.setRange(1, 60)
        self.learn_minutes.setValue(4)
        self.learn_minutes.setPrefix("for ")
        self.learn_minutes.setSuffix(" min")
        self.learn_minutes.setToolTip("How long Learn from corrections trains on the corrected frames (more "
                                      "minutes, more training); checking and saving the model add about a "
                                      "minute. 4 min is what docs/benchmarks.md measured")  # fmt: skip
        top.addWidget(self.learn_minutes)
        self.learn_progress = QProgressBar(self)
        self.learn_progress.setRange(0, 100)
        self.learn_progress.setFixedWidth(140)
        self.learn_progress.setFormat("learning %p%")
        self.learn_cancel = QToolButton(self)
        self.learn_cancel.setText("Cancel")
        self.learn_cancel.setToolTip("Stop learning; the shot's model stays as it was")
        self.learn_cancel.clicked.connect(self.learner.cancel)
        self._learn_widgets = [self.learn_progress, self.learn_cancel]
        for w in self._learn_widgets:
            w.setVisible(False)
        self.learner.progress.connect(self._on_learn_progress)
        self.learner.finished.connect(self._on_learn_finished)
        for w in self._learn_widgets:
            self.statusBar().addPermanentWidget(w)
        top.addSeparator()
        top.addWidget(self.header)

        vb = self.view_bar
        vb.setMovable(False)
        group = QActionGroup(self)
        self.mode_actions = {}
        for mode, text, key in (("before", "Before", "Q"), ("wipe", "Wipe", "W"), ("after", "After", "E"),
                                ("ab", "A/B", "Shift+A")):  # fmt: skip
            act = self._action(text, key, lambda on, m=mode: on and self.set_view_mode(m), checkable=True,
                               tip={"before": "Original frame", "wipe": "Before | after with a draggable line",
                                    "after": "Plugin result",
                                    "ab": "Compare: A (the live result) | B (the batch output or a snapshot "
                                          "of settings) with a wipe; Tab shows A or B alone, Shift+A again "
                                          "the wipe"}[mode])  # fmt: skip
            group.addAction(act)
            vb.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions["wipe"].setChecked(True)
        self._action("Toggle before/after", "Tab", self.toggle_before_after)
        vb.addSeparator()
        self.onion_action = self._action("Onion", "Shift+O", self._set_onion, checkable=True,
                                         tip="Previous frame faded over the current one")  # fmt: skip
        vb.addAction(self.onion_action)
        self.mask_action = self._action("Mask", "M", self._set_mask_visible, checkable=True,
                                        tip="Seam mask overlay")  # fmt: skip
        self.mask_action.setChecked(True)
        vb.addAction(self.mask_action)
        self.opacity = QSlider(Qt.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(40)
        self.opacity.setFixedWidth(80)
        self.opacity.setToolTip("Mask overlay opacity")
        self.opacity.valueChanged.connect(self._set_mask_opacity)
        vb.addWidget(self.opacity)
        vb.addSeparator()
        vb.addAction(self._action("Fit", "F", self.viewer.fit, tip="Fit the frame in the view"))
        vb.addAction(self._action("100%", "1", self.viewer.actual_size, tip="One frame pixel per screen pixel"))
        pb = self.paint_bar
        tools = QActionGroup(self)
        self.tool_actions = {}
        for tool, text, key, tip in (("view", "Pan", "V", "Pan / drag the wipe line"),
                                     ("paint", "Paint", "B", "Paint seam into the mask"),
                                     ("erase", "Erase", "X", "Erase from the mask"),
                                     ("prompt", "Puppet", "P", "Draw, move or resize a box around the puppet's "
                                      "face, or click on the face: seam lines inside are painted out, lines "
                                      "outside left alone (saved beside the shot, used by the batch)")):  # fmt: skip
            act = self._action(text, key, lambda on, t=tool: on and self.set_tool(t), checkable=True, tip=tip)
            tools.addAction(act)
            pb.addAction(act)
            self.tool_actions[tool] = act
        self.tool_actions["view"].setChecked(True)
        self.brush = QSpinBox(self)
        self.brush.setRange(1, 400)
        self.brush.setValue(12)
        self.brush.setSuffix(" px")
        self.brush.setFixedWidth(66)
        self.brush.setToolTip("Brush radius in frame pixels ([ and ])")
        self.brush.valueChanged.connect(lambda v: setattr(self.viewer, "brush_size", float(v)))
        pb.addWidget(self.brush)
        self.softness = QSpinBox(self)
        self.softness.setRange(0, 100)
        self.softness.setSingleStep(10)
        self.softness.setSuffix(" % soft")
        self.softness.setFixedWidth(84)
        self.softness.setToolTip("Brush edge: 0 % hard; more feathers the edge over that share of the "
                                 "radius, and the repair fades into the picture there")  # fmt: skip
        self.softness.valueChanged.connect(lambda v: setattr(self.viewer, "brush_softness", v / 100.0))
        pb.addWidget(self.softness)
        self._action("Smaller brush", "[", lambda: self.brush.setValue(max(1, round(self.brush.value() / 1.25))))
        self._action("Larger brush", "]", lambda: self.brush.setValue(round(self.brush.value() * 1.25) + 1))
        self.undo_action = self._action("Undo", QKeySequence.Undo, self.undo, tip="Undo the last mask stroke")
        self.redo_action = self._action("Redo", QKeySequence.Redo, self.redo, tip="Redo")
        self.revert_action = self._action("Revert", None, self.revert_mask,
                                          tip="Delete this frame's correction; use the detection again")  # fmt: skip
        self.carry_range_action = self._action(
            "Carry", "C", lambda: self.carry_correction(whole_shot=False),
            tip="Carry this frame's strokes, moved with the picture, to the frames from the in point to the "
                "out point (the whole shot where none is set), for review")  # fmt: skip
        self.carry_shot_action = self._action("Carry to whole shot", "Shift+C",
                                              lambda: self.carry_correction(whole_shot=True),
                                              tip="Carry this frame's strokes to every frame of the shot")  # fmt: skip
        carry_menu = QMenu(self)
        carry_menu.addAction(self.carry_range_action)
        carry_menu.addAction(self.carry_shot_action)
        self.carry_button = QToolButton(self)
        self.carry_button.setDefaultAction(self.carry_range_action)
        self.carry_button.setMenu(carry_menu)
        self.carry_button.setPopupMode(QToolButton.MenuButtonPopup)
        pb.addSeparator()
        pb.addWidget(self.carry_button)
        for a in (self.undo_action, self.redo_action, self.revert_action):
            pb.addAction(a)
        self.apply_carry_action = self._action("Apply carried correction", "Ctrl+Return", self.apply_carry)
        self.apply_button.clicked.connect(self.apply_carry)
        self.discard_button.clicked.connect(self.discard_carry)
        self.key_box_action = self._action("Key box", "Shift+K", self.key_prompt,
                                           tip="Key the selected puppet box on this frame: moving it on other "
                                               "frames sets keys there (interpolated between keys)")  # fmt: skip
        self.delete_box_action = self._action("Delete box", QKeySequence.Delete, self.delete_prompt,
                                              tip="Delete the selected puppet box")  # fmt: skip
        pb.addSeparator()
        pb.addAction(self.key_box_action)
        pb.addAction(self.delete_box_action)

        self._action("Next frame", Qt.Key_Right, lambda: self.model.step(1))
        self._action("Previous frame", Qt.Key_Left, lambda: self.model.step(-1))
        self._action("First frame", Qt.Key_Home, lambda: self.model.step(-(10**9)))
        self._action("Last frame", Qt.Key_End, lambda: self.model.step(10**9))
        self._action("Play", Qt.Key_Space, self.timeline.toggle_play)
        self._action("Play backward", "J", lambda: self.timeline.play(-1), tip="Play backward (again: faster)")
        self._action("Stop", "K", self.timeline.stop)
        self._action("Play forward", "L", lambda: self.timeline.play(1), tip="Play forward (again: faster)")
        self._action("Set in point", "I", lambda: self.timeline.set_in(self.model.current))
        self._action("Set out point", "O", lambda: self.timeline.set_out(self.model.current))
        self._action("Clear in and out", "Alt+X", self.clear_in_out)
        self.quit_action = self._action("Quit", "Ctrl+Q", self.close)
        self._build_display_bar()
        self._action("Add to batch", "Ctrl+B", self.add_current_to_batch)

    def _build_display_bar(self) -> None:
        """Second view row: A/B source, exposure, gamma, channel, cache. Display only: none of
        it is saved with the shot or reaches a render."""
        db = self.display_bar
        db.setMovable(False)
        self.mode_actions["ab"].triggered.connect(lambda: self.viewer.set_ab_view("wipe"))
        db.addWidget(QLabel(" B:", self))
        self.compare_box = QComboBox(self)
        self.compare_box.addItems(["batch output", "snapshot"])
        self.compare_box.setToolTip("Version B of the A/B compare: the frames the last batch wrote into the "
                                    "output folder, or the settings kept with Snapshot")  # fmt: skip
        self.compare_box.currentIndexChanged.connect(
            lambda i: self.set_compare_source(("output", "snapshot")[i]))
        db.addWidget(self.compare_box)
        self.snapshot_action = self._action("Snapshot", "Shift+S", self.take_snapshot,
                                            tip="Keep the current settings as version B, to compare with "
                                                "the live result (A/B)")  # fmt: skip
        db.addAction(self.snapshot_action)
        db.addSeparator()
        db.addWidget(QLabel(" Exposure", self))
        self.exposure_slider = QSlider(Qt.Horizontal, self)
        self.exposure_slider.setRange(-60, 60)  # tenths of a stop
        self.exposure_slider.setFixedWidth(110)
        self.exposure_slider.setToolTip("Viewer exposure in stops (display only: outputs are not changed)")
        db.addWidget(self.exposure_slider)
        self.exposure_label = QLabel("+0.0", self)
        self.exposure_label.setFixedWidth(34)
        db.addWidget(self.exposure_label)
        db.addWidget(QLabel(" Gamma", self))
        self.gamma_slider = QSlider(Qt.Horizontal, self)
        self.gamma_slider.setRange(20, 400)  # hundredths
        self.gamma_slider.setValue(100)
        self.gamma_slider.setFixedWidth(110)
        self.gamma_slider.setToolTip("Viewer gamma: above 1 lifts the shadows (display only)")
        db.addWidget(self.gamma_slider)
        self.gamma_label = QLabel("1.00", self)
        self.gamma_label.setFixedWidth(34)
        db.addWidget(self.gamma_label)
        self.exposure_slider.valueChanged.connect(self._on_display_changed)
        self.gamma_slider.valueChanged.connect(self._on_display_changed)
        self.channel_box = QComboBox(self)
        self.channel_box.addItems([CHANNEL_NAMES[c] for c in CHANNELS])
        self.channel_box.setToolTip("Channel shown: R, G, Shift+B, A (alpha, or luma when there is none), Y "
                                    "(luma); the same key again: all channels")  # fmt: skip
        self.channel_box.currentIndexChanged.connect(lambda i: self._on_display_changed())
        db.addWidget(self.channel_box)
        # Nuke's keys, except blue: B is the paint brush here
        for channel, key in (("r", "R"), ("g", "G"), ("b", "Shift+B"), ("a", "A"), ("y", "Y")):
            self._action(f"Show {CHANNEL_NAMES[channel]}", key, lambda _checked=False, c=channel: self.toggle_channel(c))
        self.reset_display_action = reset = self._action("Reset display", None, self.reset_display,
                             tip="Exposure 0, gamma 1, all channels")  # fmt: skip
        db.addAction(reset)
        db.addSeparator()
        self.cache_action = self._action("Cache", None, self.cache.set_enabled, checkable=True,
                                         tip="Render the frames ahead of the playhead in the background, so "
                                             "the result plays at speed (green on the timeline: ready)")  # fmt: skip
        self.cache_action.setChecked(True)
        db.addAction(self.cache_action)

    def _connect(self) -> None:
        self.model.shot_changed.connect(self._on_shot_changed)
        self.model.frame_changed.connect(self._on_frame_changed)
        self.timeline.frame_requested.connect(self.model.set_frame)
        self.timeline.step_requested.connect(self._step)
        self.timeline.play_button.toggled.connect(lambda on: on or self._schedule_preview())
        self.plugins.changed.connect(self._on_settings_changed)
        self.preview.finished.connect(self._on_preview)
        self.preview.busy.connect(self._on_preview_busy)
        self.viewer.stroke_started.connect(self._on_stroke_started)
        self.viewer.stroke_segment.connect(self._paint_segment)
        self.viewer.stroke_finished.connect(self._on_stroke_finished)
        self.carry_worker.progress.connect(self._on_carry_progress)
        self.carry_worker.finished.connect(self._on_carry_finished)
        self.viewer.hovered.connect(self._show_pixel)
        self.mask_editor.changed.connect(self._on_mask_changed)
        self.mask_editor.saved.connect(self._on_override_saved)
        self.mask_editor.load_failed.connect(self.notifier.error)
        self.viewer.prompt_drawn.connect(self.prompt_editor.add_box)
        self.viewer.prompt_edited.connect(
            lambda i, x, y, w, h: self.prompt_editor.set_box(i, self.model.current, x, y, w, h))
        self.viewer.prompt_selected.connect(lambda i: self.prompt_editor.select(i if i >= 0 else None))
        self.viewer.prompt_clicked.connect(self.prompt_editor.add_point)
        self.viewer.prompt_point_moved.connect(
            lambda i, x, y: self.prompt_editor.move_point(i, self.model.current, x, y))
        self.prompt_editor.changed.connect(self._show_prompts)
        self.prompt_editor.saved.connect(self._on_prompt_saved)
        self.prompt_editor.load_failed.connect(self.notifier.error)
        self.batch.add_requested.connect(self.add_current_to_batch)
        self.batch.job_done.connect(self._on_job_done)
        self.batch.frame_requested.connect(self.show_batch_frame)
        self.analyze_button.clicked.connect(self.analyze_current)
        self.analysis_runner.progress.connect(lambda _i, ev: self.camera_status.setText(describe_progress(ev)))
        self.analysis_runner.job_finished.connect(self._on_analysis_done)
        self.camera_plot.frame_selected.connect(self.model.set_frame)
        self.camera_plot.reference_selected.connect(self.set_reference)
        self._shot_settings_timer = QTimer(self)
        self._shot_settings_timer.setSingleShot(True)
        self._shot_settings_timer.setInterval(300)
        self._shot_settings_timer.timeout.connect(self.save_shot_settings)
        for signal in (self.plugins.changed, self.timeline.fps.currentIndexChanged, self.opacity.valueChanged,
                       self.brush.valueChanged, self.softness.valueChanged, self.onion_action.toggled, self.timeline.range_changed):
            signal.connect(self._shot_settings_changed)  # fmt: skip
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(15)
        self._preview_timer.timeout.connect(self.request_preview)
        # the render cache: rendered again when anything that changes a render changes
        self.cache_bar = CacheBar(self.timeline.ruler, self.cache)
        self.cache.frame_ready.connect(self._on_cache_frame)
        self.cache.changed.connect(self._show_cache_status)
        self.compare_cache.frame_ready.connect(self._on_compare_frame)
        self.plugins.changed.connect(self._configure_cache)
        self.prompt_editor.saved.connect(self._configure_cache)  # (a mask correction: _on_override_saved)
        self.timeline.range_changed.connect(self._cache_follow)
        self.timeline.play_button.toggled.connect(self._on_play_toggled)
        self.batch.job_done.connect(lambda _job: self._configure_compare(changed=True))
        self.cache.set_paused(True)  # until the first preview: the frame on screen comes first

    def _step(self, delta: int) -> None:
        """A step from the transport: while playing, loop between the in and out points; a
        result being played waits on the frame the cache has not rendered yet (the real
        frame rate shows it), the UI never does."""
        if self.timeline.playing:
            target = self.model.next_frame(delta, wrap=True, within=self.timeline.play_range)
            self._waiting = target is not None and not self._playable(target)
            if self._waiting:
                self._cache_follow()  # the way playback goes now (J after L: backward)
            else:
                self.model.step(delta, wrap=True, within=self.timeline.play_range)
            self._show_playback_rate()
        else:
            self.model.step(delta)

    def clear_in_out(self) -> None:
        """Alt+X: play and render the whole shot again."""
        self.timeline.set_in(None)
        self.timeline.set_out(None)

    def _install_text_entry_exit(self) -> None:
        """Enter or Esc in a text field (spin box, line edit) hands the keys back to the
        viewer, so Space, the arrows and the other single keys work again at once."""
        self._text_exit = _TextEntryExit(self.viewer, self)
        for w in self.findChildren(QAbstractSpinBox) + self.findChildren(QLineEdit):
            w.installEventFilter(self._text_exit)
        for w in self.findChildren(QAbstractSpinBox) + self.findChildren(QSlider) + self.findChildren(QComboBox):
            guard_wheel(w)  # the wheel changes a control only once it has the focus

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        """The global settings hold the window layout and Recent only; plugin settings, view
        options and the in/out range are the open shot's (``save_shot_settings``)."""
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.viewer.mask_opacity = self.opacity.value() / 100.0
        self._refresh_recent()

    def save_settings(self) -> None:
        """Write the window layout (Recent is written as shots open) and the open shot's settings."""
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        for old in ("plugins", "view"):  # global plugin and view settings of earlier versions
            s.remove(old)
        s.sync()
        self.save_shot_settings()

    # ------------------------------------------------------------------ per-shot settings
    def shot_view_state(self) -> dict:
        return {"fps": self.timeline.rate, "mask_opacity": self.opacity.value(), "brush": self.brush.value(),
                "softness": self.softness.value(), "onion": self.onion_action.isChecked()}  # fmt: skip

    def _shot_settings_changed(self, *_args) -> None:
        if not self._applying_shot_settings and self._shot_settings is not None:
            self._shot_settings_dirty = True
            self._shot_settings_timer.start()

    def _shot_settings_content(self) -> dict:
        """What the shot's settings file holds (plugins, view, range), as JSON would give it back."""
        r = self.timeline.ruler
        content = {"plugins": self.plugins.state(), "view": self.shot_view_state(),
                   "range": {"in": r.in_point, "out": r.out_point}}  # fmt: skip
        return json.loads(json.dumps(content))

    def save_shot_settings(self, *, force: bool = False) -> None:
        """Write the open shot's settings beside it when the artist changed one (``force``:
        changed or not, e.g. as the shot is queued), and only when the file would differ
        from the one on disk: opening and closing a shot writes nothing. A file that could
        not be read is never written over."""
        self._shot_settings_timer.stop()
        path = self._shot_settings
        if path is None or not self._shot_settings_writable or not (self._shot_settings_dirty or force):
            return
        content = self._shot_settings_content()
        self._shot_settings_dirty = False
        if content == self._shot_settings_on_disk:
            return
        try:
            save_shot_settings(path, content["plugins"], content["view"], content["range"])
        except OSError as exc:
            self.notifier.error(f"Cannot save the shot's settings to {path}: {exc.strerror or exc}")
            return
        self._shot_settings_on_disk = content
        self._show_settings_place("saved with this shot")

    def _load_shot_settings(self, previous: str) -> None:
        """Show the new shot's own settings; a shot without any keeps what is shown."""
        path = shot_settings_path(self.model.shot)
        self._shot_settings, self._shot_settings_writable = path, True
        self._shot_settings_on_disk, self._shot_settings_dirty = None, False
        try:
            doc = load_shot_settings(path)
        except ValueError as exc:
            self._shot_settings_writable = False
            self.notifier.error(f"This shot's settings were not used: {exc}. The file is left as it is; "
                                "changes are not saved over it.")  # fmt: skip
            self._show_settings_place("⚠ not read: the settings shown are not saved to")
            doc = None
        self._applying_shot_settings = True
        try:
            if doc is not None:
                self.plugins.restore(doc.get("plugins") or {})
                view = doc.get("view") or {}
                try:
                    self.timeline.fps.setCurrentIndex(0 if int(view.get("fps", 24)) == 12 else 1)
                    self.opacity.setValue(int(view.get("mask_opacity", self.opacity.value())))
                    self.brush.setValue(int(view.get("brush", self.brush.value())))
                    self.softness.setValue(int(view.get("softness", self.softness.value())))
                except (TypeError, ValueError):
                    pass
                self.onion_action.setChecked(view.get("onion") is True)
                rng = doc.get("range") or {}
                frames = set(self.model.shot.frames)
                self.timeline.ruler.in_point = rng.get("in") if rng.get("in") in frames else None
                self.timeline.ruler.out_point = rng.get("out") if rng.get("out") in frames else None
                self._shot_settings_on_disk = {k: doc.get(k) for k in ("plugins", "view", "range")}
                self._show_settings_place("saved with this shot")
            else:
                self.timeline.ruler.in_point = self.timeline.ruler.out_point = None
                if self._shot_settings_writable:
                    shown = f"those of {previous}" if previous else "the defaults"
                    self._show_settings_place(f"none saved with this shot yet (showing {shown}); a change saves "
                                              "them to")  # fmt: skip
        finally:
            self._applying_shot_settings = False
        self.timeline.ruler.update()

    def _show_settings_place(self, what: str) -> None:
        """The line over the Effects panel: where the shot's settings live (short; the full
        path in its tooltip)."""
        path = self._shot_settings
        short = f"{path.parent.name}/{path.name}" if path is not None else ""
        self.shot_settings_label.setText(f"Settings: {what} {short}")
        self.shot_settings_label.setToolTip(str(path) if path is not None else "")

    def recent_shots(self) -> list[str]:
        value = self.settings.value("recent/shots", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, source: str) -> None:
        recent = [source] + [r for r in self.recent_shots() if r != source]
        self.settings.setValue("recent/shots", recent[:MAX_RECENT])
        self.settings.sync()
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_shots()
        for src in recent:
            self.recent_menu.addAction(src, lambda s=src: self.open_shot(s))
        if not recent:
            a = self.recent_menu.addAction("(no recent shots)")
            a.setEnabled(False)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open shot (folder of numbered frames)",
                                                  self.recent_shots()[0] if self.recent_shots() else "")  # fmt: skip
        if folder:
            self.open_shot(folder)

    def open_shot(self, source: str | Path) -> bool:
        """Open a folder or pattern; errors go to the notification bar. True on success.

        A relative path is made absolute first (from the current folder): Recent and the
        batch jobs then name the shot from anywhere."""
        source = os.path.abspath(os.path.expanduser(str(source)))
        if self._shot_settings_timer.isActive():
            self.save_shot_settings()  # the shot being left keeps its last change
        self._previous_shot = self.model.shot.directory.name if self.model.shot is not None else ""
        try:
            self.model.open(source)
        except Exception as exc:
            self.notifier.error(f"Cannot open {source}: {exc}")
            return False
        self._remember(source)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            return
        path = Path(urls[0])
        self.open_shot(path if path.is_dir() else _pattern_for_file(path))
        event.acceptProposedAction()

    def _on_shot_changed(self) -> None:
        shot, info = self.model.shot, self.model.info
        self.notifier.hide()
        self.header.setText(f"<b>{shot.directory.name}/{Path(shot.pattern).name}</b>&nbsp;&nbsp;"
                            f"<span style='color:#8b8f96'>{info.summary(shot)}</span>")  # fmt: skip
        self.setWindowTitle(f"laika_fx — {shot.directory.name}")
        gaps = shot.gaps
        self.timeline.set_shot(shot.first, shot.last, gaps,
                               f"{len(shot.frames)} frames" + (f" · {len(gaps)} gaps" if gaps else ""))  # fmt: skip
        self.batch.output.setText(str(default_output_dir(shot)))
        self.batch.set_can_add(True)
        self.analyze_button.setEnabled(True)
        self.mask_editor.folder = None
        if self.carry_worker.running:
            self.carry_worker.cancel()
        self._end_pending()
        self.timeline.ruler.cleaned = set()
        self._load_shot_settings(getattr(self, "_previous_shot", ""))
        self.prompt_editor.load(default_prompt_path(shot.directory))
        self._refresh_analyses()
        self._mark_overrides()
        self._mark_left_alone_from_report()
        self.notifier.info(f"opened {shot.directory / Path(shot.pattern).name} ({info.summary(shot)})")

    # ------------------------------------------------------------------ frames
    def _on_frame_changed(self, frame: int) -> None:
        self.timeline.set_current(frame)
        self.camera_plot.set_current(frame)
        self.viewer.frame_label = f"frame {frame}"
        self._cache_follow()
        self._show_compare()
        entry = self.cache.get(frame)
        if self.timeline.playing:
            self._play_times.append(time.perf_counter())
        if self.timeline.playing and entry is not None and entry.readable:
            self._show_cached(entry)
            return
        self._light_frame = None
        try:
            arr = self.model.read(frame)
        except Exception as exc:
            self.viewer.set_frame(None)
            self.viewer.message = f"Frame {frame} cannot be read"
            self.preview_status.setText(f"no preview: frame {frame} cannot be read")  # not another frame's
            self.notifier.error(f"Frame {frame}: {exc}")
            return
        self.viewer.set_frame(to_display8(arr), alpha8(arr), arr)
        # the cached render at once; the preview (with any unsaved stroke) replaces it
        cached = entry is not None and entry.after is not None
        self.viewer.set_after(entry.after if cached else None, entry.after_alpha if cached else None)
        self.viewer.set_rejected(entry.masks.get("seam_rejected") if cached else None)
        self._detected = None
        prev = self.model.previous_frame(frame)
        onion = None
        if prev is not None and self.onion_action.isChecked():
            try:
                p = self.model.read(prev)
                onion = to_display8(p) if p.shape[:2] == arr.shape[:2] else None
            except Exception:
                onion = None
        self.viewer.set_onion(onion)
        self.mask_editor.load(self.model.override_dir, self.model.shot.path(frame), arr, None)
        self._show_prompts()
        self._schedule_preview()

    def _show_pixel(self, x: int, y: int) -> None:
        if self.model.current is None:
            return
        try:
            arr = self.model.read(self.model.current)
        except Exception:
            return
        if 0 <= x < arr.shape[1] and 0 <= y < arr.shape[0]:
            v = arr[y, x]
            vals = " ".join(f"{c:.4f}" if arr.dtype == np.float32 else str(int(c)) for c in np.atleast_1d(v))
            self.status_pixel.setText(f"x {x}  y {y}   {vals}  ({arr.dtype})")

    # ------------------------------------------------------------------ preview
    def _on_settings_changed(self) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self.timeline.playing:
            return  # playback shows the cached frames; the preview follows when it stops
        self._preview_pending = True
        self._update_cache_pause()  # the frame on screen first: the caches wait
        self._preview_timer.start()

    def preview_specs(self) -> tuple[list, list[str]]:
        """Plugins to preview and those skipped because their analysis is missing."""
        specs, skipped = [], []
        for name, settings in self.plugins.specs():
            if registry.get(name).has_analyze and name not in self._analyses:
                skipped.append(name)
            else:
                specs.append((name, settings))
        return specs, skipped

    def request_preview(self) -> None:
        """Re-render the current frame through the switched-on plugins (background thread)."""
        frame = self.model.current
        self._preview_pending = False
        self._update_cache_pause()
        if frame is None:
            return
        try:
            source = self.model.read(frame)
        except Exception:
            return
        try:
            specs, skipped = self.preview_specs()
        except Exception as exc:
            self.notifier.error(f"Invalid setting: {exc}")
            return
        for name, panel in self.plugins.panels.items():
            panel.status.setText("no analysis yet: Analyze shot to preview" if name in skipped else "")
        override = self.mask_editor.mask if self.mask_editor.is_override else None
        if self.pending is not None and frame in self.pending.masks:
            override = self.pending.mask(frame)  # the result as it will be once applied
        shot = self.model.shot
        prompt = [r for _, r in self.prompt_editor.regions(frame)]
        req = PreviewRequest(frame, source, specs, path=shot.path(frame), mask_override=override,
                             analyses=dict(self._analyses), read_source=lambda n: read_frame(shot.path(n)),
                             prompt=prompt)  # fmt: skip
        self._preview_frame = frame
        self._preview_id = self.preview.submit(req)

    def _on_preview_busy(self, busy: bool) -> None:
        self.viewer.busy = busy
        if not busy:  # idle: whatever was asked for has been rendered (or superseded)
            self._preview_done = max(self._preview_done, self._preview_id)
        self._update_cache_pause()
        self.viewer.update()
        if busy:
            self.preview_status.setText("rendering preview…")

    def _on_preview(self, result: PreviewResult) -> None:
        self._preview_done = max(self._preview_done, result.id)
        self._update_cache_pause()
        if result.frame != self.model.current or result.id != self.preview.latest:
            return  # superseded
        if result.error:
            self.viewer.set_after(None)
            self.viewer.set_rejected(None)
            self.preview_status.setText("preview failed")
            self.notifier.error(result.error)
            return
        self.preview_output = result.output
        self._preview_shown = result.id
        self.viewer.set_after(to_display8(result.output), alpha8(result.output), result.output)
        status = f"preview of {result.frame}: {result.seconds * 1000:.0f} ms"
        rejected = result.masks.get("seam_rejected")
        self.viewer.set_rejected(rejected)
        status += left_alone_text(result.notes.get("seam_removal"))
        if (result.notes.get("seam_removal") or {}).get("shot_model"):
            status += " · the shot's own detector (learned from corrections)"
        left = self.timeline.ruler.left_alone
        (left.add if (result.notes.get("seam_removal") or {}).get("lines_left_alone") else left.discard)(result.frame)
        seam = result.masks.get("seam")
        cleaned = self.timeline.ruler.cleaned
        (cleaned.add if seam is not None and seam.any() else cleaned.discard)(result.frame)
        self.timeline.ruler.update()
        self.preview_status.setText(status)
        self._detected = result.masks.get("seam")
        self.mask_editor.set_detected(self._detected)

    @property
    def preview_ready(self) -> bool:
        """True when the viewer shows the preview of the newest request."""
        return (not self._preview_pending and self._preview_id != 0
                and self._preview_id == self.preview.latest == self._preview_shown
                and self._preview_frame == self.model.current and self.viewer.has_after)  # fmt: skip

    # ------------------------------------------------------------------ compare
    def toggle_before_after(self) -> None:
        """Flip between the original and the result (Tab); in A/B, B alone, then A, then B..."""
        if self.viewer.mode == "ab":
            self.viewer.set_ab_view("a" if self.viewer.ab_view == "b" else "b")
            return
        mode = "before" if self.viewer.mode != "before" else "after"
        self.mode_actions[mode].setChecked(True)

    def set_view_mode(self, mode: str) -> None:
        """Before, wipe, after or A/B (which starts the compare's version B)."""
        if mode == "ab":
            self.viewer.ab_view = "wipe"
        self.viewer.set_mode(mode)
        self._configure_compare()

    # ------------------------------------------------------------------ display controls
    def _on_display_changed(self, *_args) -> None:
        exposure = self.exposure_slider.value() / 10.0
        gamma = self.gamma_slider.value() / 100.0
        self.exposure_label.setText(f"{exposure:+.1f}")
        self.gamma_label.setText(f"{gamma:.2f}")
        self.viewer.set_display(exposure=exposure, gamma=gamma, channel=CHANNELS[self.channel_box.currentIndex()])

    def toggle_channel(self, channel: str) -> None:
        """R / G / Shift+B / A / Y: show that channel alone; the same key again: all channels."""
        target = "rgb" if self.viewer.channel == channel else channel
        self.channel_box.setCurrentIndex(CHANNELS.index(target))

    def reset_display(self) -> None:
        """Exposure 0, gamma 1, all channels."""
        self.exposure_slider.setValue(0)
        self.gamma_slider.setValue(100)
        self.channel_box.setCurrentIndex(0)

    # ------------------------------------------------------------------ render cache, playback
    def _cache_setup(self, specs: list, analyses: dict) -> RenderSetup | None:
        shot = self.model.shot
        if shot is None:
            return None
        try:
            prompts, _ = resolve_prompts(shot, None)  # as the batch reads them
        except Exception:  # a bad prompt file: the preview and the batch report it
            return None
        return RenderSetup(shot, specs, dict(analyses), self.model.override_dir, prompts)

    def _configure_cache(self, *_args) -> None:
        """Render the open shot with the settings shown now; what was cached is dropped."""
        try:
            specs, _skipped = self.preview_specs()
        except Exception:
            specs = None
        self.cache.configure(None if specs is None else self._cache_setup(specs, self._analyses))
        if self.compare_source == "snapshot":
            self._configure_compare(changed=True)  # the snapshot keeps its settings; corrections are the shot's
        self._cache_follow()
        self._show_cache_status()

    def _cache_follow(self, *_args) -> None:
        """The caches render from the playhead on, the way playback goes."""
        frame = self.model.current
        if frame is None:
            return
        direction = self.timeline.direction if self.timeline.playing else 1
        for cache in (self.cache, self.compare_cache):
            cache.set_playhead(frame, direction=direction, within=self.timeline.play_range)

    def _update_cache_pause(self) -> None:
        # from the request of a preview to its result: the frame the artist looks at comes first
        busy = self._preview_pending or self._preview_id > self._preview_done
        self.cache.set_paused(busy)
        self.compare_cache.set_paused(busy or self.viewer.mode != "ab")

    def _playable(self, frame: int) -> bool:
        """Can playback show ``frame`` now: the frames as shot always; a result once cached."""
        if self.viewer.mode == "before" or not self.cache.enabled:
            return True
        if frame not in self.cache:
            return False
        setup = self._compare_setup
        return self.viewer.mode != "ab" or setup is None or frame not in setup.shot.frames or frame in self.compare_cache

    def _on_cache_frame(self, frame: int) -> None:
        if frame == self.model.current and not self.viewer.has_after:
            entry = self.cache.get(frame)
            if entry is not None and entry.after is not None:
                self.viewer.set_after(entry.after, entry.after_alpha)

    def _show_cached(self, entry: CachedFrame) -> None:
        """Playback: show a cached frame without touching the disk or the mask editor."""
        self._light_frame = entry.frame
        self.viewer.set_frame(entry.before, entry.before_alpha)
        self.viewer.set_after(entry.after, entry.after_alpha)
        # a carried correction under review plays too (orange, as when scrubbing); the cached
        # render is the frame without it until it is applied
        pending = self.pending is not None and entry.frame in self.pending.masks
        self.viewer.set_mask(self.pending.mask(entry.frame) if pending else entry.masks.get("seam"))
        self.viewer.set_pending(self.pending.coverage(entry.frame) if pending else None)
        self.viewer.set_rejected(entry.masks.get("seam_rejected"))
        prev = self.model.previous_frame(entry.frame)
        onion = self.cache.get(prev) if prev is not None and self.onion_action.isChecked() else None
        self.viewer.set_onion(onion.before if onion is not None and onion.before.shape == entry.before.shape else None)
        self.viewer.badge = entry.error or ""  # (the frame number is in the view label, top right)

    def _on_play_toggled(self, on: bool) -> None:
        self.viewer.smooth = not on
        self._play_times.clear()
        self._play_start = time.perf_counter()
        self._waiting = False
        self._cache_follow()
        if not on:
            self.viewer.playback = ""
            if self._light_frame is not None and self.model.current is not None:
                self._light_frame = None
                self._on_frame_changed(self.model.current)  # the mask editor and preview follow
            self.viewer.update()

    @property
    def playback_fps(self) -> float:
        """Frames shown per second over the last two seconds of playback (0: not playing)."""
        if not self.timeline.playing:
            return 0.0
        now = time.perf_counter()
        while self._play_times and now - self._play_times[0] > 2.0:
            self._play_times.popleft()
        span = min(2.0, now - self._play_start)
        return len(self._play_times) / span if span > 0.25 else 0.0

    def _show_playback_rate(self) -> None:
        fps = self.playback_fps
        target = self.timeline.rate * self.timeline.speed
        text = f"▶ {fps:.1f} fps (of {target})" if fps else f"▶ (of {target} fps)"
        if self._waiting:
            text += "  ·  waiting for the cache"
        self.viewer.playback = text
        self.viewer.update()

    def _show_cache_status(self) -> None:
        n, mb = len(self.cache.cached_frames), self.cache.nbytes / 2**20
        cap = self.cache.capacity
        self.cache_status.setText(f"cache {n}" + (f"/{cap}" if cap else "") + f" frames · {mb:.0f} MB")

    # ------------------------------------------------------------------ A/B compare
    def set_compare_source(self, source: str) -> None:
        """Version B: ``"output"`` (the batch output folder) or ``"snapshot"``."""
        if source not in ("output", "snapshot"):
            raise ValueError(f"unknown compare source {source!r}")
        self.compare_source = source
        index = ("output", "snapshot").index(source)
        if self.compare_box.currentIndex() != index:
            self.compare_box.setCurrentIndex(index)
        self._configure_compare()

    def take_snapshot(self) -> None:
        """Keep the settings shown now as version B and compare with them (Shift+S)."""
        try:
            specs, _ = self.preview_specs()
        except Exception as exc:
            self.notifier.error(f"Invalid setting: {exc}")
            return
        self._snapshot = (specs, dict(self._analyses))
        self._snapshots_taken += 1
        self._snapshot_time = time.strftime("%H:%M:%S")
        self.notifier.info(f"snapshot of the settings taken at {self._snapshot_time}: version B of A/B")
        self.set_compare_source("snapshot")
        self.mode_actions["ab"].setChecked(True)
        self.viewer.set_ab_view("wipe")
        self._configure_compare()

    def batch_output_folder(self) -> Path | None:
        if self.model.shot is None:
            return None
        return Path(self.batch.default_output() or default_output_dir(self.model.shot))

    def _configure_compare(self, *, changed: bool = False) -> None:
        """Point the compare cache at version B in A/B mode: the batch output's frames
        (rendered through no plugin: read as they are) or the shot through the snapshot's
        settings. Its frames are kept while B stays the same (leaving A/B and coming back
        renders nothing again); ``changed``: B's frames may differ now (a batch ended, the
        shot's corrections changed), render them again."""
        if self.viewer.mode != "ab" or self.model.shot is None:
            self._update_cache_pause()
            return
        setup, name, key = None, "", None
        if self.compare_source == "output":
            folder = self.batch_output_folder()
            try:
                setup = RenderSetup(find_shot(folder), [])
                name, key = f"batch output ({folder.name})", ("output", str(folder), tuple(setup.shot.frames))
            except Exception:
                name = f"batch output: none in {folder}"
        elif self._snapshot is not None:
            setup = self._cache_setup(*self._snapshot)
            name, key = f"snapshot {self._snapshot_time}", ("snapshot", self._snapshots_taken)
        else:
            name = "snapshot: none yet (Shift+S)"
        key = (key, str(self.model.shot.directory), self.model.shot.pattern)
        if changed or setup is None or key != self._compare_key:
            self._compare_setup, self._compare_key = setup, key
            self.compare_cache.configure(setup)
        self._compare_name = name
        self._update_cache_pause()
        self._cache_follow()
        self._show_compare()

    def _show_compare(self) -> None:
        """Version B of the current frame on the viewer, and what it is in its label."""
        frame, setup = self.model.current, self._compare_setup
        entry = self.compare_cache.get(frame) if frame is not None and setup is not None else None
        name = getattr(self, "_compare_name", "")
        if setup is not None and frame is not None and entry is None:
            name += " (rendering)" if frame in setup.shot.frames else f" (no frame {frame})"
        elif entry is not None and entry.error:
            name += f" ({entry.error})"
        self.viewer.ab_names = ("live", name)
        self.viewer.set_compare(None if entry is None else entry.after, None if entry is None else entry.after_alpha)

    def _on_compare_frame(self, frame: int) -> None:
        if frame == self.model.current:
            self._show_compare()

    def _set_onion(self, on: bool) -> None:
        self.viewer.onion = on
        if self.model.current is not None:
            self._on_frame_changed(self.model.current)

    def _set_mask_visible(self, on: bool) -> None:
        self.viewer.mask_visible = on
        self.viewer.update()

    def _set_mask_opacity(self, value: int) -> None:
        self.viewer.mask_opacity = value / 100.0
        self.viewer.update()

    # ------------------------------------------------------------------ mask painting
    def set_tool(self, tool: str) -> None:
        """``view``, ``paint`` or ``erase``; painting shows the mask."""
        self.viewer.set_tool(tool)
        if tool != "view" and not self.mask_action.isChecked():
            self.mask_action.setChecked(True)
        if not self.tool_actions[tool].isChecked():
            self.tool_actions[tool].setChecked(True)

    def _on_stroke_started(self) -> None:
        self._stroke_blocked = self.pending is not None or self.carry_worker.running
        if self._stroke_blocked:
            self.notifier.error("Apply or discard the carried correction before painting again.")
            return
        self.mask_editor.begin_stroke(erase=self.viewer.tool == "erase")

    def _paint_segment(self, x0: float, y0: float, x1: float, y1: float) -> None:
        if self._stroke_blocked:
            return
        self.mask_editor.paint(x0, y0, x1, y1, self.viewer.brush_size, erase=self.viewer.tool == "erase",
                               softness=self.softness.value() / 100.0)  # fmt: skip

    def _on_stroke_finished(self) -> None:
        if not self._stroke_blocked:
            self.mask_editor.end_stroke()
        self._stroke_blocked = False

    def _on_mask_changed(self) -> None:
        frame = self.model.current
        pending = self.pending is not None and frame in self.pending.masks
        self.viewer.set_mask(self.pending.mask(frame) if pending else self.mask_editor.mask)
        self.viewer.set_pending(self.pending.coverage(frame) if pending else None)
        tag = "mask corrected by hand" if self.mask_editor.is_override else ""
        if pending:
            tag = f"carried from {self.pending.source}: not applied yet"
        self.viewer.badge = tag if frame is not None else ""  # (the frame number is in the view label)
        self.undo_action.setEnabled(self.mask_editor.can_undo)
        self.redo_action.setEnabled(self.mask_editor.can_redo)
        self.undo_action.setToolTip(f"Undo {self.mask_editor.undo_label} (Ctrl+Z)" if self.mask_editor.can_undo
                                    else "Nothing to undo in this shot")  # fmt: skip
        self.redo_action.setToolTip(f"Redo {self.mask_editor.redo_label}" if self.mask_editor.can_redo
                                    else "Nothing to redo")  # fmt: skip
        self.revert_action.setEnabled(self.mask_editor.is_override)
        n = len(self.mask_editor.strokes)
        self.carry_range_action.setEnabled(n > 0 and self.pending is None and not self.carry_worker.running)
        self.carry_shot_action.setEnabled(self.carry_range_action.isEnabled())
        self.carry_range_action.setText(f"Carry {n} stroke{'s' if n != 1 else ''}" if n else "Carry")

    # ------------------------------------------------------------------ carry a correction
    # ------------------------------------------------------------------ learn from corrections
    def learn_from_corrections(self) -> bool:
        """Fine-tune the seam detector on this shot's corrections in the background (a child
        ``laika-fx train seam-detector --from-shot``); False if it cannot start."""
        shot = self.model.shot
        if shot is None or self.learner.running:
            return False
        folder = self.model.override_dir
        if folder is None or not any(Path(folder).glob("*.png")):
            self.notifier.error("Correct the mask on a few frames first (Paint / Erase): learning starts from "
                                "the frames you corrected.")  # fmt: skip
            return False
        self.learner.start(shot.directory, minutes=self.learn_minutes.value())
        self.learn_action.setEnabled(False)
        self.learn_minutes.setEnabled(False)
        self.learn_progress.setValue(0)
        for w in self._learn_widgets:
            w.setVisible(True)
        self.notifier.info(f"learning from the corrections of {shot.directory.name} in the background")
        return True

    def _on_learn_progress(self, percent: int, text: str) -> None:
        if percent >= 0:
            self.learn_progress.setValue(percent)
        self.learn_progress.setToolTip(text)
        self.statusBar().showMessage(f"learning: {text}", 10000)

    def _on_learn_finished(self, ok: bool, text: str) -> None:
        for w in self._learn_widgets:
            w.setVisible(False)
        self.learn_action.setEnabled(self.model.shot is not None)
        self.learn_minutes.setEnabled(True)
        if not ok:
            self.notifier.error(text)
            return
        self.notifier.info(text)
        self._configure_cache()  # the cached renders used the model before
        self._schedule_preview()

    def carry_correction(self, *, whole_shot: bool = False) -> bool:
        """Carry the strokes painted on this frame to the in/out range (or the whole shot),
        moved with the picture around them, in the background; the result waits for review
        (Apply / Discard). False if there is nothing to carry or a carry is under way."""
        frame, shot = self.model.current, self.model.shot
        if frame is None or shot is None:
            return False
        if self.pending is not None or (self.carry_worker.running and self.pending_bar.isVisible()):
            self.notifier.error("A carried correction is waiting: apply or discard it first.")
            return False
        if self.carry_worker.running:
            self.notifier.error("The carry just discarded is still stopping: try again in a moment.")
            return False
        if not self.mask_editor.strokes:
            self.notifier.error("Paint or erase on this frame first: Carry moves those strokes to other frames.")
            return False
        lo, hi = (shot.first, shot.last) if whole_shot else self.timeline.play_range
        if not lo <= frame <= hi:
            lo, hi = min(lo, frame), max(hi, frame)  # the range reaches the frame drawn on
        try:
            specs, _ = self.preview_specs()
        except Exception as exc:
            self.notifier.error(f"Invalid setting: {exc}")
            return False
        prompts = {n: [r for _, r in self.prompt_editor.regions(n)] for n in shot.frames if lo <= n <= hi}
        req = CarryRequest(frame, lo, hi, list(self.mask_editor.strokes), list(shot.frames), shot.path,
                           lambda n: read_frame(shot.path(n)), self.model.override_dir, specs,
                           dict(self._analyses), lambda n: prompts.get(n, []))  # fmt: skip
        self._carry_id = self.carry_worker.start(req)
        self._on_mask_changed()
        self.pending_label.setText(f"Carrying the correction of frame {frame} to {lo}-{hi}…")
        self.apply_button.setEnabled(False)
        self.pending_bar.show()
        return True

    def _on_carry_progress(self, done: int, total: int) -> None:
        if self.pending is None:
            self.pending_label.setText(f"Carrying the correction… {done}/{total} frames")

    def _on_carry_finished(self, result: CarryResult) -> None:
        if result.id != self._carry_id:
            return  # a carry cancelled before the one now running
        if result.cancelled or not result.masks:
            self.pending_bar.hide()
            self.pending = None
            if not result.cancelled:
                why = "; ".join(result.errors) or f"the track was lost at once ({len(result.lost)} frames)"
                self.notifier.error(f"The correction could not be carried: {why}")
            self._on_mask_changed()
            return
        self.pending = result
        frames = sorted(result.masks)
        text = (f"Correction of frame {result.source} carried to {len(frames)} frame"
                f"{'s' if len(frames) != 1 else ''} ({format_frame_range(frames)}) in {result.seconds:.1f} s: scrub "
                "to review (orange), then Apply or Discard.")  # fmt: skip
        if result.lost:
            text += f" Track lost, not carried: {format_frame_range(result.lost)}."
        if result.errors:
            text += " Not carried: " + "; ".join(result.errors)
        self.pending_label.setText(text)
        self.apply_button.setText(f"Apply to {len(frames)} frame{'s' if len(frames) != 1 else ''}")
        self.apply_button.setEnabled(True)
        self.timeline.ruler.pending = set(frames)
        self.timeline.ruler.update()
        self._on_mask_changed()
        self._schedule_preview()

    def apply_carry(self) -> list[Path]:
        """Write the carried correction under review as the overrides of its frames (one undo step)."""
        result, shot = self.pending, self.model.shot
        if result is None or shot is None:
            return []
        frames = sorted(result.masks)
        masks = {shot.path(n): result.mask(n) for n in frames}
        with self._bulk_overrides():
            written = self.mask_editor.write_masks(
                masks, f"correction of frame {result.source} carried to {format_frame_range(frames)}")  # fmt: skip
        self._end_pending()
        self.notifier.info(f"carried correction written to {len(written)} frames ({format_frame_range(frames)})")
        return written

    def discard_carry(self) -> None:
        """Forget the carried correction under review (or stop the one being computed)."""
        if self.carry_worker.running:
            self.carry_worker.cancel()
        self._end_pending()

    def _end_pending(self) -> None:
        self.pending = None
        self.pending_bar.hide()
        self.timeline.ruler.pending = set()
        self.timeline.ruler.update()
        self._on_mask_changed()
        self._schedule_preview()

    def _on_override_saved(self, path: str) -> None:
        if self._bulk_saving:
            return  # _bulk_overrides follows once, after the last file
        self._mark_overrides()
        self.statusBar().showMessage(f"mask correction saved: {path}", 4000)
        self._schedule_preview()
        self._configure_cache()  # the cached renders used the old correction

    @contextmanager
    def _bulk_overrides(self) -> Iterator[None]:
        """Override files written in bulk (a carried correction applied, a step over many
        frames undone or redone): the timeline's marks, the preview and the render caches
        follow once, after the last file, not once per file."""
        self._bulk_saving = True
        try:
            yield
        finally:
            self._bulk_saving = False
            self._mark_overrides()
            self._schedule_preview()
            self._configure_cache()

    def _mark_overrides(self) -> None:
        folder = self.model.override_dir
        shot = self.model.shot
        marked = set()
        if folder is not None and folder.is_dir():
            marked = {n for n in shot.frames if mask_override_path(folder, shot.path(n)).is_file()}
        self.timeline.ruler.marked = marked
        self.timeline.ruler.update()

    # ------------------------------------------------------------------ puppet prompt
    def _show_prompts(self) -> None:
        frame = self.model.current
        shapes = [] if frame is None else [(i, r.kind, r.values) for i, r in self.prompt_editor.regions(frame)]
        self.viewer.set_prompts(shapes, self.prompt_editor.selected)
        selected = self.prompt_editor.selected is not None
        self.key_box_action.setEnabled(selected)
        self.delete_box_action.setEnabled(selected)

    def _on_prompt_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"puppet prompt saved: {path}", 4000)
        # the marks told of lines left alone under the old prompt: previews (and the next
        # batch) mark the frames again
        self.timeline.ruler.left_alone = set()
        self.timeline.ruler.update()
        self._schedule_preview()

    def key_prompt(self) -> None:
        """Key the selected puppet box on the current frame (K)."""
        if self.prompt_editor.selected is not None and self.model.current is not None:
            self.prompt_editor.key(self.prompt_editor.selected, self.model.current)

    def delete_prompt(self) -> None:
        """Delete the selected puppet box (Delete)."""
        if self.prompt_editor.selected is not None:
            self.prompt_editor.delete(self.prompt_editor.selected)

    def _mark_left_alone_from_report(self) -> None:
        """Mark on the timeline the frames where the last batch into the output folder left
        detected lines alone (its report's notes); previews update the marks frame by frame."""
        marked: set[int] = set()
        if self.model.shot is not None:
            output = self.batch.default_output() or default_output_dir(self.model.shot)
            try:
                report = json.loads((Path(output) / REPORT_NAME).read_text())
                notes = report["notes"]["seam_removal"]
                marked = set(notes["frames_with_lines_left_alone"])
                self.timeline.ruler.cleaned = set(notes.get("frames_cleaned", ()))
            except (OSError, ValueError, KeyError, TypeError):
                marked = set()
        self.timeline.ruler.left_alone = marked
        self.timeline.ruler.update()

    def undo(self) -> None:
        """Undo the shot's last mask step, whichever frame it was on (all its frames at once)."""
        if self._carry_waiting():
            return
        with self._bulk_overrides():
            edit = self.mask_editor.undo()
        self._show_edit("undid", edit)

    def redo(self) -> None:
        if self._carry_waiting():
            return
        with self._bulk_overrides():
            edit = self.mask_editor.redo()
        self._show_edit("redid", edit)

    def _carry_waiting(self) -> bool:
        """A carried correction is built on the overrides as they are: they stay until it is
        applied or discarded."""
        if self.pending is None and not self.carry_worker.running:
            return False
        self.notifier.error("Apply or discard the carried correction before undoing.")
        return True

    def _show_edit(self, verb: str, edit) -> None:
        if edit is None:
            return
        self.statusBar().showMessage(f"{verb} {edit.label}", 5000)
        shot = self.model.shot
        if shot is None or len(edit.files) != 1:
            return
        (path,) = edit.files
        frame = next((n for n in shot.frames if shot.path(n) == path), None)
        if frame is not None and frame != self.model.current:
            self.model.set_frame(frame)  # show the frame the undone stroke was on

    def revert_mask(self) -> None:
        self.mask_editor.revert(self._detected)

    # ------------------------------------------------------------------ batch
    def current_job(self, *, analyze_only: bool = False) -> BatchJob | None:
        """A job for the open shot with the settings shown now."""
        if self.model.shot is None:
            return None
        output = self.batch.default_output() or default_output_dir(self.model.shot)
        r = self.timeline.ruler
        frames = None  # the whole shot, or from the in point to the out point (I / O)
        if not analyze_only and (r.in_point is not None or r.out_point is not None):
            lo, hi = self.timeline.play_range
            frames = f"{lo}-{hi}"
        return BatchJob(self.model.source, output, self.plugins.specs(), frames=frames, analyze_only=analyze_only,
                        export_shapes=not analyze_only and self.batch.shapes_box.isChecked())  # fmt: skip

    def add_current_to_batch(self) -> None:
        job = self.current_job()
        if job is None:
            self.notifier.error("Open a shot before adding it to the batch.")
            return
        try:
            self.batch.add_job(job)
        except ValueError as exc:
            self.notifier.error(f"Not queued: {exc}")
            return
        self.save_shot_settings(force=True)  # the shot keeps the settings it was queued with
        self.batch_dock.raise_()
        self.notifier.info(f"queued {job.name} ({job.frames or 'all frames'}) → {job.output}")

    def _on_job_done(self, job: BatchJob) -> None:
        if job.status == "failed":
            self.notifier.error(f"Batch of {job.name} failed: {job.error}")
        else:
            self.notifier.info(f"batch of {job.name}: {job.status}")
        self.log.appendPlainText(report_text(job))
        if self.model.shot is not None and job.source == self.model.source:
            self._refresh_analyses()
            self._mark_left_alone_from_report()

    def show_batch_frame(self, source: str, frame: int) -> None:
        """Open ``source`` (unless it is the open shot) at ``frame``: a frame the artist
        clicked in a batch job's result."""
        if self.model.shot is None or os.path.abspath(source) != os.path.abspath(self.model.source):
            if not self.open_shot(source):
                return
        self.model.set_frame(frame)
        self.viewer.setFocus()

    def analyze_current(self) -> None:
        """Run the analyze pass of the switched-on plugins in the background."""
        job = self.current_job(analyze_only=True)
        if job is None or self.analysis_runner.running:
            return
        if not any(registry.get(n).has_analyze for n, _ in job.plugins):
            self.notifier.error("None of the switched-on plugins has an analyze step (turn on stabilize).")
            return
        self.analyze_button.setEnabled(False)
        self.camera_status.setText("analyzing…")
        self.analysis_runner.start([job])
        self._analysis_job = job

    def _on_analysis_done(self, _job_id: int) -> None:
        job = self._analysis_job
        self.analyze_button.setEnabled(True)
        if job.status == "failed":
            self.camera_status.setText("analysis failed")
            self.notifier.error(f"Analysis of {job.name} failed: {job.error}")
        else:
            self.camera_status.setText(f"analysis {job.status} → {job.output}")
        self._refresh_analyses()

    def _refresh_analyses(self) -> None:
        """Reload the sidecars of the open shot's output folder; update the camera plot."""
        if self.model.shot is None:
            return
        output = self.batch.default_output() or default_output_dir(self.model.shot)
        self._analyses = {}
        for name in self.plugins.panels:  # one bad sidecar is reported, the others still load
            try:
                self._analyses.update(load_analyses(output, [registry.get(name)]))
            except BatchError as exc:
                self.notifier.error(str(exc))
        solve = self._analyses.get("stabilize")
        self.camera_plot.set_solve(None if solve is None else CameraSolve.from_document(solve, output / SIDECAR_NAME))
        self._mark_reference()
        self._schedule_preview()
        self._configure_cache()
        self._configure_compare(changed=True)

    def _load_solve_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Camera solve", "", "stabilize.json (*.json)")
        if path:
            try:
                self.camera_plot.set_solve(load_solve(path))
                self._mark_reference()
            except (OSError, ValueError) as exc:
                self.notifier.error(f"Cannot read {path}: {exc}")

    def _mark_reference(self) -> None:
        solve = self.camera_plot.solve
        self.timeline.ruler.reference = solve.reference if solve else None
        self.timeline.ruler.update()

    def set_reference(self, frame: int) -> None:
        """Make ``frame`` the stabilize reference (the artist re-runs Analyze to apply it)."""
        panel = self.plugins.panels.get("stabilize")
        control = panel.controls.get("reference") if panel else None
        if control is None:
            self.notifier.error("The stabilize plugin has no 'reference' setting to change.")
            return
        control.set_value(frame)
        panel.changed.emit()
        self.camera_status.setText(f"reference set to {frame}: click Analyze shot to re-solve")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._laid_out and self.settings.value("window/state") is None:
            # the viewer gets most of the window: the panels take 27 % of the width and
            # 20 % of the height (the camera plot's three rows stay readable: at least 90 px)
            w, h = self.width(), self.height()
            self.resizeDocks([self.effects_dock], [max(320, min(440, round(0.27 * w)))], Qt.Horizontal)
            self.resizeDocks([self.camera_dock], [max(130, min(250, round(0.2 * h)))], Qt.Vertical)
        self._laid_out = True

    # ------------------------------------------------------------------ shutdown
    def confirm_stop_batch(self) -> bool:
        """Closing while the batch renders: ask before stopping it (Ctrl+Q next to Ctrl+W or
        a stray click must not end an hour's render). True: stop it and quit."""
        running = next((j for j in self.batch.jobs if j.status == "running"), None)
        what = f"{running.name} ({self.batch.progress.value() / 10:.0f} %)" if running else "the queue"
        box = QMessageBox(QMessageBox.Warning, "Quit laika_fx",
                          f"The batch is rendering {what}. Quit and stop it?\n\nFrames already written stay "
                          "complete; the job can be queued and run again.", parent=self)  # fmt: skip
        stop = box.addButton("Stop and quit", QMessageBox.DestructiveRole)
        box.setDefaultButton(box.addButton("Keep rendering", QMessageBox.RejectRole))
        box.exec()
        return box.clickedButton() is stop

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.runner.running and self.isVisible() and not self.confirm_stop_batch():
            event.ignore()
            return
        self.save_settings()
        self.timeline.play_button.setChecked(False)
        for runner in (self.runner, self.analysis_runner):
            if runner.running:
                runner.cancel()
                runner.wait(60000)
        if self.carry_worker.running:
            self.carry_worker.cancel()
            self.carry_worker.wait(60)
        if self.learner.running:
            self.learner.cancel()
            self.learner.wait(5000)
        self.preview.stop()
        self.cache.stop()
        self.compare_cache.stop()
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> int:
    """Start the app: ``laika-fx-gui [SHOT]``."""
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("laika_fx")
    app.setOrganizationName("laika_fx")
    apply_theme(app)
    window = MainWindow()

    def excepthook(kind, value, tb) -> None:  # errors become messages, not a dead window
        traceback.print_exception(kind, value, tb)
        window.notifier.error(f"Unexpected error: {kind.__name__}: {value}")

    sys.excepthook = excepthook
    window.show()
    shots = [a for a in argv[1:] if not a.startswith("-")]
    if shots:
        window.open_shot(shots[0])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
