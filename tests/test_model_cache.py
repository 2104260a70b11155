"""OpenVINO's compiled-model cache on disk: where it is, that a second run reuses it, that
it never changes a result, and that a broken cache folder only costs the speed-up."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laika_fx.accelerators import runtime
from laika_fx.accelerators.runtime import usable_cpus

ROOT = Path(__file__).resolve().parent.parent
#: a short range of the sample shot: the default chain compiles every network on it
FRAMES = "1001-1004"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LAIKA_FX_CACHE_DIR", "LAIKA_FX_OV_CACHE")}
    env.update(extra)
    return env


def _batch(out: Path, env: dict[str, str]) -> tuple[dict[str, str], dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "laika_fx", "batch", str(ROOT / "sample_frames"), str(out),
         "--frames", FRAMES, "--workers", "1", "--save-masks"],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    files = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "laika_fx_report.json"
    }
    return files, json.loads((out / "laika_fx_report.json").read_text())


def _blobs(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def uncached(tmp_path_factory) -> dict[str, str]:
    """The outputs of a run without the cache (the reference every cached run must match)."""
    out = tmp_path_factory.mktemp("uncached") / "out"
    files, _ = _batch(out, _env(LAIKA_FX_OV_CACHE="0", LAIKA_FX_CACHE_DIR=str(out.parent / "never")))
    assert not (out.parent / "never").exists(), "the cache was switched off but a folder was made"
    return files


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path: Path) -> None:
    for name in ("LAIKA_FX_CACHE_DIR", "LAIKA_FX_OV_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert runtime.cache_dir() == tmp_path / "home" / ".cache" / "laika_fx" / "openvino"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.cache_dir() == tmp_path / "xdg" / "laika_fx" / "openvino"
    monkeypatch.setenv("LAIKA_FX_CACHE_DIR", str(tmp_path / "mine"))
    assert runtime.cache_dir() == tmp_path / "mine"
    for off in ("0", "off", "no", "False"):
        monkeypatch.setenv("LAIKA_FX_OV_CACHE", off)
        assert runtime.cache_dir() is None
    monkeypatch.setenv("LAIKA_FX_OV_CACHE", "1")
    assert runtime.cache_dir() == tmp_path / "mine"


def test_second_run_reuses_the_compiled_models_and_results_are_byte_identical(uncached, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = _env(LAIKA_FX_CACHE_DIR=str(cache))
    first, report = _batch(tmp_path / "a", env)
    blobs = _blobs(cache)
    # the default chain compiles the coarse aligner, the seam detector, the face finder and
    # the inpainter: each one a compiled blob
    assert len(blobs) >= 3, sorted(blobs)
    assert first == uncached
    second, _ = _batch(tmp_path / "b", env)
    assert second == uncached
    assert _blobs(cache) == blobs, "the second run compiled (wrote a blob) instead of loading the cached ones"
    ttf = report["time_to_first_frame_s"]
    assert ttf is not None and 0 < ttf <= report["wall_seconds"]


def test_corrupt_cache_blobs_are_recompiled_not_fatal(uncached, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = _env(LAIKA_FX_CACHE_DIR=str(cache))
    _batch(tmp_path / "a", env)
    names = sorted(_blobs(cache))
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        p = cache / name
        p.chmod(0o644)
        data = p.read_bytes()
        # truncated blobs and blobs of noise
        p.write_bytes(data[:1000] if i % 2 else rng.integers(0, 256, len(data), dtype=np.uint8).tobytes())
    files, _ = _batch(tmp_path / "b", env)
    assert files == uncached


def test_unusable_cache_folder_runs_without_the_cache(uncached, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    files, _ = _batch(tmp_path / "out", _env(LAIKA_FX_CACHE_DIR=str(blocker / "cache")))
    assert files == uncached
    files, _ = _batch(tmp_path / "out2", _env(LAIKA_FX_CACHE_DIR=str(blocker)))
    assert files == uncached
    assert blocker.read_text() == "not a folder"


def test_processes_starting_at_once_on_an_empty_cache_all_finish_with_the_same_bytes(uncached, tmp_path: Path) -> None:
    # several chunks of a farm, or a batch beside the app: each compiles and writes the
    # same blobs while the others read them (with mapped blobs 2 of 9 processes died of
    # SIGBUS here: 3 of 21 processes in 7 rounds of 3; 0 of 18 since blobs are read, not
    # mapped). A race: this catches the mapped reads in most runs (~85 %), not every run.
    for trial in range(4):
        env = _env(LAIKA_FX_CACHE_DIR=str(tmp_path / f"cache{trial}"))
        outs = [tmp_path / f"t{trial}_{k}" for k in range(3)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "laika_fx", "batch", str(ROOT / "sample_frames"), str(out),
                 "--frames", FRAMES, "--workers", "1", "--save-masks", "-q"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            for out in outs
        ]
        for proc, out in zip(procs, outs, strict=True):
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, (proc.returncode, err[-1000:])
            files = {
                str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "laika_fx_report.json"
            }
            assert files == uncached


class _FailingCacheCore:
    """An ``openvino.Core`` whose compiles with ``CACHE_DIR`` fail (a folder turned read-only
    or full while a blob is written)."""

    def __init__(self, real) -> None:
        self.real = real
        self.configs: list[dict] = []

    def read_model(self, *args, **kwargs):
        return self.real.read_model(*args, **kwargs)

    def compile_model(self, model, device, config):
        self.configs.append(dict(config))
        if "CACHE_DIR" in config:
            raise RuntimeError("Cannot open file for writing")
        return self.real.compile_model(model, device, config)


def test_a_compile_that_fails_with_the_cache_is_retried_without_it(monkeypatch, tmp_path: Path) -> None:
    fake = _FailingCacheCore(runtime.core())
    monkeypatch.setattr(runtime, "core", lambda: fake)
    monkeypatch.setenv("LAIKA_FX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LAIKA_FX_OV_CACHE", raising=False)
    monkeypatch.setattr(runtime, "_disk_cache_broken", set())
    monkeypatch.setattr(runtime, "_cache", {})
    xml = runtime.model_path("seam_detector", "int8")
    if not xml.exists():
        xml = sorted(runtime.MODELS_DIR.glob("*.xml"))[0]
    net = runtime.compile_model(xml, precision="f32", threads=1)
    assert ["CACHE_DIR" in c for c in fake.configs] == [True, False]
    assert net.compiled is not None
    # the folder that failed is not tried again in this process
    runtime._cache.clear()
    runtime.compile_model(xml, precision="f32", threads=1)
    assert ["CACHE_DIR" in c for c in fake.configs] == [True, False, False]


def test_networks_run_on_one_thread_unless_asked(monkeypatch) -> None:
    """Each render worker runs its own inference: a network asks for one core, not all."""
    monkeypatch.setattr(runtime, "_cache", {})
    xml = runtime.model_path("aligner", "int8")
    net = runtime.compile_model(xml, precision="f32", shape=[(1, 2, 128, 128)])
    assert int(net.compiled.get_property("INFERENCE_NUM_THREADS")) == 1
    two = runtime.compile_model(xml, precision="f32", shape=[(1, 2, 128, 128)], threads=2)
    # OpenVINO gives no more threads than the process may run on (1 under taskset -c 0)
    assert int(two.compiled.get_property("INFERENCE_NUM_THREADS")) == min(2, usable_cpus())


def test_merged_chunk_reports_keep_the_quickest_first_frame() -> None:
    from laika_fx.report import merge_reports

    base = {"input": "i", "output": "o", "frames_failed": [], "wall_seconds": 2.0, "stages": {}}
    a = dict(base, frames_requested="1-2", frames_written_list="1-2", frames_skipped_list="", created="1",
             time_to_first_frame_s=1.5)  # fmt: skip
    b = dict(base, frames_requested="3-4", frames_written_list="3-4", frames_skipped_list="", created="2",
             time_to_first_frame_s=0.75)  # fmt: skip
    assert merge_reports([a, b])["time_to_first_frame_s"] == 0.75
    assert merge_reports([dict(a, time_to_first_frame_s=None)])["time_to_first_frame_s"] is None


def test_compiled_networks_are_not_pinned_to_a_core(tmp_path: Path):
    # pinned, every one-thread network of every process ran on the same core: two render
    # workers took turns on it (docs/benchmarks.md, "unpinned inference")
    runtime._cache.clear()
    net = runtime.compile_model(runtime.model_path("seam_detector", "int8"), shape=[(1, 3, 64, 64)])
    assert net.compiled.get_property("ENABLE_CPU_PINNING") is False
    out = net(np.zeros((1, 3, 64, 64), np.float32))
    assert np.isfinite(out[0]).all()
