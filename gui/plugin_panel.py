"""Plugin panels: controls generated from each plugin's parameter schema."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from laika_fx.plugins import Param, Plugin, registry

from .style import ACCENT
from .workers import PluginSpec

__all__ = ["ARTIST_WORDS", "ParamControl", "PluginPanel", "PluginStack", "TidySpinBox", "WheelGuard", "guard_wheel"]

_SLIDER_STEPS = 1000

#: How the app names the shipped plugins' settings for an artist: ``label`` (instead of the
#: parameter's name), ``special`` (the words a number box shows at its minimum, which
#: stands for "let the plugin decide") and ``expert`` (kept in a collapsed "Expert" part of
#: the panel). The command line and presets keep the parameter names; a plugin not listed
#: here shows its own labels (``Param.label`` or the name).
ARTIST_WORDS: dict[tuple[str, str], dict[str, Any]] = {
    ("seam_removal", "threshold"): {"label": "detection threshold", "special": "auto"},
    ("seam_removal", "dilation"): {"label": "grow mask (px)"},
    ("seam_removal", "min_area"): {"label": "ignore lines under (px)", "expert": True},
    ("seam_removal", "gate"): {"label": "paint out lines"},
    ("seam_removal", "confident"): {"label": "confident above", "special": "auto", "expert": True},
    ("seam_removal", "motion"): {"label": "what moves is the puppet", "expert": True},
    ("seam_removal", "inpainter"): {"label": "fill method", "expert": True},
    ("seam_removal", "precision"): {"label": "model precision", "expert": True},
    ("seam_removal", "detect_only"): {"label": "find only (no fill)"},
    ("stabilize", "reference"): {"label": "reference frame", "special": "first frame"},
    ("stabilize", "motion"): {"label": "camera motion"},
    ("stabilize", "smoothing"): {"label": "smoothing (frames)"},
    ("stabilize", "border"): {"label": "edges"},
    ("stabilize", "interpolation"): {"label": "resampling", "expert": True},
    ("stabilize", "fill_radius"): {"label": "fill from ± frames", "expert": True},
    ("stabilize", "learned"): {"label": "learned first guess", "expert": True},
    ("stabilize", "reject_foreground"): {"label": "ignore the puppet", "expert": True},
    ("stabilize", "mode"): {"label": "lock or smooth"},
    ("stabilize", "processes"): {"label": "faster solve on long shots", "expert": True},
    ("stabilize", "shot_pass"): {"label": "re-check against neighbours", "expert": True},
    ("deflicker", "window"): {"label": "window (frames)"},
    ("deflicker", "max_gain"): {"label": "largest correction"},
}

#: the mark beside a setting changed from its default
CHANGED_MARK = "●"


class WheelGuard(QObject):
    """Event filter: the mouse wheel over a slider, spin box or drop-down that does not have
    the keyboard focus scrolls the panel it sits in instead of changing the value (a wheel
    turned to scroll the Effects panel changed max gain 0.15 -> 0.132 on the way)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        area = obj.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QApplication.sendEvent(area.viewport(), event)  # scroll the panel
            event.accept()
        else:
            event.ignore()  # nothing to scroll here: the parent widgets may use it
        return True


_WHEEL_GUARD: WheelGuard | None = None


def guard_wheel(widget: QWidget) -> None:
    """Focus ``widget`` by click or Tab only (not by the wheel) and let the wheel change it
    only once it has the focus."""
    global _WHEEL_GUARD
    if _WHEEL_GUARD is None:
        _WHEEL_GUARD = WheelGuard()
    widget.setFocusPolicy(Qt.StrongFocus)
    widget.installEventFilter(_WHEEL_GUARD)


class TidySpinBox(QDoubleSpinBox):
    """A number box that shows as many decimals as the value needs: 1.0, 0.15, 0.9995 (not
    1.0000, 0.1500); it still takes and keeps its full precision."""

    def textFromValue(self, value: float) -> str:  # noqa: N802
        text = f"{value:.{self.decimals()}f}"
        if "." in text:
            text = text.rstrip("0")
            text = text + "0" if text.endswith(".") else text
        return text


class ParamControl(QWidget):
    """One editor for one :class:`Param`: spin box (+ slider for bounded numbers),
    check box, drop-down or text field.

    Signals
    -------
    changed() : the value changed.
    """

    changed = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None, *, special: str = "") -> None:
        super().__init__(parent)
        self.param = param
        self.slider: QSlider | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        bounded = param.minimum is not None and param.maximum is not None
        if param.type is bool:
            self.editor: QWidget = QCheckBox(self)
            self.editor.toggled.connect(self.changed)
        elif param.choices:
            self.editor = QComboBox(self)
            self.editor.addItems([str(c) for c in param.choices])
            self.editor.currentIndexChanged.connect(self.changed)
        elif param.type is str:
            self.editor = QLineEdit(self)
            self.editor.editingFinished.connect(self.changed)
        else:
            if param.type is int:
                box: QSpinBox | QDoubleSpinBox = QSpinBox(self)
                box.setRange(int(param.minimum if param.minimum is not None else -(2**31)),
                             int(param.maximum if param.maximum is not None else 2**31 - 1))  # fmt: skip
            else:
                box = TidySpinBox(self)
                span = (param.maximum - param.minimum) if bounded else 10.0
                box.setDecimals(4 if span <= 1 else 3 if span <= 10 else 2)  # a probability threshold needs 0.9995
                box.setSingleStep(span / 100 if bounded else 0.1)
                box.setRange(param.minimum if param.minimum is not None else -1e9,
                             param.maximum if param.maximum is not None else 1e9)  # fmt: skip
            box.setKeyboardTracking(False)
            box.setMinimumWidth(72 if not special else 90)
            if special:  # the minimum means "the plugin decides": say so in words
                box.setSpecialValueText(special)
            box.valueChanged.connect(self._box_changed)
            self.editor = box
            if bounded:
                self.slider = QSlider(Qt.Horizontal, self)
                self.slider.setRange(0, _SLIDER_STEPS)
                self.slider.valueChanged.connect(self._slider_changed)
                lay.addWidget(self.slider, 1)
        lay.addWidget(self.editor, 0 if self.slider else 1)
        for w in (self.editor, self.slider):
            if isinstance(w, (QSlider, QSpinBox, QDoubleSpinBox, QComboBox)):
                guard_wheel(w)
        self.setToolTip(param.help)
        self.set_value(param.default)

    @property
    def is_default(self) -> bool:
        try:
            return self.value() == self.param.coerce(self.param.default)
        except ValueError:
            return False

    def value(self) -> Any:
        """The current value, coerced by the Param (raises ParamError if invalid)."""
        e = self.editor
        if isinstance(e, QCheckBox):
            raw: Any = e.isChecked()
        elif isinstance(e, QComboBox):
            raw = self.param.choices[e.currentIndex()] if e.currentIndex() >= 0 else self.param.default
        elif isinstance(e, QLineEdit):
            raw = e.text()
        else:
            raw = e.value()
        return self.param.coerce(raw)

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting ``changed``."""
        value = self.param.coerce(value)
        e = self.editor
        e.blockSignals(True)
        if isinstance(e, QCheckBox):
            e.setChecked(bool(value))
        elif isinstance(e, QComboBox):
            e.setCurrentIndex(list(self.param.choices).index(value))
        elif isinstance(e, QLineEdit):
            e.setText(str(value))
        else:
            e.setValue(value)
        e.blockSignals(False)
        self._sync_slider()

    def text_of(self, value: Any) -> str:
        """``value`` as the control shows it (the special words at the minimum)."""
        e = self.editor
        if isinstance(e, (QSpinBox, QDoubleSpinBox)) and e.specialValueText() and value == e.minimum():
            return e.specialValueText()
        return str(value)

    def _sync_slider(self) -> None:
        if self.slider is None:
            return
        lo, hi = self.param.minimum, self.param.maximum
        frac = (self.editor.value() - lo) / (hi - lo) if hi > lo else 0.0
        self.slider.blockSignals(True)
        self.slider.setValue(round(frac * _SLIDER_STEPS))
        self.slider.blockSignals(False)

    def _slider_changed(self, pos: int) -> None:
        lo, hi = self.param.minimum, self.param.maximum
        value = lo + (hi - lo) * pos / _SLIDER_STEPS
        self.editor.blockSignals(True)
        self.editor.setValue(round(value) if self.param.type is int else value)
        self.editor.blockSignals(False)
        self.changed.emit()

    def _box_changed(self) -> None:
        self._sync_slider()
        self.changed.emit()


class PluginPanel(QGroupBox):
    """A checkable group (on = in the chain) with one control per parameter.

    Signals
    -------
    changed() : a setting or the on/off state changed.
    """

    changed = Signal()

    def __init__(self, plugin: type[Plugin], parent: QWidget | None = None) -> None:
        super().__init__(plugin.label or plugin.name, parent)
        self.plugin = plugin
        self.setCheckable(True)
        self.setChecked(True)
        self.setToolTip(plugin.description)
        self.controls: dict[str, ParamControl] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        if plugin.description:
            desc = QLabel(plugin.description, self)
            desc.setWordWrap(True)
            desc.setObjectName("dim")
            outer.addWidget(desc)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        self.labels: dict[str, QLabel] = {}
        self._label_text: dict[str, str] = {}
        expert_names = [p.name for p in plugin.params if ARTIST_WORDS.get((plugin.name, p.name), {}).get("expert")]
        self.expert_button = QToolButton(self)
        self.expert_button.setCheckable(True)
        self.expert_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.expert_button.setArrowType(Qt.RightArrow)
        self.expert_button.setAutoRaise(True)
        self.expert_button.setToolTip("Settings most shots never need")
        self.expert_box = QWidget(self)
        expert_form = QFormLayout(self.expert_box)
        expert_form.setContentsMargins(0, 0, 0, 0)
        for f in (form, expert_form):
            f.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
            f.setHorizontalSpacing(8)
            f.setVerticalSpacing(4)
        for param in plugin.params:
            words = ARTIST_WORDS.get((plugin.name, param.name), {})
            control = ParamControl(param, self, special=words.get("special", ""))
            control.changed.connect(self.changed)
            self.controls[param.name] = control
            text = words.get("label") or param.label or param.name.replace("_", " ")
            label = QLabel(text, self)
            label.setTextFormat(Qt.RichText)
            label.setToolTip(f"{param.help} ({param.name}, default {control.text_of(param.default)})")
            self.labels[param.name] = label
            self._label_text[param.name] = text
            (expert_form if param.name in expert_names else form).addRow(label, control)
        outer.addLayout(form)
        self._expert_names = expert_names
        if expert_names:
            outer.addWidget(self.expert_button)
            outer.addWidget(self.expert_box)
            self.expert_button.toggled.connect(self.show_expert)
        else:
            self.expert_button.hide()
        self.show_expert(False)
        row = QHBoxLayout()
        self.status = QLabel("", self)
        self.status.setObjectName("dim")
        self.status.setWordWrap(True)
        reset = QPushButton("Reset", self)
        reset.setToolTip("Back to the plugin's defaults")
        reset.clicked.connect(self.reset)
        row.addWidget(self.status, 1)
        row.addWidget(reset)
        outer.addLayout(row)
        self.toggled.connect(lambda _on: self.changed.emit())
        self.changed.connect(self._update_marks)
        self._update_marks()

    def show_expert(self, on: bool) -> None:
        """Open or collapse the Expert part (collapsed at first)."""
        self.expert_box.setVisible(on)
        self.expert_button.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        if self.expert_button.isChecked() != on:
            self.expert_button.setChecked(on)

    @property
    def changed_from_default(self) -> list[str]:
        """Names of the settings that differ from the plugin's defaults."""
        return [n for n, c in self.controls.items() if not c.is_default]

    def _update_marks(self) -> None:
        """A mark beside each setting changed from its default (and on a collapsed Expert
        part holding one), so nothing set by hand hides."""
        changed = set(self.changed_from_default)
        mark = f"<span style='color:{ACCENT}'>{CHANGED_MARK}</span> "
        for name, label in self.labels.items():
            label.setText((mark if name in changed else "") + self._label_text[name])
        n = len(self._expert_names)
        hidden = [name for name in self._expert_names if name in changed]
        self.expert_button.setText(f"Expert ({n})" + (f"  {CHANGED_MARK} {len(hidden)} changed" if hidden else ""))

    @property
    def name(self) -> str:
        return self.plugin.name

    def settings(self) -> dict[str, Any]:
        """Current values by parameter name."""
        return {name: c.value() for name, c in self.controls.items()}

    def set_settings(self, settings: dict[str, Any]) -> None:
        """Show saved values (unknown names and invalid values are ignored)."""
        for name, value in settings.items():
            if name in self.controls:
                try:
                    self.controls[name].set_value(value)
                except ValueError:
                    continue
        self._update_marks()

    def reset(self) -> None:
        for c in self.controls.values():
            c.set_value(c.param.default)
        self._update_marks()
        self.changed.emit()


class PluginStack(QWidget):
    """A panel for every plugin the registry loads, in chain order; failures listed.

    Signals
    -------
    changed() : any panel changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels: dict[str, PluginPanel] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        for name in chain_order(registry.names()):
            panel = PluginPanel(registry.get(name), self)
            panel.changed.connect(self.changed)
            self.panels[name] = panel
            lay.addWidget(panel)
        failed = [i for i in registry.status() if i.error]
        for info in failed:
            note = QLabel(f"⚠ plugin {info.name} not loaded: {info.error}", self)
            note.setWordWrap(True)
            note.setObjectName("dim")
            lay.addWidget(note)
        if not self.panels:
            lay.addWidget(QLabel("No plugins found.", self))

    def specs(self) -> list[PluginSpec]:
        """``(name, settings)`` of the switched-on plugins, in chain order."""
        return [(name, p.settings()) for name, p in self.panels.items() if p.isChecked()]

    def state(self) -> dict[str, dict]:
        """Everything to persist: ``{name: {"enabled": bool, "settings": {...}}}``."""
        return {n: {"enabled": p.isChecked(), "settings": p.settings()} for n, p in self.panels.items()}

    def restore(self, state: dict[str, dict]) -> None:
        for name, entry in (state or {}).items():
            panel = self.panels.get(name)
            if panel is None or not isinstance(entry, dict):
                continue
            panel.blockSignals(True)
            panel.setChecked(bool(entry.get("enabled", True)))
            panel.blockSignals(False)
            panel.set_settings(entry.get("settings", {}))


#: the order of the clean-up: seams are painted out on the frame as shot, then the
#: camera is aligned; anything else (deflicker, third-party) runs first, by name.
_CHAIN_TAIL = ("seam_removal", "stabilize")


def chain_order(names: list[str]) -> list[str]:
    """Plugin names in the order the chain applies them."""
    head = [n for n in names if n not in _CHAIN_TAIL]
    return head + [n for n in _CHAIN_TAIL if n in names]
