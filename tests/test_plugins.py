import json
import subprocess
import sys

import numpy as np
import pytest

from laika_fx.plugins import Param, ParamError, Plugin, load_preset, registry, save_preset


def test_param_coercion_from_cli_strings():
    p = Param("threshold", float, 0.5, minimum=0.0, maximum=1.0)
    assert p.coerce("0.7") == 0.7
    with pytest.raises(ParamError, match="above the maximum"):
        p.coerce("1.5")
    with pytest.raises(ParamError, match="expected float"):
        p.coerce("high")
    assert Param("on", bool, False).coerce("yes") is True
    with pytest.raises(ParamError):
        Param("on", bool, False).coerce("maybe")
    with pytest.raises(ParamError):
        Param("n", int, 1).coerce("1.5")
    with pytest.raises(ParamError, match="not one of"):
        Param("mode", str, "lock", choices=("lock", "smooth")).coerce("wobble")


def test_invalid_default_is_rejected_at_declaration():
    with pytest.raises(ParamError):
        Param("x", int, 10, maximum=5)


def test_plugin_settings_are_validated():
    cls = registry.get("deflicker")
    plugin = cls({"window": "5"})
    assert plugin.settings["window"] == 5 and plugin.settings["strength"] == 1.0
    with pytest.raises(ParamError, match="no such parameter"):
        cls({"nope": 1})


def test_builtins_are_registered_through_the_entry_point():
    status = {i.name: i for i in registry.status()}
    assert status["deflicker"].builtin and status["deflicker"].error is None
    assert status["deflicker"].value == "laika_fx.deflicker:DeflickerPlugin"


def test_third_party_plugin_found_and_broken_one_listed_as_failed(plugin_env):
    status = {i.name: i for i in registry.status()}
    assert status["invert"].error is None and not status["invert"].builtin
    assert "broken on purpose" in status["broken"].error
    assert "invert" in registry.names() and "broken" not in registry.names()
    inv = registry.get("invert")()
    frame = np.full((4, 4, 3), 10, np.uint8)
    assert inv.render(frame, None)[0, 0, 0] == 245
    with pytest.raises(KeyError, match="failed to load"):
        registry.get("broken")


def test_disable_env_var_keeps_builtins_only(plugin_env, monkeypatch):
    monkeypatch.setenv("LAIKA_FX_DISABLE_PLUGINS", "1")
    registry.refresh()
    names = {i.name for i in registry.status()}
    assert "deflicker" in names and "invert" not in names and "broken" not in names


def test_plugins_command_lists_found_and_failed(plugin_env):
    env = {"PYTHONPATH": str(plugin_env), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "laika_fx", "plugins"], capture_output=True, text=True, env=env)
    assert out.returncode == 0
    assert "ok      deflicker" in out.stdout
    assert "ok      invert" in out.stdout
    assert "FAILED  broken" in out.stdout and "broken on purpose" in out.stdout


def test_preset_round_trip_with_schema_version(tmp_path):
    plugin = registry.get("deflicker")({"window": 15})
    save_preset(tmp_path / "p.json", [plugin])
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["schema_version"] == 1
    assert load_preset(tmp_path / "p.json") == {"deflicker": plugin.settings}
    doc["schema_version"] = 99
    (tmp_path / "p.json").write_text(json.dumps(doc))
    with pytest.raises(ParamError, match="schema version"):
        load_preset(tmp_path / "p.json")


def test_plugin_subclass_defaults():
    class Gain(Plugin):
        name = "gain"
        params = (Param("gain", float, 2.0),)

    assert Gain().settings == {"gain": 2.0}
    assert Gain().settings_document() == {"schema_version": 1, "plugin": "gain", "settings": {"gain": 2.0}}


def test_build_plugins_validates_and_raises_plugin_error():
    from laika_fx.plugins import PluginError, build_plugins

    (deflicker,) = build_plugins([("deflicker", {"window": "5"})])
    assert deflicker.name == "deflicker" and deflicker.settings["window"] == 5
    with pytest.raises(PluginError, match="unknown plugin 'nope'"):
        build_plugins([("nope", {})])
    with pytest.raises(PluginError, match=r"^deflicker\.window: expected int"):
        build_plugins([("deflicker", {"window": "wide"})])
    assert not issubclass(PluginError, KeyError)
