"""Shared fixtures: small synthetic shots on disk, the sample shot, a plugin environment."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# NNCF compiles its torch extension on first use and gives up after 60 s by default; on a
# busy two-core CI machine the first compile takes longer, and a compile cut short leaves a
# lock that makes every later load wait: allow 15 minutes, not forever.
os.environ.setdefault("NNCF_EXTENSION_LOAD_TIMEOUT", "900")

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
