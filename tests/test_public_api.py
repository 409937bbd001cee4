"""The public surface stays small and importable without loading models."""

from __future__ import annotations

import subprocess
import sys

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
