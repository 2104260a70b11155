from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laika_fx.sequence import ShotError, format_frame_range, open_shot, parse_frame_range

from .conftest import make_shot


@pytest.mark.parametrize(
    "spec, frames",
    [
        ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
        ("1-20x2", list(range(1, 21, 2))),
        ("1,5,9-11", [1, 5, 9, 10, 11]),
        ("7", [7]),
    ],
)
def test_parse_frame_range_examples(spec, frames):
    assert parse_frame_range(spec) == frames


@pytest.mark.parametrize("bad", ["", "abc", "1-", "x3"])
def test_parse_frame_range_rejects_garbage(bad):
    with pytest.raises(ValueError):
        parse_frame_range(bad)


@given(st.sets(st.integers(min_value=0, max_value=5000), min_size=1, max_size=60))
def test_frame_range_round_trip(frames):
    spelled = format_frame_range(sorted(frames))
    assert parse_frame_range(spelled) == sorted(frames)


@given(st.integers(0, 3000), st.integers(0, 200), st.integers(1, 9))
def test_stepped_range_matches_python_range(start, length, step):
    end = start + length
    assert parse_frame_range(f"{start}-{end}x{step}") == list(range(start, end + 1, step))


@pytest.mark.parametrize(
    "pattern",
    ["frame.####.png", "frame.%04d.png", "frame.@@@@.png", "frame.1001-1006#.png", "frame.$F4.png"],
)
def test_patterns_find_the_same_shot(shot_dir: Path, pattern):
    shot = open_shot(shot_dir / pattern)
    assert shot.frames == tuple(range(1001, 1007))
    assert shot.path(1003) == shot_dir / "frame.1003.png"


def test_folder_and_explicit_range(shot_dir: Path):
    assert open_shot(shot_dir).frames == tuple(range(1001, 1007))
    sub = open_shot(shot_dir / "frame.1002-1004#.png")
    assert sub.requested == (1002, 1003, 1004)
    assert open_shot(shot_dir, frames="1001-1005x2").requested == (1001, 1003, 1005)


def test_gaps_are_reported_not_renumbered(shot_dir: Path):
    (shot_dir / "frame.1003.png").unlink()
    (shot_dir / "frame.1004.png").unlink()
    shot = open_shot(shot_dir)
    assert shot.frames == (1001, 1002, 1005, 1006)
    assert shot.gaps == [1003, 1004]
    assert shot.path(1005).name == "frame.1005.png"


def test_missing_and_empty_inputs_give_one_line_errors(tmp_path: Path):
    with pytest.raises(ShotError, match="not found"):
        open_shot(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ShotError, match="no numbered frames"):
        open_shot(tmp_path / "empty")
    with pytest.raises(ShotError, match="no frames on disk"):
        open_shot(tmp_path / "empty" / "frame.####.png")


def test_two_sequences_in_a_folder_is_ambiguous(tmp_path: Path):
    make_shot(tmp_path / "s", 3, name="a")
    make_shot(tmp_path / "s", 3, name="b")
    with pytest.raises(ShotError, match="2 sequences"):
        open_shot(tmp_path / "s")
    assert len(open_shot(tmp_path / "s" / "b.####.png").frames) == 3


def test_single_file_is_not_a_sequence(shot_dir: Path, tmp_path: Path):
    single = tmp_path / "still.png"
    single.write_bytes((shot_dir / "frame.1001.png").read_bytes())
    with pytest.raises(ShotError, match="single file"):
        open_shot(single)
