"""Shared fixtures: small synthetic shots on disk, the sample shot, a plugin environment."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# NNCF compiles its torch extension on first use and gives up after 60 s by default; on a
# busy two-core CI machine the first compile takes longer, and a compile cut short leaves a
# lock that makes every later load wait: allow 15 minutes, not forever.
os.environ.setdefault("NNCF_EXTENSION_LOAD_TIMEOUT", "900")
# compiled-model blobs of the test run go to a folder of their own, not the user's cache
os.environ.setdefault("LAIKA_FX_CACHE_DIR", tempfile.mkdtemp(prefix="laika_fx_test_ov_cache_"))

from laika_fx.accelerators.runtime import usable_cpus  # noqa: E402
from laika_fx.io import write_frame  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_frames"


def make_shot(folder: Path, n: int = 6, *, shape=(48, 64, 3), dtype=np.uint8, ext=".png",
              start: int = 1001, name: str = "frame", seed: int = 0) -> list[Path]:
    """Write ``n`` random frames ``name.NNNN.ext`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        if dtype == np.float32:
            arr = rng.random(shape, dtype=np.float32)
        else:
            arr = rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype)
        p = folder / f"{name}.{start + i:04d}{ext}"
        write_frame(p, arr)
        paths.append(p)
    return paths


def digest_tree(folder: Path) -> dict[str, str]:
    """sha256 and mtime of every file below ``folder`` (to prove inputs were not touched)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest() + f"@{p.stat().st_mtime_ns}"
    return out


@pytest.fixture
def shot_dir(tmp_path: Path) -> Path:
    make_shot(tmp_path / "shot")
    return tmp_path / "shot"


@pytest.fixture
def sample_dir() -> Path:
    if not any(SAMPLE.glob("frame.*.png")):
        pytest.fail("sample_frames/ is missing: run python sample_frames/make_sample_frames.py")
    return SAMPLE


@pytest.fixture
def plugin_env(tmp_path: Path, monkeypatch):
    """Install fake third-party plugins (a working and a broken one) as dist-infos on sys.path."""
    site = tmp_path / "site"
    (site / "fakeplug").mkdir(parents=True)
    (site / "fakeplug" / "__init__.py").write_text(
        "import numpy as np\n"
        "from laika_fx.plugins import Param, Plugin\n"
        "class Invert(Plugin):\n"
        "    name = 'invert'\n"
        "    description = 'invert colours (test plugin)'\n"
        "    params = (Param('amount', float, 1.0, minimum=0.0, maximum=1.0),)\n"
        "    def render(self, frame, ctx):\n"
        "        return (np.iinfo(frame.dtype).max - frame).astype(frame.dtype)\n"
    )
    (site / "brokenplug").mkdir()
    (site / "brokenplug" / "__init__.py").write_text("raise RuntimeError('this plugin is broken on purpose')\n")
    for dist, ep in (("fakeplug", "invert = fakeplug:Invert"), ("brokenplug", "broken = brokenplug:Thing")):
        info = site / f"{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[laika_fx.plugins]\n{ep}\n")
    monkeypatch.syspath_prepend(str(site))
    from laika_fx.plugins import registry

    registry.refresh()
    yield site
    registry.refresh()
    for mod in ("fakeplug", "brokenplug"):
        sys.modules.pop(mod, None)


@pytest.fixture(scope="session")
def photos():
    """Set and puppet photographs of the synthetic stabilize shots (scikit-image's bundled images)."""
    import skimage.data

    return {"set": skimage.data.astronaut(), "puppet": skimage.data.coffee()}


def make_foreign_head_shot(folder: Path, n: int = 3, *, step: int = 6, close_up: bool = True) -> tuple[list[Path], list[np.ndarray]]:
    """A shot whose face the face finder does not see: a close-up (``close_up``, default) of an
    ellipsoid head textured with a photograph (scikit-image's ``moon``) that fills the frame,
    its outline outside it, carrying a replacement-face seam (the training package's seam
    renderer); else the whole head on a plain graded backdrop (a wide-world face finder sees
    that one). 640x360 8-bit RGB, the head moving ``step`` px right per frame. The seam
    detector alone finds the seam. Returns the frame paths and the true seam masks (bool,
    frame size)."""
    import cv2
    import skimage.data as skd

    from laika_fx_train.seam import synth

    h, w = 360, 640
    folder.mkdir(parents=True, exist_ok=True)
    bg = np.full((h, w, 3), 0.45, np.float32) + 0.05 * np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    tex = cv2.resize(skd.moon(), (w, h)).astype(np.float32) / 255
    tex = np.repeat(tex[:, :, None], 3, 2)
    yy, xx = np.mgrid[:h, :w]
    paths, truths = [], []
    for i in range(n):
        rng = np.random.default_rng(1)  # the same seam shape on every frame, moving with the head
        cx, cy, rx, ry = w * 0.5 + step * i, h * 0.5, w * 0.2, h * 0.38
        seam_centre, seam_r = (cx, cy + ry * 0.15), rx * 0.95
        if close_up:  # the head fills the frame; the seam as on the whole head
            rx, ry = w * 0.9, h * 1.2
        d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        alpha = np.clip((1 - d) * 8, 0, 1).astype(np.float32)
        shade = np.clip(1 - 0.35 * ((xx - cx + rx * 0.4) / rx) ** 2 - 0.2 * ((yy - cy + ry * 0.3) / ry) ** 2, 0.4, 1)
        tex_i = np.roll(tex, step * i, axis=1)
        img = bg * (1 - alpha[..., None]) + tex_i * shade.astype(np.float32)[..., None] * alpha[..., None]
        curve = synth.seam_curve(seam_centre, seam_r, rng=rng)
        out, mask = synth.draw_seam(img.copy(), curve, alpha, width=3.5, rng=rng, darkness=0.7)
        p = folder / f"head.{1001 + i:04d}.png"
        write_frame(p, (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))
        paths.append(p)
        truths.append(mask > 0)
    return paths, truths


#: for tests of the PNG encoder process, which the batch starts only with two CPUs or more to run
#: on (``encoder.start_png_encoder``); on one CPU it encodes in its writer threads
needs_two_cpus = pytest.mark.skipif(usable_cpus() < 2, reason="the batch starts its encoder process only with two CPUs or more")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc), children of children included."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive_pid(pid: int) -> bool:
    """Whether process ``pid`` runs (exists and is not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def still_alive(pids: set[int], seconds: float = 10.0) -> list[int]:
    """Those of ``pids`` still running after waiting up to ``seconds`` for them to die."""
    import time

    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end and any(alive_pid(k) for k in pids):
        time.sleep(0.05)
    return [k for k in pids if alive_pid(k)]
