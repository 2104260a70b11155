"""Fault cases found by probing `laika-fx batch` with hostile but fair input (issue 14).

One test per case; each failed before its fix. Shots are small (320x180, made from
sample_frames/) so the whole file runs in well under a minute.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import cv2
import pytest

from laika_fx.cli import main
from laika_fx.io import read_frame, write_frame

from .conftest import SAMPLE, descendants, digest_tree, still_alive


def small_shot(folder: Path, n: int = 8, *, size=(320, 180), start: int = 1001) -> list[Path]:
    """``n`` frames of the sample shot (cycled) scaled to ``size``, ``frame.NNNN.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SAMPLE.glob("frame.*.png"))
    paths = []
    for i in range(n):
        frame = cv2.resize(read_frame(sources[i % len(sources)]), size, interpolation=cv2.INTER_AREA)
        p = folder / f"frame.{start + i:04d}.png"
        write_frame(p, frame)
        paths.append(p)
    return paths


def png_with_size(path: Path, width: int, height: int) -> None:
    """Rewrite the IHDR of PNG ``path`` to declare ``width`` x ``height`` (CRC fixed), data kept."""
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def run(args: list, capsys) -> tuple[int, str, str]:
    """``laika-fx ARGS`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def report_of(out: Path) -> dict:
    return json.loads((out / "laika_fx_report.json").read_text())


def no_part_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".part" in p.name]


# ------------------------------------------------------------------ case 2: analyze pass read errors
def test_every_read_error_in_the_analyze_pass_fails_only_that_frame(tmp_path: Path, capsys, monkeypatch):
    shot = tmp_path / "shot"
    paths = small_shot(shot, 7)
    png_with_size(paths[1], 60000, 60000)  # 1002: a header declaring 3.6 G pixels
    os.unlink(paths[2])
    os.mkfifo(paths[2])  # 1003: a FIFO (reading it would block forever)
    os.unlink(paths[3])
    os.symlink(paths[3].name, paths[3])  # 1004: a symlink loop
    import laika_fx.pipeline as pipeline

    real = pipeline.read_frame

    def read(path):  # 1005: permission denied (root reads anything, so it is simulated)
        if Path(path).name == "frame.1005.png":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(pipeline, "read_frame", read)
    before = digest_tree(shot)
    out = tmp_path / "out"
    code, stdout, err = run(["batch", shot, out, "--plugins", "deflicker", "-q", "--workers", "2"], capsys)
    assert code == 1, err
    errors = {f["frame"]: f["error"] for f in report_of(out)["frames_failed"]}
    assert set(errors) == {1002, 1003, 1004, 1005}, errors
    assert "frame.1003.png is a FIFO" in errors[1003]
    assert "frame.1004.png" in errors[1004] and "symbolic links" in errors[1004]
    assert "Permission denied" in errors[1005]
    assert sorted(p.name for p in out.glob("frame.*")) == ["frame.1001.png", "frame.1006.png", "frame.1007.png"]
    assert "Traceback" not in err
    assert digest_tree(shot) == before


# ------------------------------------------------------------------ case 3: unreadable reference frame
def test_unreadable_reference_frame_falls_back_to_the_nearest_readable_one(tmp_path: Path, capsys):
    shot = tmp_path / "shot"
    paths = small_shot(shot, 6)
    paths[0].write_bytes(paths[0].read_bytes()[:100])  # the first frame (default reference) truncated
    out = tmp_path / "out"
    code, stdout, err = run(["batch", shot, out, "--plugins", "stabilize", "-q", "--workers", "2"], capsys)
    assert code == 1, err
    report = report_of(out)
    assert [f["frame"] for f in report["frames_failed"]] == [1001]
    assert report["frames_written"] == 5
    sidecar = json.loads((out / "stabilize.json").read_text())
    assert sidecar["reference_frame"] == 1002
    assert [f["frame"] for f in sidecar["frames"]] == [1002, 1003, 1004, 1005, 1006]
    note = "stabilize: reference frame 1001 could not be read"
    assert any(n.startswith(note) and "frame 1002, the nearest readable frame" in n for n in report["analysis_notes"])
    assert note in stdout
    # --resume reads the note back from the sidecar
    (out / "frame.1004.png").unlink()
    code, stdout, err = run(["batch", shot, out, "--plugins", "stabilize", "-q", "--resume"], capsys)
    assert any(n.startswith(note) for n in report_of(out)["analysis_notes"])


def test_a_requested_reference_that_cannot_be_read_picks_the_earlier_neighbour_on_a_tie(tmp_path: Path, capsys):
    shot = tmp_path / "shot"
    paths = small_shot(shot, 5)
    paths[2].write_bytes(b"")  # 1003, asked for as reference; 1002 and 1004 are as near
    out = tmp_path / "out"
    code, _, err = run(["batch", shot, out, "--plugins", "stabilize", "--set", "stabilize.reference=1003", "-q"], capsys)
    assert code == 1, err
    assert json.loads((out / "stabilize.json").read_text())["reference_frame"] == 1002


# ------------------------------------------------------------------ case 4: full disk
def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_fails_the_frames_and_still_writes_the_report(tmp_path: Path, capsys, monkeypatch):
    shot = tmp_path / "shot"
    small_shot(shot, 6)
    import laika_fx.pipeline as pipeline

    real = pipeline.write_frame_temp

    def write(path, frame, **kw):  # the disk fills up at frame 1004
        if int(Path(path).name.split(".")[1]) >= 1004:
            _enospc()
        return real(path, frame, **kw)

    monkeypatch.setattr(pipeline, "write_frame_temp", write)
    out = tmp_path / "out"
    code, stdout, err = run(["batch", shot, out, "--plugins", "deflicker", "-q", "--workers", "2"], capsys)
    assert code == 1
    failed = report_of(out)["frames_failed"]
    assert [f["frame"] for f in failed] == [1004, 1005, 1006]
    assert all("No space left on device" in f["error"] for f in failed)
    assert no_part_files(out)


def test_full_disk_that_refuses_the_report_too_says_so_in_one_line(tmp_path: Path, capsys, monkeypatch):
    shot = tmp_path / "shot"
    small_shot(shot, 4)
    import laika_fx.pipeline as pipeline
    import laika_fx.report as report

    monkeypatch.setattr(pipeline, "write_frame_temp", _enospc)
    monkeypatch.setattr(report, "atomic_write_bytes", _enospc)
    out = tmp_path / "out"
    code, stdout, err = run(["batch", shot, out, "--plugins", "deflicker", "-q"], capsys)
    assert code == 1
    assert err.strip().splitlines() == [
        f"laika-fx: error: could not write {out.resolve() / 'laika_fx_report.json'}: No space left on device"
    ]
    assert "FAILED frame 1001" in stdout  # the failures are still listed
    assert not (out / "laika_fx_report.json").exists() and no_part_files(out)


def test_full_disk_while_writing_a_sidecar_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch):
    shot = tmp_path / "shot"
    small_shot(shot, 4)
    import laika_fx.pipeline as pipeline

    monkeypatch.setattr(pipeline, "atomic_write_bytes", _enospc)
    code, _, err = run(["batch", shot, tmp_path / "out", "--plugins", "deflicker", "-q"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "deflicker.json: No space left on device" in err


# ------------------------------------------------------------------ case 5: Ctrl-C twice
def _wait_for(proc: subprocess.Popen, text: str, timeout: float) -> str:
    seen = ""
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end and text not in seen:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    return seen


def test_second_ctrl_c_exits_promptly_with_130(tmp_path: Path):
    shot = tmp_path / "shot"
    small_shot(shot, 60, size=(640, 360))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "laika_fx", "batch", shot, out, "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        seen = _wait_for(proc, "render   ", 120)
        seen += _wait_for(proc, "\n", 60)  # the 10% line: frames are rendering now
        assert "render" in seen, seen
        proc.send_signal(signal.SIGINT)
        time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=20)
        assert time.monotonic() - t0 < 5
    finally:
        proc.kill()
    # 130, or killed by SIGINT itself if the second Ctrl-C came after the cancelled run had
    # finished, while the interpreter was exiting (a shell reports 130 for both)
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err[-2000:])
    assert "terminate called" not in err and "Traceback" not in err
    for p in out.glob("frame.*.png"):  # whatever is under a final name is complete
        assert read_frame(p).shape == (360, 640, 3)


# ------------------------------------------------------------------ case 6: sidecars
BAD_SIDECARS = {
    "nan-gain": ("deflicker", lambda d: d["frames"][2].update(gain=float("nan")), "frames[2].gain is not a finite number"),
    "inf-gain": ("deflicker", lambda d: d["frames"][0].update(gain=float("inf")), "frames[0].gain is not a finite"),
    "zero-gain": ("deflicker", lambda d: d["frames"][1].update(gain=0), "frame 1002: gain is 0"),
    "string-gain": ("deflicker", lambda d: d["frames"][1].update(gain="1.0"), "frame 1002: gain is '1.0'"),
    "bad-frame": ("deflicker", lambda d: d["frames"][1].update(frame="x"), "frames[1]"),
    "list": ("deflicker", lambda d: d.clear() or [1, 2], "not an object"),
    "no-frames": ("deflicker", lambda d: d.pop("frames") and None, "no 'frames' list"),
    "nan-window": ("deflicker", lambda d: d.update(window=float("nan")), "window is not a finite"),
    "nan-correlation": ("stabilize", lambda d: d["frames"][1].update(correlation=float("nan")),
                        "frames[1].correlation is not a finite number"),
    "inf-matrix": ("stabilize", lambda d: d["frames"][1]["matrix"][0].__setitem__(2, float("-inf")),
                   "frames[1].matrix[0][2] is not a finite number"),
    "schema": ("stabilize", lambda d: d.update(schema_version=99), "schema version 99"),
    "notes": ("stabilize", lambda d: d.update(notes="x"), "notes is not a list of strings"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_SIDECARS))
def test_invalid_sidecar_under_resume_is_refused_naming_the_field(tmp_path: Path, capsys, case):
    plugin, edit, message = BAD_SIDECARS[case]
    shot = tmp_path / "shot"
    small_shot(shot, 4)
    out = tmp_path / "out"
    code, _, err = run(["batch", shot, out, "--plugins", plugin, "-q"], capsys)
    assert code == 0, err
    sidecar = out / f"{plugin}.json"
    doc = json.loads(sidecar.read_text())
    replaced = edit(doc)
    sidecar.write_text(json.dumps(replaced if isinstance(replaced, list) else doc))  # NaN/Infinity as JSON allows
    (out / "frame.1003.png").unlink()
    before = digest_tree(out)
    code, _, err = run(["batch", shot, out, "--plugins", plugin, "-q", "--resume"], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"{plugin}.json" in lines[0] and message in lines[0], lines
    assert digest_tree(out) == before  # nothing written from a bad sidecar


# ------------------------------------------------------------------ case 7: child processes
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_solver_processes_die_with_a_killed_batch(tmp_path: Path):
    # the camera solve runs in processes only when the render does not stream beside it: the
    # shot pass on the whole shot (shot_window=0) waits for every solve. (Streamed, as by
    # default, it solves in threads; the children a default batch starts on two CPUs are the
    # PNG encoder's, tested in test_exact_fast_paths.) Run on one CPU too: the processes do
    # not depend on the CPU count.
    shot = tmp_path / "shot"
    small_shot(shot, 60)
    proc = subprocess.Popen([sys.executable, "-m", "laika_fx", "batch", shot, tmp_path / "out", "--plugins",
                             "stabilize", "--set", "stabilize.shot_window=0", "--workers", "2", "-q",
                             "--png-compression", "small"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        kids: dict[int, bytes] = {}  # pid: command line
        t_end = time.monotonic() + 60
        while time.monotonic() < t_end and proc.poll() is None:
            for pid in descendants(proc.pid) - kids.keys():  # fork server, its 2 workers, resource tracker
                kids[pid] = _cmdline(pid)
            if sum(b"laika_fx.stabilize.solver" in c for c in kids.values()) >= 3:
                break
            time.sleep(0.02)
        solvers = [pid for pid, c in kids.items() if b"laika_fx.stabilize.solver" in c]
        assert len(solvers) >= 3, list(kids.values())  # the fork server and its two solver processes
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not still_alive(set(kids))
    finally:
        proc.kill()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# ------------------------------------------------------------------ case 9: bad invocations
def _preset(tmp_path: Path, doc) -> Path:
    p = tmp_path / "preset.json"
    p.write_text(json.dumps(doc))
    return p


BAD_INVOCATIONS = {
    "cache-nan": (["--cache-mb", "nan"], "--cache-mb must be a finite number"),
    "cache-inf": (["--cache-mb", "inf"], "--cache-mb must be a finite number"),
    "cache-1e308": (["--cache-mb", "1e308"], "--cache-mb must be a finite number"),
    "cache-negative": (["--cache-mb", "-1"], "--cache-mb must be a finite number"),
    "spill-nan": (["--spill-mb", "nan"], "--spill-mb must be a finite number"),
    "spill-negative": (["--spill-mb", "-1"], "--spill-mb must be a finite number"),
    "frames-huge": (["--frames", "999999999999999999999999999999"], "invalid frame range"),
    "frames-too-many": (["--frames", "1-9999999"], "more than 1000000"),
    "frames-subframe": (["--frames", "1.5"], "frames are whole numbers"),
    "preset-list": ([lambda t: ["--preset", _preset(t, [1, 2])]], "a preset is a JSON object, not a list"),
    "preset-plugins": ([lambda t: ["--preset", _preset(t, {"schema_version": 1, "plugins": [1]})]],
                       "'plugins' is a list"),
    "preset-settings": ([lambda t: ["--preset", _preset(t, {"schema_version": 1, "plugins": {"deflicker": 3}})]],
                        "settings of 'deflicker' are a int"),
    "preset-nan": ([lambda t: ["--preset", _preset(t, {"schema_version": 1, "plugins": {"deflicker": {"strength": float("nan")}}})]],
                   "plugins.deflicker.strength is not a finite number"),
    "preset-json": ([lambda t: ["--preset", (t / "bad.json", (t / "bad.json").write_text("{"))[0]]], "not valid JSON"),
    "fps-0": (["--preview", "x.mp4", "--fps", "0"], "--fps must be a finite number above 0"),
    "fps-negative": (["--preview", "x.mp4", "--fps", "-5"], "--fps must be a finite number above 0"),
    "fps-nan": (["--preview", "x.mp4", "--fps", "nan"], "--fps must be a finite number above 0"),
    "workers-huge": (["--workers", "100000"], "--workers must be between 1 and 256"),
    "unknown-option": (["--bogus"], "unrecognized arguments: --bogus"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_INVOCATIONS))
def test_bad_invocation_is_one_line_and_exit_2(tmp_path: Path, capsys, case):
    extra, message = BAD_INVOCATIONS[case]
    shot = tmp_path / "shot"
    small_shot(shot, 2)
    args = [a for item in extra for a in (item(tmp_path) if callable(item) else [item])]
    code, _, err = run(["batch", shot, tmp_path / "out", "--plugins", "deflicker", "-q", *args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "out").exists()  # refused before anything ran


@pytest.mark.parametrize("case", ["below-a-file", "inside-input", "inside-input-deep", "not-writable", "mkdir-fails"])
def test_unusable_output_folder_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch, case):
    shot = tmp_path / "shot"
    small_shot(shot, 2)
    (tmp_path / "afile").write_text("x")
    out = {"below-a-file": tmp_path / "afile" / "out", "inside-input": shot / "out",
           "inside-input-deep": shot / "a" / "b", "not-writable": tmp_path / "ro" / "out",
           "mkdir-fails": tmp_path / "new" / "out"}[case]  # fmt: skip
    message = {"below-a-file": "which is a file, not a folder", "inside-input": "is inside the input folder",
               "inside-input-deep": "is inside the input folder", "not-writable": "is not writable",
               "mkdir-fails": "cannot create output folder"}[case]  # fmt: skip
    if case == "not-writable":  # root writes anywhere: the check is what is tested
        (tmp_path / "ro").mkdir()
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m, **kw: False if Path(p).name == "ro" else real(p, m, **kw))
    if case == "mkdir-fails":
        real_mkdir = Path.mkdir

        def mkdir(self, *a, **kw):
            if self.name == "out":
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real_mkdir(self, *a, **kw)

        monkeypatch.setattr(Path, "mkdir", mkdir)
    before = digest_tree(shot)
    code, _, err = run(["batch", shot, out, "--plugins", "deflicker", "-q"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert digest_tree(shot) == before


def test_single_numbered_file_renders_that_frame_of_its_sequence(tmp_path: Path, capsys):
    """Accepted, documented: ``shot/frame.1003.png`` is the same as ``shot --frames 1003``."""
    shot = tmp_path / "shot"
    small_shot(shot, 5)
    one, ranged = tmp_path / "one", tmp_path / "ranged"
    assert run(["batch", shot / "frame.1003.png", one, "--plugins", "stabilize", "-q"], capsys)[0] == 0
    assert run(["batch", shot, ranged, "--frames", "1003", "--plugins", "stabilize", "-q"], capsys)[0] == 0
    assert [p.name for p in one.glob("frame.*")] == ["frame.1003.png"]
    assert (one / "frame.1003.png").read_bytes() == (ranged / "frame.1003.png").read_bytes()
    assert report_of(one)["frames_total"] == 1


# ------------------------------------------------------------------ kill and resume: stale temporary files
def test_resume_removes_the_temporary_files_of_its_own_frames_only(tmp_path: Path, capsys):
    shot = tmp_path / "shot"
    small_shot(shot, 6)
    out = tmp_path / "out"
    (out / "masks").mkdir(parents=True)
    mine = [out / ".frame.1003.png.ab12cd.part.png", out / ".deflicker.json.x1y2.part.json",
            out / ".laika_fx_report.json.zz.part.json"]  # fmt: skip
    others = [out / ".frame.1006.png.ef34gh.part.png", out / ".notes.txt.a.part.txt"]  # frame 1006: another chunk's
    for p in mine + others:
        p.write_bytes(b"half a frame")
    code, _, err = run(["batch", shot, out, "--plugins", "deflicker", "--frames", "1001-1005", "-q", "--resume"], capsys)
    assert code == 0, err
    assert [p.name for p in mine if p.exists()] == []
    assert all(p.exists() for p in others)


# ------------------------------------------------------------------ case 3: the shot's format
@pytest.mark.parametrize("plugins", ["deflicker", "stabilize"])
def test_an_odd_sized_first_frame_fails_alone_the_majority_defines_the_shot(tmp_path: Path, capsys, plugins):
    shot = tmp_path / "shot"
    paths = small_shot(shot, 6)
    write_frame(paths[0], cv2.resize(read_frame(paths[0]), (321, 180)))  # 1001 is one pixel wider
    out = tmp_path / "out"
    code, _, err = run(["batch", shot, out, "--plugins", plugins, "-q"], capsys)
    assert code == 1, err
    report = report_of(out)
    assert report["resolution"] == [320, 180]
    assert [(f["frame"], f["error"]) for f in report["frames_failed"]] == [
        (1001, "frame.1001.png is 321x180, the shot is 320x180")]
    assert report["frames_written"] == 5


# ------------------------------------------------------------------ case 8: declared sizes
def _png_bomb(path: Path, side: int) -> None:
    """A real ``side`` x ``side`` 8-bit gray PNG of zeros (a few hundred kB on disk)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(1)
    row = bytes(side + 1)
    body = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _tiff_with_strip_count(path: Path, count: int) -> None:
    """Set the value count of the StripByteCounts tag of little-endian TIFF ``path`` to ``count``."""
    data = bytearray(path.read_bytes())
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    for i in range(n):
        at = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, at)[0] == 279:
            struct.pack_into("<I", data, at + 4, count)
    path.write_bytes(bytes(data))


HWM_MAIN = (
    "import re, sys\n"
    "from laika_fx.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_huge_declared_sizes_are_refused_from_the_header_with_flat_memory(tmp_path: Path):
    """A 20000x20000 PNG bomb and a TIFF whose strip table claims 100 million entries are
    listed from their headers: the batch's peak memory stays that of a small shot."""
    png, tif = tmp_path / "png", tmp_path / "tif"
    small_shot(png, 4)
    _png_bomb(png / "frame.1002.png", 20000)
    tif.mkdir()
    for p in sorted(png.glob("frame.*.png")):
        if p.name != "frame.1002.png":
            write_frame(tif / p.with_suffix(".tif").name, read_frame(p))
    _tiff_with_strip_count(tif / "frame.1003.tif", 100_000_000)
    for shot, bad, reason in ((png, 1002, "20000x20000"), (tif, 1003, "frame.1003.tif")):
        out = tmp_path / f"{shot.name}_out"
        t0 = time.monotonic()
        # the batch's own peak (VmHWM; a child's ru_maxrss would include this process's at fork)
        res = subprocess.run([sys.executable, "-c", HWM_MAIN, "batch", shot, out, "--plugins", "deflicker", "-q"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == 1, res.stderr
        failed = {f["frame"]: f["error"] for f in report_of(out)["frames_failed"]}
        assert list(failed) == [bad] and reason in failed[bad], failed
        peak_mb = int(res.stderr.strip().splitlines()[-1]) / 1024
        assert peak_mb < 350, f"peak memory {peak_mb:.0f} MB"  # ~135 MB measured; the bomb decoded is 400 MB
        assert time.monotonic() - t0 < 30


def test_info_does_not_block_on_a_fifo_frame(tmp_path: Path):
    shot = tmp_path / "shot"
    paths = small_shot(shot, 3)
    paths[0].unlink()
    os.mkfifo(paths[0])
    res = subprocess.run([sys.executable, "-m", "laika_fx", "info", shot], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "frame.1001.png is a FIFO" in res.stdout and "320x180" in res.stdout
