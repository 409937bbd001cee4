"""The public surface stays small and importable without loading models."""

from __future__ import annotations

import subprocess
import sys

import pytest

import assistant


def test_all_is_the_documented_surface() -> None:
    assert sorted(assistant.__all__) == sorted(
        ["Answer", "Assistant", "AssistantError", "BackendUnavailable", "BadQuestion", "Citation",
         "IndexNotFound", "Settings", "Stamp", "load_settings"]
    )
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_importing_the_package_does_not_load_torch_or_chroma() -> None:
    code = "import assistant, sys; print('torch' in sys.modules, 'chromadb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bad_setting_names_key_and_value(monkeypatch) -> None:
    from assistant.errors import SettingsError
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_TOP_K", "lots")
    try:
        load_settings()
    except SettingsError as exc:
        assert "top_k" in str(exc) and "lots" in str(exc)
    else:
        raise AssertionError("a bad ASSISTANT_TOP_K must be refused")


def test_cli_flags_override_environment(monkeypatch, tmp_path) -> None:
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    assert load_settings().top_k == 3
    assert load_settings(top_k=9).top_k == 9


BLAS_PROBE = """
import json, os, sys
from threadpoolctl import threadpool_info
from assistant import Assistant, load_settings
def blas():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
before = blas()
Assistant(load_settings(index_dir=sys.argv[1]))
print(json.dumps({"before": before, "after": blas()}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("setting", "expected"), [(None, [1]), ("3", [3]), ("0", "before")])
def test_building_an_assistant_caps_numpy_s_blas_threads(built_index, setting: str | None, expected) -> None:
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_BLAS_THREADS"}
    if setting is not None:
        env["ASSISTANT_BLAS_THREADS"] = setting
    done = subprocess.run([sys.executable, "-c", BLAS_PROBE, str(built_index)], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"], "numpy's BLAS is loaded before the assistant is built"
    assert seen["after"] == (seen["before"] if expected == "before" else expected)
