"""Plugin API and registry.

A plugin is a named effect with typed parameters. Its parameters are declared once
(:class:`Param`) and drive the CLI (``--set name.param=value``), the GUI panel and
saved presets. A plugin may have a whole-shot :meth:`Plugin.analyze` step whose
result is saved as a JSON sidecar ``OUTPUT/<plugin>.json``, and must have a
per-frame :meth:`Plugin.render` step: array in, array out, dtype and alpha kept.

Plugins are found through the entry point group ``laika_fx.plugins``; the built-in
ones are registered through the very same group. Entry points are loaded only when
asked for, and one that fails to import is listed as failed, never fatal. Set
``LAIKA_FX_DISABLE_PLUGINS=1`` to load built-in plugins only (render farms).

Writing a plugin::

    from laika_fx.plugins import Param, Plugin

    class Invert(Plugin):
        name = "invert"
        label = "Invert"
        params = (Param("amount", float, 1.0, minimum=0.0, maximum=1.0, help="blend"),)

        def render(self, frame, ctx):
            ...
            return out

A plugin that makes masks puts them in ``ctx.masks`` by name; those it lists in
``saved_masks`` (mask name -> folder in OUTPUT) are written by ``--save-masks`` as
``OUTPUT/<folder>/<frame stem>.png`` (uint8, 255 = mask); the others are for display
only (the app overlays them). E.g. ``saved_masks = {"seam": "masks"}``.

What a plugin has to say about a frame goes to ``ctx.notes[plugin name]`` (JSON-
serialisable); the batch sums the notes up with the plugin's :meth:`Plugin.summarize_notes`
into the report's ``notes`` section. ``ctx.prompt`` says where the artist says the puppet
is on the frame (:mod:`laika_fx.prompts`).

    # setup.cfg of your package
    # [options.entry_points]
    # laika_fx.plugins =
    #     invert = my_package.invert:Invert
"""

from __future__ import annotations

import json
import math
import os
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from .pipeline import AnalysisSource
    from .prompts import Region

__all__ = [
    "ENTRY_POINT_GROUP",
    "SCHEMA_VERSION",
    "Param",
    "ParamError",
    "PluginError",
    "Plugin",
    "FrameContext",
    "PluginRegistry",
    "registry",
    "build_plugins",
    "PluginSpec",
    "check_analysis_document",
    "non_finite_field",
]

ENTRY_POINT_GROUP = "laika_fx.plugins"
#: version of saved settings/preset files written by :meth:`Plugin.settings_document`
SCHEMA_VERSION = 1
#: distributions whose entry points count as built-in
BUILTIN_DISTRIBUTIONS = {"laika_fx", "laika-fx"}


class ParamError(ValueError):
    """A parameter value is unknown, of the wrong type or out of range."""


class PluginError(ValueError):
    """A plugin cannot be built: unknown, failed to load, or given a bad setting (one line)."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One typed plugin parameter.

    Parameters
    ----------
    name : identifier used on the command line (``plugin.name=value``) and in presets.
    type : ``float``, ``int``, ``bool`` or ``str``.
    default : value used when none is given.
    minimum, maximum : inclusive range for numbers.
    choices : allowed values for strings (a drop-down in the GUI).
    help : one sentence for ``--help`` output and GUI tool tips.
    """

    name: str
    type: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""
    label: str | None = None

    def __post_init__(self) -> None:
        if self.type not in (float, int, bool, str):
            raise TypeError(f"parameter {self.name}: unsupported type {self.type!r}")
        self.coerce(self.default)  # the default itself must be valid

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` (possibly a string from the CLI) to this type and check it."""
        try:
            if self.type is bool:
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in _TRUE | _FALSE:
                        raise ValueError
                    out: Any = low in _TRUE
                elif isinstance(value, (bool, np.bool_, int)):
                    out = bool(value)
                else:
                    raise ValueError
            elif self.type is int:
                if isinstance(value, bool):
                    raise ValueError
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                out = int(value)
            elif self.type is float:
                if isinstance(value, bool):
                    raise ValueError
                out = float(value)
            else:
                out = str(value)
        except (TypeError, ValueError):
            raise ParamError(
                f"{self.name}: expected {self.type.__name__}, got {value!r}"
            ) from None
        if self.type in (int, float):
            if not np.isfinite(out):
                raise ParamError(f"{self.name}: value must be finite, got {value!r}")
            if self.minimum is not None and out < self.minimum:
                raise ParamError(f"{self.name}: {out} is below the minimum {self.minimum}")
            if self.maximum is not None and out > self.maximum:
                raise ParamError(f"{self.name}: {out} is above the maximum {self.maximum}")
        if self.choices is not None and out not in self.choices:
            raise ParamError(f"{self.name}: {out!r} is not one of {', '.join(self.choices)}")
        return out

    def describe(self) -> str:
        """One line for help output: type, range or choices, default and help."""
        if self.choices:
            kind = "|".join(self.choices)
        elif self.minimum is not None or self.maximum is not None:
            kind = f"{self.type.__name__} in [{self.minimum}, {self.maximum}]"
        else:
            kind = self.type.__name__
        return f"{self.name} ({kind}, default {self.default!r}): {self.help}"


@dataclass
class FrameContext:
    """What a plugin's :meth:`Plugin.render` knows about the frame it renders.

    Attributes
    ----------
    frame : frame number.
    path : source file.
    mask_override : artist-painted mask for this frame, ``(H, W)`` uint8 (255 = seam),
        or None; plugins that compute masks use it instead of their own detection.
    masks : masks plugins produced for this frame, by name (``"seam"``); with
        ``--save-masks`` the pipeline writes those a plugin declares in
        :attr:`Plugin.saved_masks`, the others are for display only.
    read_source : reads another *input* frame of the shot by number (e.g. to fill
        borders from neighbours); raises FrameReadError. None outside a batch.
    source : this frame as read, before any plugin ran (read-only); None when the frame
        a plugin is given is the input itself (a plugin called on its own).
    prompt : where the artist says the puppet is on this frame
        (:class:`laika_fx.prompts.Region` list, frame pixels; empty: nothing said).
    notes : what plugins have to say about this frame in the report, by plugin name
        (JSON-serialisable); the batch collects them and asks each plugin to sum them
        up (:meth:`Plugin.summarize_notes`) into ``laika_fx_report.json``.
    moving : where this frame moved against the set, as an analysis saw it (the first
        plugin of the chain whose :meth:`Plugin.moving_region` knows): a ``(rows, cols)``
        bool grid laid evenly over the frame, True = the content there moved (the
        puppet); None when no analysis says.
    """

    frame: int
    path: Path | None = None
    mask_override: np.ndarray | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    read_source: Callable[[int], np.ndarray] | None = None
    source: np.ndarray | None = None
    prompt: list[Region] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    moving: np.ndarray | None = None


def non_finite_field(doc: Any, where: str = "") -> str | None:
    """The path (``frames[3].gain``) of the first NaN or infinite number in a parsed JSON
    document, or None if every number is finite."""
    if isinstance(doc, float) and not math.isfinite(doc):
        return where or "(the document)"
    if isinstance(doc, dict):
        items = ((f"{where}.{k}" if where else str(k), v) for k, v in doc.items())
    elif isinstance(doc, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(doc))
    else:
        return None
    for key, value in items:
        found = non_finite_field(value, key)
        if found is not None:
            return found
    return None


def check_analysis_document(doc: Any, *, name: str) -> dict:
    """Checks every analysis sidecar passes: a JSON object, all numbers finite (the field
    named otherwise), ``notes`` a list of strings. Returns ``doc``; ValueError if not."""
    if not isinstance(doc, dict):
        raise ValueError(f"{name}: not an analysis (a JSON {type(doc).__name__}, not an object)")
    bad = non_finite_field(doc)
    if bad is not None:
        raise ValueError(f"{name}: {bad} is not a finite number")
    notes = doc.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ValueError(f"{name}: notes is not a list of strings")
    return doc


class Plugin:
    """Base class of every plugin. Subclasses set the class attributes and ``render``.

    Instances hold validated settings in ``self.settings`` (name -> value). A plugin's
    ``render`` may be called from several threads at once: keep per-frame state local.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    #: True when the plugin has an ``analyze`` step that must run before rendering
    has_analyze: ClassVar[bool] = False
    #: masks this plugin puts in ``ctx.masks`` that ``--save-masks`` writes: mask name ->
    #: folder in OUTPUT (``OUTPUT/<folder>/<frame stem>.png``, uint8, 255 = mask pixel);
    #: masks not listed here are for display only and never written
    saved_masks: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings: dict[str, Any] = {p.name: p.default for p in self.params}
        for key, value in (settings or {}).items():
            self.settings[key] = self.param(key).coerce(value)
        self.analysis: dict | None = None

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in cls.params) or "none"
        raise ParamError(f"{name}: no such parameter (parameters: {known})")

    # -- the two steps ---------------------------------------------------------------
    def analyze(self, source: AnalysisSource) -> dict:
        """Whole-shot analysis; the result is JSON-serialisable and saved as a sidecar.

        Parameters
        ----------
        source : gives the frames to analyse (``source.frames``), an iterator over
            ``(frame, array)`` pairs read ahead on worker threads
            (``source.iter_frames()``; unreadable frames are skipped and reported by the
            render pass), ``source.map(fn)`` to run ``fn(frame, array)`` in parallel
            (``source.imap(fn)``: the results in frame order as they come),
            ``source.cancelled`` to poll, and for a streamed analysis
            (:meth:`streams_analysis`) ``source.streaming`` and ``source.final_through``.
        """
        raise NotImplementedError

    def streams_analysis(self) -> bool:
        """Whether, with these settings, the render of a frame reads only results of this
        plugin's analysis that are final before the whole shot is analysed.

        If True, the batch renders frames while ``analyze`` still runs (when this is the
        chain's only analysis): ``analyze`` must, when ``source.streaming``, make each frame
        renderable from what is final so far and then call ``source.final_through(frame)``,
        and the frame's render must give exactly what the finished analysis would give.
        The default, False: the render pass waits for the whole analysis.
        """
        return False

    @classmethod
    def read_analysis(cls, path: str | os.PathLike) -> dict:
        """Read this plugin's sidecar ``OUTPUT/<name>.json`` (``--resume``, the app).

        Checks that it is a JSON object without NaN or infinite numbers and that its
        ``notes`` (if any) are a list of strings; plugins whose sidecar has a schema
        override this to check the rest (calling this first).

        Raises
        ------
        OSError, ValueError
            If the file cannot be read or is not valid (the message names the file and
            the field).
        """
        p = Path(path)
        try:
            doc = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p.name} is not valid JSON ({exc})") from None
        return check_analysis_document(doc, name=p.name)

    def set_analysis(self, analysis: dict) -> None:
        """Give the plugin its analysis (fresh, or loaded from an edited sidecar)."""
        self.analysis = analysis

    def prepare(self) -> None:
        """Called once before rendering (load models here, not in ``render``).

        The batch prepares a plugin without an analyze step (``has_analyze`` false) on a
        thread of its own while the other plugins analyse, so its set-up (model compiles)
        is not on the way to the first frame; a plugin with an analyze step is prepared
        after its analysis (beside it when the analysis streams: :meth:`streams_analysis`).
        """

    def warm(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        """Optional, after :meth:`prepare`: get ready for frames of ``shape`` and ``dtype``
        (e.g. compile networks whose input size follows the frame's) without rendering any.
        Called by the batch where it calls ``prepare``; the default does nothing."""

    def render(self, frame: np.ndarray, ctx: FrameContext) -> np.ndarray:
        """Process one frame: ``(H, W[, C])`` array in, same shape and dtype out."""
        raise NotImplementedError

    def moving_region(self, frame: int) -> np.ndarray | None:
        """Optional, after the analysis: where frame ``frame`` moved against the set (a
        ``(rows, cols)`` bool grid over the frame; see :attr:`FrameContext.moving`), or
        None. The default knows nothing."""
        return None

    @classmethod
    def summarize_notes(cls, notes: Mapping[int, Any]) -> dict:
        """This plugin's section of the report from its per-frame notes (``ctx.notes[name]``).

        ``notes``: frame number -> the note the plugin left on that frame (frames without
        a note are absent). The default lists them as ``{"frames": {"<frame>": note}}``;
        a plugin may override it. A ``"summary"`` string in the section is printed in the
        batch's summary.
        """
        return {"frames": {str(n): notes[n] for n in sorted(notes)}}

    def model_precision(self) -> str | None:
        """Precision of the model the plugin runs (``"int8"``, ``"fp32"``), for the report's
        ``precision``; None if it runs none. The default: its ``precision`` setting, if any."""
        value = self.settings.get("precision")
        return None if value is None else str(value)

    def settings_document(self) -> dict:
        """Settings as saved in presets: ``{"schema_version", "plugin", "settings"}``."""
        return {"schema_version": SCHEMA_VERSION, "plugin": self.name, "settings": dict(self.settings)}


@dataclass
class PluginInfo:
    name: str
    value: str  # "package.module:object"
    distribution: str | None
    builtin: bool
    error: str | None = None


class PluginRegistry:
    """Plugins found through the ``laika_fx.plugins`` entry point group.

    Entry points are listed eagerly but imported lazily; an import error or an object
    that is not a :class:`Plugin` subclass marks the plugin as failed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._infos: dict[str, PluginInfo] | None = None
        self._classes: dict[str, type[Plugin]] = {}

    def _discover(self) -> dict[str, PluginInfo]:
        with self._lock:
            if self._infos is not None:
                return self._infos
            disable = os.environ.get("LAIKA_FX_DISABLE_PLUGINS", "").strip().lower() in _TRUE
            infos: dict[str, PluginInfo] = {}
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                dist = ep.dist.name if ep.dist is not None else None
                builtin = dist in BUILTIN_DISTRIBUTIONS or ep.value.startswith("laika_fx.")
                if disable and not builtin:
                    continue
                info = PluginInfo(ep.name, ep.value, dist, builtin)
                if ep.name in infos and infos[ep.name].builtin:
                    info.error = f"name {ep.name!r} is taken by a built-in plugin"
                    infos[f"{ep.name} ({dist})"] = info
                    continue
                infos[ep.name] = info
            self._infos = infos
            return infos

    def refresh(self) -> None:
        """Forget what was discovered (after installing a plugin at run time)."""
        with self._lock:
            self._infos = None
            self._classes.clear()

    def _load(self, info: PluginInfo) -> type[Plugin] | None:
        if info.name in self._classes:
            return self._classes[info.name]
        if info.error:
            return None
        try:
            module_name, _, attr = info.value.partition(":")
            module = __import__(module_name, fromlist=["_"])
            obj: Any = module
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
            if not (isinstance(obj, type) and issubclass(obj, Plugin)):
                raise TypeError(f"{info.value} is not a laika_fx.plugins.Plugin subclass")
            if obj.name != info.name:
                raise TypeError(f"{info.value} declares name {obj.name!r}, entry point says {info.name!r}")
            for p in obj.params:
                if not isinstance(p, Param):
                    raise TypeError(f"{info.value}: params must be Param instances")
        except Exception as exc:  # a broken plugin must never take the host down
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            info.error = last
            return None
        self._classes[info.name] = obj
        return obj

    def names(self) -> list[str]:
        """Names of all plugins that load, built-ins first."""
        infos = self._discover()
        ok = [i for i in infos.values() if self._load(i) is not None]
        return [i.name for i in sorted(ok, key=lambda i: (not i.builtin, i.name))]

    def get(self, name: str) -> type[Plugin]:
        """The plugin class called ``name``.

        Raises
        ------
        KeyError
            With a readable message if no such plugin loads.
        """
        infos = self._discover()
        info = infos.get(name)
        if info is None:
            raise KeyError(f"unknown plugin {name!r} (available: {', '.join(self.names()) or 'none'})")
        cls = self._load(info)
        if cls is None:
            raise KeyError(f"plugin {name!r} failed to load: {info.error}")
        return cls

    def status(self) -> list[PluginInfo]:
        """Every plugin found, loaded or failed (for ``laika-fx plugins``)."""
        infos = self._discover()
        for info in infos.values():
            self._load(info)
        return sorted(infos.values(), key=lambda i: (not i.builtin, i.name))


#: the process-wide registry
registry = PluginRegistry()

#: a plugin to build: (plugin name, settings)
PluginSpec = tuple[str, Mapping[str, Any]]


def build_plugins(specs: Sequence[PluginSpec]) -> list[Plugin]:
    """Plugin instances for ``specs`` (``(name, settings)`` pairs), in order, settings validated.

    Raises
    ------
    PluginError
        If a plugin is unknown or fails to load (the message lists what is available),
        or a setting is unknown, of the wrong type or out of range
        (``"<plugin>.<param>: ..."``).
    """
    plugins = []
    for name, settings in specs:
        try:
            cls = registry.get(name)
        except KeyError as exc:
            raise PluginError(exc.args[0]) from None
        try:
            plugins.append(cls(settings))
        except ParamError as exc:
            raise PluginError(f"{name}.{exc}") from None
    return plugins


def load_preset(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read a preset file written by :func:`save_preset`: ``{plugin: {param: value}}``."""
    name = Path(path).name
    try:
        doc = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ParamError(f"{name} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ParamError(f"{name}: a preset is a JSON object, not a {type(doc).__name__}")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ParamError(f"{name}: preset schema version {version!r}, expected {SCHEMA_VERSION}")
    plugins = doc.get("plugins", {})
    if not isinstance(plugins, dict):
        raise ParamError(f"{name}: 'plugins' is a {type(plugins).__name__}, not an object of plugin settings")
    for plugin, values in plugins.items():
        if not isinstance(values, dict):
            raise ParamError(f"{name}: settings of {plugin!r} are a {type(values).__name__}, not an object")
    bad = non_finite_field(plugins)
    if bad is not None:
        raise ParamError(f"{name}: plugins.{bad} is not a finite number")
    return {plugin: dict(values) for plugin, values in plugins.items()}


def save_preset(path: str | os.PathLike, plugins: Sequence[Plugin]) -> None:
    """Save the settings of ``plugins`` as a versioned JSON preset."""
    from .io import atomic_write_bytes

    doc = {
        "schema_version": SCHEMA_VERSION,
        "plugins": {p.name: dict(p.settings) for p in plugins},
    }
    atomic_write_bytes(path, (json.dumps(doc, indent=2) + "\n").encode())
