"""The runtime never sends usage telemetry: ``import openvino`` would send an event to
Google Analytics from a forked copy of the process (``openvino.tools.ovc`` with the
``openvino_telemetry`` package); :func:`laika_fx.accelerators.runtime.without_telemetry`
keeps that package out before OpenVINO is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

#: counts the forks of the process (the telemetry sender forks from a worker thread) and
#: says which telemetry module OpenVINO's converter bound
PROBE = textwrap.dedent(
    """
    import os, sys, time
    forks = []
    os.register_at_fork(before=lambda: forks.append(1))
    {setup}
    import openvino.tools.ovc.telemetry_utils as tu
    time.sleep(1.0)  # the event goes out from a thread pool after the import
    print(len(forks), tu.tm.__name__)
    """
)


def _probe(setup: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_BUILD", "JENKINS_URL")}  # CI turns it off
    out = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split()  # fmt: skip
    return int(out[0]), out[1]


def test_core_imports_openvino_without_telemetry():
    forks, module = _probe("from laika_fx.accelerators import runtime; runtime.core()")
    assert module.endswith("telemetry_stub")
    assert forks == 0


def test_training_package_imports_openvino_without_telemetry():
    pytest.importorskip("nncf")
    forks, module = _probe("import laika_fx_train; import openvino")
    assert module.endswith("telemetry_stub")
    assert forks == 0


def test_the_probe_sees_telemetry_without_the_guard():
    """The probe is able to fail: plain ``import openvino`` binds the real package (and,
    unless a consent file declines, forks to send the event)."""
    pytest.importorskip("openvino_telemetry")
    _, module = _probe("import openvino")
    assert module == "openvino_telemetry"
