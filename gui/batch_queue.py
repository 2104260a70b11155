"""Batch queue panel: shots with their settings, run in the background, progress, and each
shot's result as an artist reads it (frames cleaned, frames where a line was left alone, frames
that failed; click one to look at it)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from laika_fx.pipeline import BatchError, ProgressEvent, check_output_folder
from laika_fx.plugins import registry
from laika_fx.report import format_summary
from laika_fx.sequence import format_frame_range, open_shot

from .flow import FlowLayout
from .style import ACCENT, DIM, ERROR, mono_font
from .workers import BatchJob, BatchRunner

__all__ = ["BatchQueue", "JobProgress", "ShotResult", "ResultPanel", "shot_result", "format_eta", "describe_progress",
           "SHAPES_COLUMN"]

_BAR_STEPS = 1000
SHAPES_COLUMN = 4  # the queue's columns: shot, frames, plugins, status, shapes, frames/min
RATE_COLUMN = 5


class JobProgress:
    """One job's progress across its phases (each analyze pass, then the render) as a single
    fraction that never goes back: the bar filled to 100 % in analyze and dropped to 47 % when
    the render started. Each phase counts as an equal share."""

    def __init__(self, job: BatchJob) -> None:
        analyzing = 0
        for name, _ in job.plugins:
            try:
                analyzing += bool(registry.get(name).has_analyze)
            except Exception:  # an unknown plugin fails the job; the bar does not care
                continue
        self.phases = max(1, analyzing + (0 if job.analyze_only else 1))
        self.seen: list[str] = []
        self.fraction = 0.0

    def update(self, ev: ProgressEvent) -> float:
        if ev.phase == "done":
            self.fraction = 1.0
            return self.fraction
        if ev.phase not in self.seen:
            self.seen.append(ev.phase)
        index = self.seen.index(ev.phase)
        within = ev.done / ev.total if ev.total else 0.0
        self.fraction = max(self.fraction, min(1.0, (index + within) / self.phases))
        return self.fraction

    def label(self, ev: ProgressEvent) -> str:
        step = f"step {min(len(self.seen), self.phases)}/{self.phases}  ·  " if self.phases > 1 else ""
        return step + describe_progress(ev)

_STATUS_TEXT = {"queued": "queued", "running": "running…", "done": "✔ done", "failed": "✖ failed",
                "cancelled": "cancelled"}  # fmt: skip


def format_eta(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def describe_progress(ev: ProgressEvent) -> str:
    """One line for the progress label: phase, frames, frames per minute, ETA."""
    phase = ev.phase.replace("analyze:", "analyze · ")
    failed = f"  ·  {ev.failed} failed" if ev.failed else ""
    return (f"{phase}  {ev.done}/{ev.total}  ·  {ev.frames_per_minute:.0f} frames/min  ·  "
            f"ETA {format_eta(ev.eta)}{failed}")  # fmt: skip


def report_text(job: BatchJob) -> str:
    """What the report pane shows for a job."""
    head = f"{job.name}  →  {job.output}\nplugins: {', '.join(n for n, _ in job.plugins) or 'none'}\n"
    if job.status == "queued":
        return head + "\nqueued"
    if job.status == "running":
        return head + "\nrunning…"
    lines = [head]
    if job.error:
        lines.append(f"ERROR: {job.error}\n")
    if job.report and "frames_written" in job.report:
        lines.append(format_summary(job.report))
    elif job.report:
        lines.append(f"analysis written for: {', '.join(job.report.get('analyzed', [])) or 'nothing'}"
                     f"  ({job.report.get('wall_seconds', 0):.1f} s)")  # fmt: skip
    return "\n".join(lines)


class ShotResult:
    """What a finished job did to its shot, in an artist's terms (from its report).

    Attributes
    ----------
    status : the job's status (``done``, ``failed``, ``cancelled``, ...).
    cleaned : frames written by this run (cleaned when seam removal ran).
    seam_removal : whether the seam removal plugin was in the job.
    left_alone : ``[(frame, text)]``, the frames where a detected line was left alone (not
        painted out), with how many and why, from ``notes.seam_removal``.
    on_puppet : the frames of ``left_alone`` where such a line lay on a face or on what moved
        (where a missed seam would be); None for a report that does not count them.
    failed : ``[(frame, text)]``, the frames that were not written and why.
    error : why the whole job failed (None if it ran).
    """

    def __init__(self, job: BatchJob) -> None:
        report = job.report if isinstance(job.report, dict) else {}
        self.status = job.status
        self.error = job.error
        self.seam_removal = any(name == "seam_removal" for name, _ in job.plugins)
        self.cleaned = int(report.get("frames_written", 0) or 0)
        self.skipped = int(report.get("frames_skipped", 0) or 0)
        self.left_alone: list[tuple[int, str]] = []
        notes = report.get("notes", {}).get("seam_removal", {}) if isinstance(report.get("notes"), dict) else {}
        per_frame = notes.get("lines_left_alone", {}) if isinstance(notes, dict) else {}
        for frame in notes.get("frames_with_lines_left_alone", []) if isinstance(notes, dict) else []:
            self.left_alone.append((int(frame), _left_alone_text(int(frame), per_frame.get(str(frame)))))
        puppet = notes.get("frames_with_lines_left_on_puppet") if isinstance(notes, dict) else None
        self.on_puppet: set[int] | None = {int(f) for f in puppet} if isinstance(puppet, list) else None
        self.shapes = _shapes_text(job, report)
        self.failed: list[tuple[int, str]] = []
        for entry in report.get("frames_failed", []):
            try:
                self.failed.append((int(entry["frame"]), f"frame {entry['frame']}  ·  {entry.get('file', '')}: "
                                                         f"{entry.get('error', 'failed')}"))  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue

    @property
    def headline(self) -> str:
        """One line: what happened to the shot."""
        if self.status == "failed" and self.error and not self.cleaned:
            return f"failed: {self.error}"
        verb = "cleaned" if self.seam_removal else "written"
        parts = [f"{self.cleaned} frame{'s' if self.cleaned != 1 else ''} {verb}"]
        if self.seam_removal:
            parts.append(f"line left alone on {len(self.left_alone)}" + (
                f" ({len(self.on_puppet)} on a face or what moved)" if self.left_alone and self.on_puppet is not None
                else ""))  # fmt: skip
        parts.append(f"{len(self.failed)} failed")
        tail = "  (cancelled)" if self.status == "cancelled" else ""
        return "  ·  ".join(parts) + tail


def _shapes_text(job: BatchJob, report: dict) -> str:
    """Where the job's shapes went (or why there are none); "" when none were asked for."""
    if not job.export_shapes or not report:
        return ""
    shapes = report.get("shapes")
    if not isinstance(shapes, dict):
        return "shapes: none written (no plugin in the chain saves a mask; seam removal does)"
    names = ", ".join(f"{m}.nk" for m in shapes.get("masks", []))
    text = f"shapes (JSON, SVG per frame; Nuke Roto {names}) in {shapes.get('folder', '')}"
    return text + (f"  ·  error: {shapes['error']}" if shapes.get("error") else "")


def rejected_where(on_puppet) -> str:
    """Where the lines the gate rejected lay: ``rejected_on_puppet`` of a frame's note (None: a
    report written before laika_fx counted them)."""
    if on_puppet is None:
        return ""
    return f", {on_puppet or 'none'} on a face or what moved"


def _left_alone_text(frame: int, note) -> str:
    if not isinstance(note, dict):
        return f"frame {frame}"
    n = int(note.get("lines_left_alone", 0) or 0)
    gated, puppet = note.get("rejected_by_gate"), note.get("rejected_on_puppet")
    why = [t for t in (f"{note.get('outside_prompt')} outside the puppet prompt" if note.get("outside_prompt") else "",
                       f"{gated} rejected by the gate" + rejected_where(puppet) if gated else "") if t]  # fmt: skip
    return f"frame {frame}  ·  {n} line{'s' if n != 1 else ''}" + (f" ({', '.join(why)})" if why else "")


def shot_result(job: BatchJob) -> ShotResult:
    """The result of ``job`` as the batch queue shows it."""
    return ShotResult(job)


class ResultPanel(QWidget):
    """The selected job's result: frames cleaned, frames where a line was left alone and
    frames that failed, each frame clickable; the full report (timings) under Details.

    Signals
    -------
    frame_requested(int) : the artist clicked a frame.
    """

    frame_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a shot to see its result.", self)
        self.title.setObjectName("dim")
        self.title.setTextFormat(Qt.RichText)
        self.cleaned_label = QLabel(self)
        self.left_alone_label = QLabel(self)
        self.failed_label = QLabel(self)
        for label in (self.cleaned_label, self.left_alone_label, self.failed_label):
            label.setTextFormat(Qt.RichText)
        self.title.setWordWrap(True)
        self.shapes_label = QLabel(self)
        self.shapes_label.setObjectName("dim")
        self.shapes_label.setWordWrap(True)
        self.shapes_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.left_alone_label.setToolTip("Lines the detector found but did not paint out (outside the puppet prompt, "
                                         "or not on a face). Click a frame to look at it; paint the seam in "
                                         "if it is one.")  # fmt: skip
        self.left_alone_list = QListWidget(self)
        self.left_alone_list.setToolTip("Click to open the shot at that frame")
        self.failed_list = QListWidget(self)
        self.failed_list.setToolTip("Click to open the shot at that frame")
        for lst in (self.left_alone_list, self.failed_list):
            lst.setMinimumHeight(44)
            lst.itemClicked.connect(self._clicked)
            lst.itemActivated.connect(self._clicked)
        self.details_button = QToolButton(self)
        self.details_button.setText("Details (timings)")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("The full report: throughput, per-stage timings, settings")
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setFont(mono_font(9))
        self.details.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.details.setVisible(False)
        self.details_button.toggled.connect(self.details.setVisible)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.title)
        counts = QWidget(self)  # the counts wrap onto two lines in a narrow dock
        flow = FlowLayout(counts, spacing=12)
        for w in (self.cleaned_label, self.left_alone_label, self.failed_label, self.details_button):
            flow.addWidget(w)
        lay.addWidget(counts)
        lay.addWidget(self.shapes_label)
        lay.addWidget(self.left_alone_list, 3)  # one under the other: the dock is narrow
        lay.addWidget(self.failed_list, 1)
        lay.addWidget(self.details, 1)
        self.show_job(None)

    def show_job(self, job: BatchJob | None) -> None:
        self.left_alone_list.clear()
        self.failed_list.clear()
        self.details.setPlainText(report_text(job) if job is not None else "")
        self.shapes_label.setVisible(False)
        finished = job is not None and job.status in ("done", "failed", "cancelled")
        for w in (self.cleaned_label, self.left_alone_label, self.failed_label, self.left_alone_list,
                  self.failed_list):  # fmt: skip
            w.setVisible(finished)
        if job is None:
            self.title.setText("Select a shot to see its result.")
            return
        where = f"<b>{_html(job.name)}</b> → {_html(str(job.output))}"
        if not finished:
            self.title.setText(f"{where}  ·  {_STATUS_TEXT.get(job.status, job.status)}")
            return
        result = shot_result(job)
        self.title.setText(f"{where}  ·  {_STATUS_TEXT.get(job.status, job.status)}"
                           + (f"  ·  {_html(result.error)}" if result.error else ""))  # fmt: skip
        self.shapes_label.setText(_html(result.shapes))
        self.shapes_label.setVisible(bool(result.shapes))
        verb = "cleaned" if result.seam_removal else "written"
        self.cleaned_label.setText(f"<span style='color:{ACCENT};font-size:16px;font-weight:600'>{result.cleaned}</span>"
                                   f" frames {verb}")  # fmt: skip
        self.left_alone_label.setVisible(result.seam_removal)
        self.left_alone_list.setVisible(result.seam_removal)
        n = len(result.left_alone)
        colour = "#28dcff" if n else DIM
        self.left_alone_label.setText(f"<span style='color:{colour};font-size:16px;font-weight:600'>{n}</span> with a "
                                      f"line left alone" + (f" ({format_frame_range([f for f, _ in result.left_alone])})"
                                                            if n else "")
                                      + (f"; <b>{len(result.on_puppet)}</b> on a face or what moved"
                                         if n and result.on_puppet is not None else ""))  # fmt: skip
        n_failed = len(result.failed)
        colour = ERROR if n_failed else DIM
        self.failed_label.setText(f"<span style='color:{colour};font-size:16px;font-weight:600'>{n_failed}</span> "
                                  "failed")  # fmt: skip
        for frame, text in result.left_alone:
            # a warning where a missed seam could be (or where the report does not say); a dot
            # for lines off any face and off what moved (set lines, as far as laika_fx can tell)
            sure_set = result.on_puppet is not None and frame not in result.on_puppet
            item = QListWidgetItem(f"{'·' if sure_set else '⚠'} {text}")
            item.setData(Qt.UserRole, frame)
            item.setToolTip(f"{text} left alone: click to look at the frame")
            self.left_alone_list.addItem(item)
        if not result.left_alone:
            self._placeholder(self.left_alone_list, "no line left alone")
        for frame, text in result.failed:
            item = QListWidgetItem(f"✖ {text}")
            item.setData(Qt.UserRole, frame)
            item.setToolTip(text)
            self.failed_list.addItem(item)
        if not result.failed:
            self._placeholder(self.failed_list, "no frame failed" if not result.error else f"job failed: {result.error}")

    @staticmethod
    def _placeholder(lst: QListWidget, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.NoItemFlags)
        lst.addItem(item)

    def frames(self, which: str) -> list[int]:
        """The frames listed under ``left_alone`` or ``failed`` (for tests and scripts)."""
        lst = self.left_alone_list if which == "left_alone" else self.failed_list
        return [lst.item(i).data(Qt.UserRole) for i in range(lst.count()) if lst.item(i).data(Qt.UserRole) is not None]

    def _clicked(self, item: QListWidgetItem) -> None:
        frame = item.data(Qt.UserRole)
        if frame is not None:
            self.frame_requested.emit(int(frame))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class BatchQueue(QWidget):
    """The queue of shots, the run controls, live progress and each shot's report.

    Signals
    -------
    add_requested() : the user wants the current shot (with the current settings) queued.
    job_done(BatchJob) : a job ended (done, failed or cancelled).
    frame_requested(str, int) : the artist clicked a frame in a job's result: open that shot
        (the job's source) at that frame.
    """

    add_requested = Signal()
    job_done = Signal(object)
    frame_requested = Signal(str, int)

    def __init__(self, runner: BatchRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.jobs: list[BatchJob] = []
        self._next_id = 1
        self._last_progress = 0.0
        self._progress: dict[int, JobProgress] = {}  # the running job's

        self.output = QLineEdit(self)
        self.output.setPlaceholderText("output folder for the current shot")
        self.output.setToolTip("Cleaned frames, masks, sidecars and the report go here (never the shot folder)")
        browse = QPushButton("…", self)
        browse.setToolTip("Choose the output folder")
        browse.setMaximumWidth(30)
        browse.clicked.connect(self._browse)
        self.add_button = QPushButton("+ Add current shot", self)
        self.add_button.setToolTip("Queue the open shot with the plugin settings shown now (Ctrl+B)")
        self.add_button.clicked.connect(self.add_requested)
        self.add_button.setEnabled(False)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.run_button = QPushButton("▶ Run queue", self)
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("■ Cancel all", self)
        self.cancel_button.setObjectName("danger")
        self.cancel_button.setToolTip("Stop the queue after the frames in flight; nothing half-written is left")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_job_button = QPushButton("Cancel job", self)
        self.cancel_job_button.setToolTip("Cancel the selected job only (running: after the frames in flight); "
                                          "the queue goes on")  # fmt: skip
        self.cancel_job_button.clicked.connect(self.cancel_selected)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setToolTip("Queue the selected failed or cancelled job again (▶ Run to render it)")
        self.retry_button.clicked.connect(self.retry_selected)

        self.shapes_box = QCheckBox("Export shapes", self)
        self.shapes_box.setToolTip("Jobs added from now on also write each seam mask as vector shapes (JSON, SVG) "
                                   "and a Nuke Roto script into OUTPUT/shapes; tick or untick the Shapes "
                                   "column to change a queued job")  # fmt: skip
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Shot", "Frames", "Plugins", "Status", "Shapes", "fr/min"])
        self.tree.headerItem().setToolTip(SHAPES_COLUMN, "Also write the seam masks as shapes (JSON, SVG, Nuke Roto); "
                                                         "a queued job's can be changed here")  # fmt: skip
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(False)
        for column, width in enumerate((110, 80, 90, 70, 62)):  # the dock is ~320-440 px wide
            self.tree.setColumnWidth(column, width)
        # the plugins are the shot's tooltip and under Details: room for frames, status, shapes
        self.tree.setColumnHidden(2, True)
        self.tree.setMinimumHeight(60)
        self.tree.currentItemChanged.connect(lambda *_: (self._show_report(), self._update_buttons()))

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label = QLabel("idle", self)
        self.progress_label.setObjectName("dim")
        self.progress_label.setWordWrap(True)  # a long line must not widen the dock (and squeeze the viewer)
        self.result = ResultPanel(self)
        self.result.frame_requested.connect(self._on_frame_requested)
        self.report = self.result.details  # the full text report, under "Details"

        out_row = QHBoxLayout()
        out_row.addWidget(QLabel("Output", self))
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        add_row = QHBoxLayout()  # what the next job is: the open shot, with or without shapes
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.shapes_box)
        add_row.addStretch(1)
        buttons = QHBoxLayout()  # two short rows: the dock stays narrow beside the viewer
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.cancel_job_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        run_row = QHBoxLayout()
        run_row.addStretch(1)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.run_button)
        top = QWidget(self)
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addLayout(out_row)
        top_lay.addLayout(add_row)
        top_lay.addWidget(self.tree, 1)
        top_lay.addLayout(buttons)
        top_lay.addLayout(run_row)
        top_lay.addWidget(self.progress)
        top_lay.addWidget(self.progress_label)
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.result)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 360])  # the result gets room: the queue is a few rows
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(split)

        runner.job_started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.job_finished.connect(self._on_finished)
        runner.queue_finished.connect(self._on_queue_finished)
        self._update_buttons()

    # -- queue editing -------------------------------------------------------------
    def clash(self, job: BatchJob) -> BatchJob | None:
        """A queued or running job that writes into the same output folder as ``job``."""
        out = Path(job.output).expanduser().absolute()
        return next((j for j in self.jobs if j.status in ("queued", "running")
                     and Path(j.output).expanduser().absolute() == out), None)  # fmt: skip

    def add_job(self, job: BatchJob) -> BatchJob:
        """Append ``job`` to the queue (its id is assigned here). Raises ValueError (one line)
        when a queued or running job already writes into the same output folder (the two
        would overwrite each other's frames and report), or when the batch would refuse the
        output folder (the shot's own folder or one inside it, a file, not writable)."""
        other = self.clash(job)
        if other is not None:
            raise ValueError(f"{other.name} is already queued into {other.output}: "
                             "choose another output folder, or remove that job first")  # fmt: skip
        try:  # an output the batch would refuse (the shot's own folder, a file...): refused now, not at Run
            check_output_folder(open_shot(job.source), job.output)
        except BatchError as exc:
            raise ValueError(str(exc)) from None
        except Exception:  # the shot cannot be opened: the job says why when it runs
            pass
        job.id = self._next_id
        self._next_id += 1
        self.jobs.append(job)
        item = QTreeWidgetItem([job.name, job.frames or "all", ", ".join(n for n, _ in job.plugins) or "—",
                                _STATUS_TEXT[job.status], "", ""])  # fmt: skip
        item.setData(0, Qt.UserRole, job.id)
        item.setToolTip(0, f"{job.source}\n→ {job.output}\nplugins: {', '.join(n for n, _ in job.plugins) or 'none'}")
        self.tree.blockSignals(True)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(SHAPES_COLUMN, Qt.Checked if job.export_shapes else Qt.Unchecked)
        self.tree.blockSignals(False)
        self.tree.addTopLevelItem(item)
        self.tree.setCurrentItem(item)
        self._update_buttons()
        return job

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        """The Shapes box of a job ticked or unticked: a queued job takes it; one that ran
        or is running keeps what it was run with."""
        if column != SHAPES_COLUMN:
            return
        job = self._job(item.data(0, Qt.UserRole))
        if job is None:
            return
        on = item.checkState(SHAPES_COLUMN) == Qt.Checked
        if job.status == "queued":
            job.export_shapes = on
        elif on != job.export_shapes:
            self.tree.blockSignals(True)
            item.setCheckState(SHAPES_COLUMN, Qt.Checked if job.export_shapes else Qt.Unchecked)
            self.tree.blockSignals(False)
            self.progress_label.setText(f"{job.name} is {job.status}: Retry queues it again, then the "
                                        "shapes can be changed")  # fmt: skip

    def remove_selected(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        job = self._job(item.data(0, Qt.UserRole))
        if job is None or job.status == "running":
            return
        self.jobs.remove(job)
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._update_buttons()

    def _selected_job(self) -> BatchJob | None:
        item = self.tree.currentItem()
        return self._job(item.data(0, Qt.UserRole)) if item is not None else None

    def cancel_selected(self) -> None:
        """Cancel the selected job only; the others run on."""
        job = self._selected_job()
        if job is not None and job.status in ("queued", "running"):
            if job.status == "running":
                self.progress_label.setText(f"cancelling {job.name} after the frames in flight…")
            self.runner.cancel_job(job)
            self._update_buttons()

    def retry_selected(self) -> None:
        """Queue the selected failed or cancelled job again (refused if another queued job now
        writes into its output folder)."""
        job = self._selected_job()
        if job is None or job.status not in ("failed", "cancelled"):
            return
        other = self.clash(job)
        if other is not None:
            self.progress_label.setText(f"not retried: {other.name} is queued into {other.output}")
            return
        job.status, job.report, job.error = "queued", None, None
        item = self._item(job.id)
        item.setText(3, _STATUS_TEXT["queued"])
        item.setText(RATE_COLUMN, "")
        item.setToolTip(3, "")
        self._show_report()
        self._update_buttons()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output.text())
        if folder:
            self.output.setText(folder)

    # -- running -------------------------------------------------------------------
    def run(self) -> None:
        """Run every queued job in the background."""
        if self.runner.running or not any(j.status == "queued" for j in self.jobs):
            return
        self.runner.start(self.jobs)
        self._update_buttons()

    def cancel(self) -> None:
        if self.runner.running:
            self.progress_label.setText("cancelling after the frames in flight…")
            self.runner.cancel()

    def _job(self, job_id: int) -> BatchJob | None:
        return next((j for j in self.jobs if j.id == job_id), None)

    def _item(self, job_id: int) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.UserRole) == job_id:
                return item
        return None

    def _on_started(self, job_id: int) -> None:
        item = self._item(job_id)
        if item is not None:
            item.setText(3, _STATUS_TEXT["running"])
            if self.tree.currentItem() is item:
                self._show_report()  # it said "queued"
            self.tree.setCurrentItem(item)
        self.progress.setRange(0, 0)  # busy until the first event says how many frames
        self._update_buttons()

    def _on_progress(self, job_id: int, ev: ProgressEvent) -> None:
        job = self._job(job_id)
        if job is None:
            return
        if job_id not in self._progress:
            self._progress = {job_id: JobProgress(job)}
        tracker = self._progress[job_id]
        fraction = tracker.update(ev)
        now = time.monotonic()
        if ev.phase == "done" or ev.done == ev.total or now - self._last_progress > 0.05:
            self._last_progress = now
            self.progress.setRange(0, _BAR_STEPS)
            self.progress.setValue(round(fraction * _BAR_STEPS))
            self.progress_label.setText(tracker.label(ev) if ev.phase != "done" else "finishing…")
            item = self._item(job_id)
            if item is not None and ev.phase == "render" and ev.done:
                item.setText(RATE_COLUMN, f"{ev.frames_per_minute:.0f}")

    def _on_finished(self, job_id: int) -> None:
        job = self._job(job_id)
        item = self._item(job_id)
        if job is None or item is None:
            return
        item.setText(3, _STATUS_TEXT[job.status])
        if job.status in ("done", "failed", "cancelled"):
            item.setToolTip(0, f"{job.source}\n→ {job.output}\nplugins: {', '.join(n for n, _ in job.plugins) or 'none'}\n"
                               f"{shot_result(job).headline}")  # fmt: skip
        if job.report and "frames_per_minute" in job.report:
            item.setText(RATE_COLUMN, f"{job.report['frames_per_minute']:.0f}")
        if job.error:
            item.setToolTip(3, job.error)
        if self.tree.currentItem() is item:
            self._show_report()
        self._update_buttons()
        self.job_done.emit(job)

    def _on_queue_finished(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.jobs and all(j.status == "done" for j in self.jobs) else 0)
        done = sum(j.status == "done" for j in self.jobs)
        self.progress_label.setText(f"idle  ·  {done}/{len(self.jobs)} shots done")
        self._update_buttons()

    def _show_report(self) -> None:
        self.result.show_job(self._selected_job())

    def _on_frame_requested(self, frame: int) -> None:
        job = self._selected_job()
        if job is not None:
            self.frame_requested.emit(job.source, frame)

    def _update_buttons(self) -> None:
        running = self.runner.running
        self.run_button.setEnabled(not running and any(j.status == "queued" for j in self.jobs))
        self.cancel_button.setEnabled(running)
        self.remove_button.setEnabled(not running and bool(self.jobs))
        job = self._selected_job() if hasattr(self, "cancel_job_button") else None
        self.cancel_job_button.setEnabled(job is not None and job.status in ("queued", "running"))
        self.retry_button.setEnabled(job is not None and job.status in ("failed", "cancelled"))

    def set_can_add(self, on: bool) -> None:
        self.add_button.setEnabled(on)

    def default_output(self) -> Path | None:
        text = self.output.text().strip()
        return Path(text).expanduser() if text else None
