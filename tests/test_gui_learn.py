"""The app's "Learn from corrections": a child process with progress and cancel, and the
preview detecting with the shot's learned model once it is written (pytest-qt)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from laika_fx.accelerators.runtime import MODELS_DIR, available  # noqa: E402
from laika_fx.overrides import default_mask_override_dir, default_shot_model_dir, save_mask_override  # noqa: E402

from .conftest import make_foreign_head_shot  # noqa: E402
from .test_gui import seam_plugin, window  # noqa: E402, F401  (fixtures)

pytestmark = [pytest.mark.gui, pytest.mark.skipif(not available("seam_detector"), reason="no shipped detector")]

# what the learning command does, quickly: progress lines as the real one prints them, then
# the shipped detector written as the shot's model with thresholds that find far more
FAKE_LEARN = '''
import json, shutil, sys, time
from pathlib import Path
shot = Path(sys.argv[sys.argv.index("--from-shot") + 1]).resolve()
models, dest = Path(sys.argv[1]), shot.parent / (shot.name + ".laika_fx") / "models"
for pct in (0, 40, 80):
    print(f"learn: [{pct:3d}%] step {pct}, loss 0.1", flush=True)
    time.sleep(float(sys.argv[2]))
tmp = dest.with_name("models.part")
tmp.mkdir(parents=True)
for p in ("fp32", "int8"):
    for ext in ("xml", "bin"):
        shutil.copyfile(models / f"seam_detector_{p}.{ext}", tmp / f"seam_detector_{p}.{ext}")
meta = json.loads((models / "seam_detector.json").read_text())
meta["runtime"] = {p: {"threshold": 0.02, "low_ratio": 0.5, "face_gate": False} for p in ("fp32", "int8")}
(tmp / "seam_detector.json").write_text(json.dumps(meta))
tmp.rename(dest)
print("learn: [100%] per-shot model written", flush=True)
'''


@pytest.fixture
def fake_learning(tmp_path: Path):
    script = tmp_path / "fake_learn.py"
    script.write_text(FAKE_LEARN)

    def command(delay: float) -> list[str]:
        return [sys.executable, str(script), str(MODELS_DIR), str(delay)]

    return command


def _open_head(qtbot, window, tmp_path: Path, *, corrected: bool = True) -> Path:  # noqa: F811
    shot = tmp_path / "head"
    paths, truths = make_foreign_head_shot(shot, 2)
    if corrected:
        save_mask_override(default_mask_override_dir(shot), paths[0], truths[0])
    for name, panel in window.plugins.panels.items():
        panel.setChecked(name == "seam_removal")
    assert window.open_shot(shot), window.notifier.last_error
    qtbot.waitUntil(lambda: window.preview_ready, timeout=60000)
    return shot


def test_learning_runs_in_the_background_and_the_preview_then_uses_the_shots_model(
        qtbot, tmp_path, window, fake_learning):  # noqa: F811
    shot = _open_head(qtbot, window, tmp_path)
    window.model.step(1)
    qtbot.waitUntil(lambda: window.preview_ready and window.model.current == 1002, timeout=60000)
    before = window._detected.copy()
    assert "own detector" not in window.preview_status.text()
    window.learner._command = fake_learning(0.3)
    seen: list[int] = []
    window.learner.progress.connect(lambda pct, _text: seen.append(pct))
    with qtbot.waitSignal(window.learner.finished, timeout=60000) as done:
        assert window.learn_from_corrections()
        assert window.learn_progress.isVisible() and not window.learn_action.isEnabled()
        assert not window.learn_from_corrections()  # one at a time
    assert done.args[0] is True and "per-shot model written" in done.args[1]
    assert seen[:3] == [0, 40, 80] and seen[-1] == 100
    assert not window.learn_progress.isVisible() and window.learn_action.isEnabled()
    assert (default_shot_model_dir(shot) / "seam_detector.json").exists()
    # the preview of the uncorrected frame detects with the shot's model (its lower threshold finds more)
    qtbot.waitUntil(lambda: window.preview_ready and "own detector" in window.preview_status.text(), timeout=60000)
    assert (window._detected > 0).sum() > (before > 0).sum()
    window.plugins.panels["seam_removal"].set_settings({"shot_model": "off"})
    window.plugins.changed.emit()
    qtbot.waitUntil(lambda: window.preview_ready and "own detector" not in window.preview_status.text(),
                    timeout=60000)  # fmt: skip
    np.testing.assert_array_equal(window._detected, before)


def test_learning_can_be_cancelled_and_needs_corrections(qtbot, tmp_path, window, fake_learning):  # noqa: F811
    shot = _open_head(qtbot, window, tmp_path, corrected=False)
    assert not window.learn_from_corrections()
    assert "Correct the mask on a few frames first" in window.notifier.last_error
    assert not window.learner.running
    save_mask_override(default_mask_override_dir(shot), shot / "head.1001.png", np.zeros((360, 640), np.uint8))
    window.learner._command = fake_learning(20.0)
    with qtbot.waitSignal(window.learner.progress, timeout=30000):
        assert window.learn_from_corrections()
    with qtbot.waitSignal(window.learner.finished, timeout=30000) as done:
        window.learn_cancel.click()
    assert done.args[0] is False and "cancelled" in done.args[1]
    assert "cancelled" in window.notifier.last_error
    assert not window.learn_progress.isVisible() and window.learn_action.isEnabled()
    assert not default_shot_model_dir(shot).exists()
    json.dumps(done.args)  # plain values
