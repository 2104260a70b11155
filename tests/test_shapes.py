"""Masks as vector shapes (laika_fx.shapes) and ``laika-fx batch --export-shapes``."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from laika_fx.shapes import (
    SCHEMA_VERSION,
    ShapesError,
    mask_to_shapes,
    nuke_script,
    rasterize,
    rasterize_centerlines,
    read_shapes,
    shapes_document,
    shapes_json,
    shapes_svg,
    write_nuke_script,
)

from .conftest import SAMPLE, digest_tree

GROUND_TRUTH_MASKS = sorted((SAMPLE / "ground_truth" / "masks").glob("frame.*.png"))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def thin_masks() -> dict[str, np.ndarray]:
    """1 and 2 px lines (straight, diagonal, curved), rings and a disc with holes."""
    h, w = 90, 120
    out = {}
    for width in (1, 2):
        for name, draw in (
            ("diagonal", lambda im: cv2.line(im, (5, 5), (110, 80), 255, 1)),
            ("horizontal", lambda im: cv2.line(im, (5, 40), (110, 40), 255, 1)),
            ("arc", lambda im: cv2.ellipse(im, (60, 45), (45, 30), 0, 10, 200, 255, 1)),
            ("ring", lambda im: cv2.circle(im, (60, 45), 30, 255, 1)),
        ):
            im = np.zeros((h, w), np.uint8)
            draw(im)
            if width == 2:  # the line and its right neighbour: exactly 2 px wide across x
                im[:, 1:] |= im[:, :-1]
            out[f"{name}_{width}px"] = im
    holey = np.zeros((h, w), np.uint8)
    cv2.circle(holey, (60, 45), 35, 255, -1)
    cv2.circle(holey, (60, 45), 12, 0, -1)
    holey[20:24, 40:44] = 0  # a second, square hole
    holey[44:47, 58:63] = 255  # an island inside the first hole
    out["disc_with_holes"] = holey
    checker = np.zeros((h, w), np.uint8)
    checker[10:20:2, 10:20:2] = 255
    checker[11:21:2, 11:21:2] = 255  # pixels touching only at corners (one 8-connected region)
    out["corner_touching"] = checker
    return out


# ---------------------------------------------------------------------------------------------
# geometry


def test_one_pixel_outline_is_its_square():
    """Outlines run along pixel edges: pixel (row 2, col 3) is the square from (3, 2) to (4, 3)."""
    mask = np.zeros((5, 6), np.uint8)
    mask[2, 3] = 255
    shapes = mask_to_shapes(mask)
    assert len(shapes) == 1
    assert shapes[0]["outline"] == [[3, 2], [4, 2], [4, 3], [3, 3]]
    assert shapes[0]["holes"] == [] and shapes[0]["area"] == 1 and shapes[0]["bbox"] == [3, 2, 1, 1]
    assert np.array_equal(rasterize(shapes, (5, 6)), mask)


def test_empty_mask_gives_no_shapes():
    doc = shapes_document(np.zeros((20, 30), np.uint8), frame=7)
    assert doc["shapes"] == [] and (doc["width"], doc["height"], doc["frame"]) == (30, 20, 7)
    assert rasterize(doc).shape == (20, 30) and not rasterize(doc).any()
    assert "curvegroup" not in nuke_script([doc])
    ET.fromstring(shapes_svg(doc))  # valid SVG with no path


def test_full_frame_and_blob_masks():
    """A mask touching the frame edges gets the frame rectangle; blobs get no centre line
    (they are not thinned: a full 1080p frame took 47 s before it was guarded)."""
    full = np.full((1080, 1920), 255, np.uint8)
    (shape,) = mask_to_shapes(full)
    assert shape["outline"] == [[0, 0], [1920, 0], [1920, 1080], [0, 1080]] and "centerline" not in shape
    disc = cv2.circle(np.zeros((300, 400), np.uint8), (200, 150), 100, 255, -1)
    (shape,) = mask_to_shapes(disc)
    assert "centerline" not in shape and iou(rasterize([shape], disc.shape), disc) >= 0.99


def test_mask_must_be_2d():
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        mask_to_shapes(np.zeros((4, 4, 3), np.uint8))


@pytest.mark.parametrize("path", GROUND_TRUTH_MASKS[::4], ids=lambda p: p.stem)
def test_round_trip_on_sample_masks(path: Path):
    """The sample shot's seam masks: outlines rasterise back to the mask (IoU >= 0.9 asked;
    1.0 seen), with far fewer points than boundary pixels; centre lines are a coarser
    description (IoU 0.875-1.0 seen over the 24 masks)."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    doc = shapes_document(mask, frame=1)
    assert len(doc["shapes"]) >= 1
    assert iou(rasterize(doc), mask) >= 0.99
    perimeter = sum(len(s["outline"]) for s in doc["shapes"])
    assert perimeter < 0.2 * (mask > 0).sum()
    lines = [s for s in doc["shapes"] if "centerline" in s]
    assert lines, "a seam band is line-like"
    assert iou(rasterize_centerlines(doc), mask) >= 0.85
    assert all(4 <= s["centerline"]["width"] <= 12 for s in lines)


@pytest.mark.parametrize("name", list(thin_masks()))
def test_round_trip_on_thin_and_holey_masks(name: str):
    mask = thin_masks()[name]
    doc = shapes_document(mask, frame=1)
    assert iou(rasterize(doc), mask) >= 0.99, name
    if name.startswith(("ring", "disc")):
        assert all(s["holes"] for s in doc["shapes"] if s["area"] > 20)
        assert not any("centerline" in s for s in doc["shapes"])
    if name.startswith(("diagonal", "horizontal", "arc")):
        (shape,) = doc["shapes"]
        line = shape["centerline"]
        assert line["width"] == pytest.approx(1.0 if name.endswith("_1px") else 2.0, abs=1.3)
        # a centre line + width is coarser than the outline: 0.67 seen on the 2 px diagonal
        # (a stair of pixel pairs), 0.82-1.0 on the others
        assert iou(rasterize_centerlines(doc), mask) >= (0.6 if name == "diagonal_2px" else 0.8), name
    if name == "disc_with_holes":
        assert len(doc["shapes"]) == 2  # the disc (two holes) and the island
        assert sorted(len(s["holes"]) for s in doc["shapes"]) == [0, 2]
    if name == "corner_touching":
        assert len(doc["shapes"]) == 1  # 8-connected, as cv2.findContours


@pytest.mark.parametrize("density", [0.3, 0.5, 0.7])
def test_random_masks_round_trip_exactly(density: float):
    """Speckle of every kind (pinches, nested holes, islands): unsimplified, each shape's
    outline area minus its holes' is its pixel count; simplified, the mask comes back."""
    rng = np.random.default_rng(int(density * 10))
    for _ in range(10):
        mask = (rng.random((40, 50)) < density).astype(np.uint8) * 255

        def area(points):
            p = np.asarray(points, float)
            return 0.5 * float(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(np.roll(p[:, 0], -1), p[:, 1]))

        exact = mask_to_shapes(mask, tolerance=0)
        assert sum(s["area"] for s in exact) == (mask > 0).sum()
        for shape in exact:
            assert area(shape["outline"]) + sum(area(h) for h in shape["holes"]) == shape["area"]
        assert np.array_equal(rasterize(exact, mask.shape), mask)
        assert np.array_equal(rasterize(mask_to_shapes(mask), mask.shape), mask)


def test_outline_orientation_and_holes():
    """Outlines clockwise on screen (positive shoelace area with y down), holes anticlockwise."""
    doc = shapes_document(thin_masks()["disc_with_holes"], frame=1)

    def area(points):
        p = np.asarray(points, float)
        return 0.5 * float(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(np.roll(p[:, 0], -1), p[:, 1]))

    for shape in doc["shapes"]:
        assert area(shape["outline"]) > 0
        assert all(area(hole) < 0 for hole in shape["holes"])


def test_same_mask_same_bytes():
    mask = thin_masks()["disc_with_holes"]
    a = shapes_json(shapes_document(mask, frame=3))
    b = shapes_json(shapes_document(mask.copy(), frame=3))
    assert a == b
    assert json.loads(a)["version"] == SCHEMA_VERSION


# ---------------------------------------------------------------------------------------------
# SVG and Nuke


def _svg_polygons(svg: str) -> list[list[list[list[float]]]]:
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    shapes = []
    for path in root.findall("s:g[@id='shapes']/s:path", ns):
        polys = []
        for sub in path.get("d").split("Z"):
            nums = [float(v) for v in re.findall(r"-?[0-9.]+", sub)]
            if nums:
                polys.append([nums[i : i + 2] for i in range(0, len(nums), 2)])
        shapes.append(polys)
    return shapes


def test_svg_holds_the_outlines():
    mask = thin_masks()["disc_with_holes"]
    doc = shapes_document(mask, frame=5)
    svg = shapes_svg(doc)
    root = ET.fromstring(svg)
    assert root.get("viewBox") == "0 0 120 90" and root.get("width") == "120"
    assert root.find("{http://www.w3.org/2000/svg}g").get("fill-rule") == "evenodd"
    polys = _svg_polygons(svg)
    assert len(polys) == len(doc["shapes"])
    back = [{"outline": p[0], "holes": p[1:]} for p in polys]
    assert np.array_equal(rasterize(back, mask.shape), rasterize(doc))


def _float(token: str) -> float:
    return 0.0 if token == "0" else struct.unpack(">f", bytes.fromhex(token[1:]))[0]


def _nuke_shapes(script: str) -> list[dict]:
    """Each curvegroup of a Roto script: name, key frame, points (Nuke coordinates), lifetime."""
    out = []
    for m in re.finditer(r"\{curvegroup (\S+) 512 bezier\n\s+\{\{cc\n\s+\{f 8192\}\n\s+\{px (\S+)\n(.*?)\}\}\s+idem\}\n"
                         r"\s+\{tx (\S+) \S+ \S+\}\n\s+\{a ([^}]*)\}\}", script, re.S):  # fmt: skip
        triples = re.findall(r"\{(\S+) (\S+)\}", m.group(3))
        assert len(triples) % 3 == 0
        points = [(_float(x), _float(y)) for x, y in triples[1::3]]
        assert all(t == ("0", "0") for t in triples[0::3] + triples[2::3])  # cusped: no tangents
        attrs = m.group(5).split()
        attrs = dict(zip(attrs[0::2], attrs[1::2], strict=True))
        out.append({"name": m.group(1), "key": _float(m.group(2)), "tx_key": _float(m.group(4)), "points": points,
                    "ltt": _float(attrs["ltt"]), "ltn": _float(attrs["ltn"]), "ltm": _float(attrs["ltm"])})  # fmt: skip
    return out


def test_nuke_script_holds_each_frame_keyed_on_its_frame():
    masks = thin_masks()
    docs = [shapes_document(masks["disc_with_holes"], frame=1002),
            shapes_document(masks["arc_2px"], frame=1001),
            shapes_document(np.zeros_like(masks["arc_2px"]), frame=1003)]  # fmt: skip
    script = nuke_script(docs)
    assert script.count("{") == script.count("}")
    assert "Roto {" in script and " output alpha" in script
    assert " first_frame 1001\n last_frame 1003\n" in script
    assert 'format "120 90 0 0 120 90 1 laika_fx_120x90"' in script
    shapes = _nuke_shapes(script)
    assert [s["name"] for s in shapes] == ["f1001_0", "f1002_0", "f1002_1"]
    for s in shapes:
        frame = int(s["name"][1:5])
        assert s["key"] == s["tx_key"] == s["ltn"] == s["ltm"] == frame
        assert s["ltt"] == 4  # lifetime "frame range": alive on its frame only
    # Nuke's y runs up from the bottom: flipped back, each frame's Roto shapes cover its mask;
    # the disc's holes are cut in through zero-width bridges (one polygon per shape)
    for frame, mask in ((1001, masks["arc_2px"]), (1002, masks["disc_with_holes"])):
        polys = [{"outline": [[x, 90 - y] for x, y in s["points"]]} for s in shapes if s["name"].startswith(f"f{frame}")]
        assert iou(rasterize(polys, mask.shape), mask) >= 0.99


def test_nuke_script_numbers_are_single_floats():
    doc = shapes_document(thin_masks()["ring_1px"], frame=1001)
    script = nuke_script([doc])
    body = script[script.index("curves {") :]
    tokens = re.findall(r"(?<=[{ ])(x[0-9a-f]+|-?[0-9][0-9.]*)(?=[} \n])", body)
    assert tokens and all(t == "0" or re.fullmatch(r"x[0-9a-f]{8}", t) or t.isdigit() for t in tokens)
    assert "x447a4000" in script  # 1001.0


def test_write_nuke_script_from_files(tmp_path: Path):
    masks = thin_masks()
    for frame, name in ((1002, "ring_2px"), (1001, "arc_1px")):
        doc = shapes_document(masks[name], frame=frame)
        (tmp_path / f"frame.{frame}.seam.json").write_bytes(shapes_json(doc))
    path = write_nuke_script(tmp_path, "seam", comment="test")
    assert path == tmp_path / "seam.nk"
    names = [s["name"] for s in _nuke_shapes(path.read_text())]
    assert names[0].startswith("f1001_") and names[-1].startswith("f1002_")
    assert write_nuke_script(tmp_path, "other") is None and not (tmp_path / "other.nk").exists()
    # two files of one frame: refused, one line
    doc = shapes_document(masks["ring_1px"], frame=1001)
    (tmp_path / "shot2.1001.seam.json").write_bytes(shapes_json(doc))
    with pytest.raises(ShapesError, match="two shapes files of frame 1001"):
        write_nuke_script(tmp_path, "seam")


# ---------------------------------------------------------------------------------------------
# reading


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=SCHEMA_VERSION + 1), "newer than this laika_fx reads"),
        (lambda d: d.update(schema="other"), "schema is not"),
        (lambda d: d.update(width="wide"), "width must be an integer"),
        (lambda d: d["shapes"][0].update(outline=[[1, "a"]]), "outline must be a list of"),
        (lambda d: d["shapes"][0].pop("outline"), "outline"),
        (lambda d: d["shapes"][0]["centerline"].update(width=-1), "width must be a positive"),
    ],
)
def test_read_shapes_refuses_bad_files(tmp_path: Path, edit, message):
    doc = shapes_document(thin_masks()["arc_2px"], frame=1)
    good = tmp_path / "good.seam.json"
    good.write_bytes(shapes_json(doc))
    assert read_shapes(good) == doc
    edit(doc)
    bad = tmp_path / "bad.seam.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ShapesError, match=message) as info:
        read_shapes(bad)
    assert "bad.seam.json" in str(info.value) and "\n" not in str(info.value)


def test_read_shapes_refuses_garbage(tmp_path: Path):
    p = tmp_path / "x.seam.json"
    p.write_text("{not json")
    with pytest.raises(ShapesError, match="x.seam.json: cannot read shapes"):
        read_shapes(p)


# ---------------------------------------------------------------------------------------------
# the batch


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "laika_fx", *map(str, args)], capture_output=True, text=True)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_batch_export_shapes(sample_dir: Path, tmp_path: Path):
    """--export-shapes writes, per frame, the shapes of the very mask --save-masks writes; a
    frame whose mask override is empty gets an empty shapes list; one Nuke script; the same
    bytes with 1 or 2 workers."""
    before = digest_tree(sample_dir)
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    cv2.imwrite(str(overrides / "frame.1003.png"), np.zeros((540, 960), np.uint8))  # artist: no seam here
    common = ("--frames", "1001-1004", "--plugins", "seam_removal", "--mask-overrides", overrides, "-q")
    a = tmp_path / "a"
    res = _cli("batch", sample_dir, a, "--export-shapes", "--save-masks", "--workers", "1", *common)
    assert res.returncode == 0, res.stderr
    shapes = a / "shapes"
    names = sorted(p.name for p in shapes.iterdir())
    assert names == sorted([f"frame.{n}.seam.{e}" for n in range(1001, 1005) for e in ("json", "svg")] + ["seam.nk"])
    for n in range(1001, 1005):
        doc = read_shapes(shapes / f"frame.{n}.seam.json")
        assert doc["frame"] == n and doc["source"] == f"frame.{n}.png" and (doc["width"], doc["height"]) == (960, 540)
        mask = cv2.imread(str(a / "masks" / f"frame.{n}.png"), cv2.IMREAD_GRAYSCALE)
        if n == 1003:
            assert doc["shapes"] == [] and not mask.any()
        else:
            assert doc["shapes"] and iou(rasterize(doc), mask) >= 0.99
        assert len(_svg_polygons((shapes / f"frame.{n}.seam.svg").read_text())) == len(doc["shapes"])
    nk = _nuke_shapes((shapes / "seam.nk").read_text())
    assert {s["name"].split("_")[0] for s in nk} == {"f1001", "f1002", "f1004"}
    report = json.loads((a / "laika_fx_report.json").read_text())
    assert report["shapes"] == {"folder": str(shapes), "masks": ["seam"]}
    assert report["stages"]["shapes"]["frames"] == 4  # its own stage, not hidden in "write"

    b = tmp_path / "b"
    assert _cli("batch", sample_dir, b, "--export-shapes", "--workers", "2", *common).returncode == 0
    assert _tree(b / "shapes") == _tree(shapes)
    assert digest_tree(sample_dir) == before


@pytest.mark.slow
def test_batch_export_shapes_in_chunks_and_resumed(sample_dir: Path, tmp_path: Path):
    """The same shapes and Nuke script from one run, from chunks merged by `laika-fx report`,
    and from half the shot then the rest with --resume."""
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    cv2.imwrite(str(overrides / "frame.1003.png"), np.zeros((540, 960), np.uint8))
    common = ("--frames", "1001-1004", "--plugins", "seam_removal", "--mask-overrides", overrides, "-q")
    a = tmp_path / "a"
    assert _cli("batch", sample_dir, a, "--export-shapes", *common).returncode == 0
    shapes = a / "shapes"

    c = tmp_path / "c"
    assert _cli("analyze", sample_dir, c, "--frames", "1001-1004", "--plugins", "seam_removal", "-q").returncode == 0
    res = _cli("batch", sample_dir, c, "--export-shapes", "--chunk-size", "3", *common)
    assert res.returncode == 0, res.stderr
    assert not (c / "shapes" / "seam.nk").exists()  # a chunk alone never writes the script
    res = _cli("report", c)
    assert res.returncode == 0, res.stderr
    assert "seam.nk" in res.stdout
    assert _tree(c / "shapes") == _tree(shapes)

    d = tmp_path / "d"  # half the shot, then the rest with --resume (as after a kill)
    rest = ("--plugins", "seam_removal", "--mask-overrides", overrides, "-q", "--export-shapes")
    assert _cli("batch", sample_dir, d, "--frames", "1001-1002", *rest).returncode == 0
    assert _cli("batch", sample_dir, d, "--frames", "1001-1004", "--resume", *rest).returncode == 0
    assert _tree(d / "shapes") == _tree(shapes)


def test_batch_without_export_writes_no_shapes(shot_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    res = _cli("batch", shot_dir, out, "--plugins", "deflicker", "-q")
    assert res.returncode == 0 and "export-shapes" not in res.stderr
    assert not (out / "shapes").exists()
    assert "shapes" not in json.loads((out / "laika_fx_report.json").read_text())
    # asked for, but nothing in the chain makes a mask: said in one line, the run goes on
    res = _cli("batch", shot_dir, tmp_path / "out2", "--plugins", "deflicker", "--export-shapes", "-q")
    assert res.returncode == 0
    assert res.stderr.strip() == ("laika-fx: note: --export-shapes: no plugin in the chain saves a mask "
                                  "(seam_removal does); no shapes are written")  # fmt: skip
    assert not (tmp_path / "out2" / "shapes").exists()


def test_svg_drawn_by_an_svg_renderer_covers_the_mask(tmp_path: Path):
    """An independent renderer (Qt's SVG module, anti-aliased, alpha >= 50 %) draws the
    SVG's paths over the very pixels of the mask, holes included."""
    pytest.importorskip("PySide6.QtSvg")
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    masks = [cv2.imread(str(GROUND_TRUTH_MASKS[0]), cv2.IMREAD_GRAYSCALE), thin_masks()["disc_with_holes"],
             thin_masks()["arc_1px"]]  # fmt: skip
    for mask in masks:
        renderer = QSvgRenderer(QByteArray(shapes_svg(shapes_document(mask, frame=1)).encode()))
        assert renderer.isValid()
        h, w = mask.shape
        image = QImage(w, h, QImage.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0))
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        alpha = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)[:, :w, 3]
        assert iou(alpha >= 128, mask) >= 0.99


def test_nuke_script_that_cannot_be_written_fails_the_run_in_one_line(sample_dir: Path, tmp_path: Path):
    """A foreign, broken shapes file in OUTPUT/shapes/: the frames and their shapes are written,
    the script is not; the run says why in one line and exits 1."""
    out = tmp_path / "out"
    (out / "shapes").mkdir(parents=True)
    (out / "shapes" / "old.0001.seam.json").write_text("{broken")
    res = _cli("batch", sample_dir, out, "--export-shapes", "--frames", "1001", "--plugins", "seam_removal", "-q")
    assert res.returncode == 1
    assert res.stderr.strip() == ("laika-fx: error: could not write the Nuke script: old.0001.seam.json: cannot read "
                                  "shapes: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")  # fmt: skip
    assert (out / "frame.1001.png").is_file() and (out / "shapes" / "frame.1001.seam.json").is_file()
    assert not (out / "shapes" / "seam.nk").exists()
    assert "could not write the Nuke script" in json.loads((out / "laika_fx_report.json").read_text())["shapes"]["error"]


def test_temporary_shape_files_of_a_killed_run_are_removed(sample_dir: Path, tmp_path: Path):
    """A killed run leaves `.<name>.<random>.part<ext>` files; the next run removes those of
    the files it writes (shapes and script), and no other."""
    out = tmp_path / "out"
    shapes = out / "shapes"
    shapes.mkdir(parents=True)
    stale = [".frame.1001.seam.json.k1ll3d.part.json", ".frame.1001.seam.svg.k1ll3d.part.svg", ".seam.nk.k1ll3d.part.nk"]
    other = ".frame.1002.seam.json.k1ll3d.part.json"  # a frame this run does not render: maybe another chunk's
    for name in [*stale, other]:
        (shapes / name).write_text("half")
    res = _cli("batch", sample_dir, out, "--export-shapes", "--frames", "1001", "--plugins", "seam_removal", "-q")
    assert res.returncode == 0, res.stderr
    left = sorted(p.name for p in shapes.iterdir())
    assert left == sorted([other, "frame.1001.seam.json", "frame.1001.seam.svg", "seam.nk"])
