"""`assistant eval` from a plain install of the built wheel in a fresh virtualenv (not from the source tree).

The fresh venv cannot download the dependencies (offline), so a .pth file lends it the main venv's
site-packages for them; the package itself is the wheel's copy, which the test checks (PYTHONPATH unset, the
working directory outside the repository, `assistant.__file__` inside the new venv, no `evals` package).
"""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow


def _run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_assistant_eval_from_the_installed_wheel(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                  str(ROOT)], env, tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("bipm_assistant-*.whl")

    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    assert _run([base, "-m", "venv", "--without-pip", str(venv)], env, tmp_path).returncode == 0
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   env, tmp_path).stdout.strip()
    # the dependencies only: a plain path line, so the main venv's editable-install finder is never loaded
    Path(purelib, "main-venv-deps.pth").write_text(site.getsitepackages()[0] + "\n", encoding="utf-8")
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                      str(wheel)], env, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    where = _run([str(python), "-c", "import assistant.evaluate, importlib.util as u; "
                  "print(assistant.evaluate.__file__); print(u.find_spec('evals'))"], env, tmp_path)
    origin, evals_spec = where.stdout.split()
    assert origin.startswith(purelib), f"assistant came from {origin}, not the wheel"
    assert evals_spec == "None"  # the scorer no longer needs the repository's evals/ folder

    corpus = tmp_path / "docs"
    corpus.mkdir()
    doc = next(CORPUS.glob("*physical-metrology*"))
    (corpus / doc.name).write_bytes(doc.read_bytes())
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({
        "id": "fields", "question": "In which fields does the Physical Metrology Department offer secondments?",
        "answerable": True, "facts": [["mass"]], "quotes": ["electrical and mass metrology"],
        "doc": doc.name}) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    done = _run([str(venv / "bin" / "assistant"), "eval", str(questions), "--corpus", str(corpus),
                 "--out", str(out), "--no-warmup", "--min-hit-at-20", "1"], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| retrieval hit@20 | 1.000 |" in done.stdout and "Floors: ok" in done.stdout
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert report["overall"]["n"] == 1 and report["stamp"]["index_version"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "Q?"}\n', encoding="utf-8")
    refused = _run([str(venv / "bin" / "assistant"), "eval", str(bad)], env, tmp_path)
    assert refused.returncode == 2 and "line 1 [x]: missing field 'answerable'" in refused.stderr
