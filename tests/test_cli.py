"""The `laika-fx` command on real files: output, report, bad input, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from laika_fx.cli import main
from laika_fx.io import read_frame, write_frame

from .conftest import digest_tree, make_shot

REPORT_KEYS = {
    "frames_total", "frames_written", "frames_failed", "wall_seconds", "frames_per_minute",
    "stages", "resolution", "precision", "workers", "version",
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "laika_fx", *map(str, args)], capture_output=True, text=True)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_default_workers_are_the_cpus_the_process_may_use(shot_dir: Path, tmp_path: Path):
    """On one CPU of a cpuset (``taskset -c 0``, a container's limit) the default is one worker,
    not the machine's count: two on one core ran 3 % slower (docs/benchmarks.md, Session 17)."""
    cpu = min(os.sched_getaffinity(0))
    res = subprocess.run([sys.executable, "-m", "laika_fx", "batch", str(shot_dir), str(tmp_path / "out"), "--plugins",
                          "deflicker", "-q"], capture_output=True, text=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "out" / "laika_fx_report.json").read_text())
    assert report["workers"] == 1 and report["machine"]["cpu_count"] == 1


def test_batch_writes_same_names_and_a_report(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    res = run_cli("batch", shot_dir, out, "--plugins", "deflicker", "--workers", "2")
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in shot_dir.iterdir())
    assert sorted(p.name for p in out.glob("frame.*.png")) == names
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert REPORT_KEYS <= set(report)
    assert report["frames_written"] == 6 and report["frames_failed"] == []
    assert report["resolution"] == [64, 48] and report["workers"] == 2
    assert {"read", "deflicker", "write"} <= set(report["stages"])
    assert report["frames_per_minute"] > 0
    assert "frames per minute" in res.stdout
    assert (out / "deflicker.json").exists()


@pytest.mark.parametrize("dtype, ext, shape", [
    (np.uint16, ".png", (40, 56, 4)), (np.float32, ".exr", (40, 56, 3)), (np.uint8, ".tif", (40, 56)),
])
def test_batch_keeps_format_bit_depth_and_alpha(tmp_path: Path, dtype, ext, shape):
    paths = make_shot(tmp_path / "in", 3, shape=shape, dtype=dtype, ext=ext)
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), str(out), "--plugins", "deflicker", "-q"]) == 0
    for p in paths:
        src, dst = read_frame(p), read_frame(out / p.name)
        assert dst.dtype == src.dtype and dst.shape == src.shape
        if len(shape) == 3 and shape[2] == 4:
            np.testing.assert_array_equal(dst[..., 3], src[..., 3])


def test_frames_option_and_pattern_input(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert main(["batch", str(shot_dir / "frame.%04d.png"), str(out), "--frames", "1002-1006x2", "-q",
                 "--plugins", "deflicker"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["frame.1002.png", "frame.1004.png", "frame.1006.png"]


def test_bad_frames_are_reported_and_the_rest_renders(shot_dir: Path, tmp_path: Path):
    (shot_dir / "frame.1002.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")  # corrupt
    (shot_dir / "frame.1003.png").write_bytes(b"")  # zero bytes
    write_frame(shot_dir / "frame.1004.png", np.zeros((20, 30, 3), np.uint8))  # wrong size
    write_frame(shot_dir / "frame.1005.png", np.zeros((48, 64, 4), np.uint8))  # wrong channels
    before = digest_tree(shot_dir)
    out = tmp_path / "out"
    res = run_cli("batch", shot_dir, out, "--plugins", "deflicker")
    assert res.returncode == 1
    report = json.loads((out / "laika_fx_report.json").read_text())
    errors = {f["frame"]: f["error"] for f in report["frames_failed"]}
    assert set(errors) == {1002, 1003, 1004, 1005}
    assert "could not be decoded" in errors[1002]
    assert "empty" in errors[1003]
    assert "30x20" in errors[1004] and "64x48" in errors[1004]
    assert "4 channels" in errors[1005]
    assert sorted(p.name for p in out.glob("*.png")) == ["frame.1001.png", "frame.1006.png"]
    assert report["frames_written"] == 2
    assert "FAILED frame 1002" in res.stdout
    assert digest_tree(shot_dir) == before  # inputs byte-identical and untouched


def test_missing_frames_in_requested_range_fail(shot_dir: Path, tmp_path: Path):
    res = run_cli("batch", shot_dir, tmp_path / "out", "--frames", "1005-1008", "-q", "--plugins", "deflicker")
    assert res.returncode == 1
    report = json.loads((tmp_path / "out" / "laika_fx_report.json").read_text())
    assert [f["frame"] for f in report["frames_failed"]] == [1007, 1008]
    assert report["frames_failed"][0]["error"] == "file missing"


@pytest.mark.parametrize("case", ["missing", "empty", "same", "badset", "badplugin", "badrange"])
def test_unusable_input_gives_one_line_error_and_exit_2(shot_dir: Path, tmp_path: Path, case):
    (tmp_path / "empty").mkdir()
    args = {
        "missing": ["batch", tmp_path / "nope", tmp_path / "o"],
        "empty": ["batch", tmp_path / "empty", tmp_path / "o"],
        "same": ["batch", shot_dir, shot_dir],
        "badset": ["batch", shot_dir, tmp_path / "o", "--plugins", "deflicker", "--set", "deflicker.window=1"],
        "badplugin": ["batch", shot_dir, tmp_path / "o", "--plugins", "nosuch"],
        "badrange": ["batch", shot_dir, tmp_path / "o", "--frames", "ten-twenty"],
    }[case]
    before = digest_tree(shot_dir)
    res = run_cli(*args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("laika-fx: error:"), res.stderr
    assert "Traceback" not in res.stderr
    assert digest_tree(shot_dir) == before
    if case == "same":
        assert "is the input folder" in lines[0]


def test_unknown_set_key_names_plugin_and_parameter_once(shot_dir: Path, tmp_path: Path):
    res = run_cli("batch", shot_dir, tmp_path / "o", "--plugins", "deflicker", "--set", "deflicker.nope=1")
    assert res.returncode == 2
    assert res.stderr.strip().startswith("laika-fx: error: deflicker.nope: no such parameter (parameters: ")
    assert "deflicker.deflicker" not in res.stderr


@pytest.mark.parametrize("command", ["info", "batch"])
def test_a_reader_that_leaves_the_pipe_costs_the_output_not_the_exit_code(shot_dir: Path, tmp_path: Path, command):
    args = [sys.executable, "-m", "laika_fx", command, str(shot_dir)]
    if command == "batch":
        args += [str(tmp_path / "out"), "--plugins", "deflicker", "-q"]
    read, write = os.pipe()
    os.close(read)  # the reader has gone, as after `| head -1`
    try:
        res = subprocess.run(args, stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert res.returncode == 0, res.stderr
    assert "error" not in res.stderr and "Exception" not in res.stderr, res.stderr
    if command == "batch":
        assert len(list((tmp_path / "out").glob("frame.*.png"))) == 6


def test_info_reports_range_gaps_and_format(tmp_path: Path):
    make_shot(tmp_path / "s", 5, shape=(30, 40, 4), dtype=np.uint16)
    (tmp_path / "s" / "frame.1003.png").unlink()
    res = run_cli("info", tmp_path / "s")
    assert res.returncode == 0
    assert "1001-1002,1004-1005" in res.stdout
    assert "gaps        1003 (1 missing)" in res.stdout
    assert "40x30" in res.stdout and "uint16 (16-bit)" in res.stdout and "4 (RGBA)" in res.stdout


def test_info_gives_the_format_most_frames_have_and_names_the_others(tmp_path: Path):
    paths = make_shot(tmp_path / "s", 4, shape=(30, 40, 3))
    write_frame(paths[0], np.zeros((60, 80, 3), np.uint8))  # the first frame alone is larger
    res = run_cli("info", tmp_path / "s")
    assert res.returncode == 0, res.stderr
    assert "resolution  40x30" in res.stdout, res.stdout
    assert "mismatched  1 frame (the batch fails it): 1001 (80x60 uint8 x3)" in res.stdout


@pytest.mark.parametrize("half", [True, False])
def test_info_names_the_exr_sample_type_stored(tmp_path: Path, half: bool):
    shot = tmp_path / "s"
    shot.mkdir()
    for n in (1001, 1002):
        write_frame(shot / f"frame.{n}.exr", np.full((8, 10, 3), 0.5, np.float32), exr_half=half)
    res = run_cli("info", shot)
    assert res.returncode == 0, res.stderr
    expected = "float16 (16-bit float; read as float32)" if half else "float32 (32-bit float)"
    assert f"dtype       {expected}" in res.stdout


def test_preview_movie_is_encoded_with_ffmpeg(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    res = run_cli("batch", shot_dir, out, "--plugins", "deflicker", "--preview", out / "p.mp4", "-q")
    assert res.returncode == 0, res.stderr
    movie = out / "p.mp4"
    assert movie.stat().st_size > 1000
    import imageio_ffmpeg

    nframes, _ = imageio_ffmpeg.count_frames_and_secs(str(movie))
    assert nframes == 6


def test_end_to_end_on_sample_frames(sample_dir: Path, tmp_path: Path):
    """The real command on the real sample shot: files, report, and deflicker vs ground truth."""
    before = digest_tree(sample_dir)
    out = tmp_path / "out"
    res = run_cli("batch", sample_dir, out, "--plugins", "deflicker", "--workers", "2")
    assert res.returncode == 0, res.stderr
    inputs = sorted(p.name for p in sample_dir.glob("frame.*.png"))
    assert len(inputs) == 24
    assert sorted(p.name for p in out.glob("frame.*.png")) == inputs
    report = json.loads((out / "laika_fx_report.json").read_text())
    assert REPORT_KEYS <= set(report)
    assert report["frames_total"] == report["frames_written"] == 24
    assert report["resolution"] == [960, 540] and report["dtype"] == "uint8" and report["channels"] == 3
    assert report["frame_range"] == "1001-1024" and report["gaps"] == []
    for name in ("read", "deflicker", "write", "sync"):
        assert report["stages"][name]["frames"] == 24 and report["stages"][name]["ms_per_frame"] >= 0
    for name in ("deflicker", "write"):
        assert report["stages"][name]["ms_per_frame"] > 0
    # the analyze pass decoded every frame; the render pass took them from the frame cache
    assert report["frame_cache"]["frames_kept"] == report["frame_cache"]["reads_saved"] == 24
    first = read_frame(out / inputs[0])
    assert first.dtype == np.uint8 and first.shape == (540, 960, 3)
    # the measured gains undo the known flicker of the sample shot
    truth = {f["frame"]: f["gain"] for f in json.loads((sample_dir / "ground_truth" / "flicker.json").read_text())["frames"]}
    est = {f["frame"]: f["gain"] for f in json.loads((out / "deflicker.json").read_text())["frames"]}
    frames = sorted(truth)
    corr = np.corrcoef([est[n] for n in frames], [1 / truth[n] for n in frames])[0, 1]
    assert corr > 0.9, corr
    assert digest_tree(sample_dir) == before


def test_memory_cap_option_reaches_the_run(tmp_path: Path):
    make_shot(tmp_path / "s", 4, shape=(128, 128, 3))  # 48 kB frames: 1 MB holds ~21
    assert main(["batch", str(tmp_path / "s"), str(tmp_path / "o"), "--plugins", "deflicker", "-q",
                 "--memory-mb", "1", "--workers", "2"]) == 0  # fmt: skip
    report = json.loads((tmp_path / "o" / "laika_fx_report.json").read_text())
    assert report["memory_cap"]["cap_mb"] == 1 and report["memory_cap"]["queue_frames"] == 2
    assert report["frame_cache"]["frames_kept"] == 0


def test_bench_times_each_shipped_network_at_its_1080p_input():
    """`laika-fx bench MODEL.xml` as the README shows it: each shipped network without
    `--shape` is timed at the input it takes for a 1080p frame (a 1080x1920 RGB image fits none
    of them: the detector's concat failed inside OpenVINO and the user saw an internal error)."""
    from laika_fx.accelerators.bench import shipped_1080p_shapes
    from laika_fx.accelerators.runtime import model_path

    shapes = shipped_1080p_shapes()
    models = [model_path(name, "int8") for name in shapes]
    res = run_cli("bench", *models, "--threads", "1", "--repeats", "1")
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()[1:]]
    assert [(Path(r[0]).name, r[1]) for r in rows] == [
        (f"{name}_int8.xml", "x".join(map(str, shape))) for name, shape in shapes.items()]
    assert all(float(r[-1]) > 0 for r in rows)


def test_bench_shapes_are_what_the_seam_networks_run_at_on_a_1080p_frame():
    """The detector's and face finder's bench shapes are the inputs their inference compiles
    for a 1920x1080 frame (through the inference path, not the shape helpers)."""
    from laika_fx.accelerators import runtime
    from laika_fx.accelerators.bench import shipped_1080p_shapes
    from laika_fx.seam_removal.detector import SeamDetector

    shapes = shipped_1080p_shapes()
    assert shapes["seam_detector"] == (1, 3, 544, 960) and shapes["inpainter"] == (1, 7, 64, 320)
    det = SeamDetector()
    frame = np.zeros((1080, 1920, 3), np.uint8)
    det.probability(frame)
    det.face_maps(frame)
    compiled = {(Path(key[0]).name, key[3][0]) for key in runtime._cache if key[3]}
    assert ("seam_detector_int8.xml", shapes["seam_detector"]) in compiled
    assert ("face_finder_int8.xml", shapes["face_finder"]) in compiled


@pytest.mark.parametrize("args, message", [
    (("--shape", "1x3x1080x1921"), "cannot run at 1x3x1080x1921 with hint f32"),
    (("--precision", "f64"), "--precision takes f32 and/or bf16"),
])  # fmt: skip
def test_bench_refuses_what_a_model_cannot_take_in_one_line(args, message):
    from laika_fx.accelerators.runtime import model_path

    res = run_cli("bench", model_path("seam_detector", "int8"), "--repeats", "1", *args)
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--repeats", "--threads"])
def test_bench_counts_must_be_positive(option):
    from laika_fx.accelerators.runtime import model_path

    res = run_cli("bench", model_path("face_finder", "int8"), option, "0")
    assert res.returncode == 2 and "not a positive whole number" in res.stderr and "Traceback" not in res.stderr


def test_bench_names_a_missing_model():
    res = run_cli("bench", "no_such_model.xml")
    assert res.returncode == 2 and "model file not found: no_such_model.xml" in res.stderr


def test_bench_default_shape_of_a_model_it_does_not_know(tmp_path: Path):
    """Another model keeps its own static dimensions (open batch 1, open height and width
    1080x1920); an open channel count must come from --shape."""
    import shutil

    from laika_fx.accelerators.bench import default_shape
    from laika_fx.accelerators.runtime import model_path

    for name, renamed in (("inpainter", "fill"), ("aligner", "pairs")):
        src = model_path(name, "int8")
        shutil.copy(src, tmp_path / f"{renamed}.xml")
        shutil.copy(src.with_suffix(".bin"), tmp_path / f"{renamed}.bin")
    assert default_shape(tmp_path / "fill.xml") == (1, 7, 1080, 1920)
    with pytest.raises(ValueError, match="channel count is open"):
        default_shape(tmp_path / "pairs.xml")
    # a per-shot detector keeps the shipped name, so it gets the detector's 1080p input
    assert default_shape(tmp_path / "seam_detector_int8.xml") == (1, 3, 544, 960)
