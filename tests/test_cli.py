"""The CLI through typer's runner: JSON shape, exit codes, one-line errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from assistant.interfaces.cli import app

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("ingest", "ask", "serve", "info"):
        assert name in result.output


def test_missing_index_is_one_line_and_exit_1(tmp_path) -> None:
    result = runner.invoke(app, ["ask", "hello?", "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "assistant ingest" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow  # ingest and ask load the embedding model
def test_empty_index_is_one_line_and_exit_1(tmp_path) -> None:
    (tmp_path / "nothing").mkdir()
    index = str(tmp_path / "index")
    assert runner.invoke(app, ["ingest", str(tmp_path / "nothing"), "--index-dir", index, "--no-progress"]).exit_code == 0
    result = runner.invoke(app, ["ask", "hello?", "--index-dir", index])
    assert result.exit_code == 1
    assert "no documents" in result.output and "assistant ingest" in result.output
    assert "Traceback" not in result.output


def test_bad_where_is_a_usage_error(tmp_path) -> None:
    result = runner.invoke(app, ["ask", "hello?", "--where", "colour=blue", "--index-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "--where" in result.output


@pytest.mark.slow
def test_ask_json_has_the_documented_shape(built_index) -> None:
    result = runner.invoke(app, ["ask", "Will I be paid?", "--json", "--index-dir", str(built_index)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert set(data) >= {"answer", "abstained", "citations", "support", "support_score", "stamp"}
    assert data["abstained"] is False
    first = data["citations"][0]
    assert set(first) >= {"n", "title", "source", "text", "quote", "score"}


@pytest.mark.slow
def test_ask_with_history_file(built_index, tmp_path) -> None:
    history = tmp_path / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "Who is the Department Director?"}]))
    result = runner.invoke(
        app, ["ask", "Could you give me his e-mail address?", "--json", "--history", str(history), "--index-dir", str(built_index)]
    )
    assert result.exit_code == 0, result.output
    assert "@" in json.loads(result.output[result.output.index("{"):])["answer"]


@pytest.mark.slow
def test_empty_question_exit_1(built_index) -> None:
    result = runner.invoke(app, ["ask", "  ", "--index-dir", str(built_index)])
    assert result.exit_code == 1
    assert "empty" in result.output


@pytest.mark.slow
def test_info_lists_documents(built_index) -> None:
    result = runner.invoke(app, ["info", "--json", "--index-dir", str(built_index)])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["documents"] == 2 and data["chunks"] > 10


@pytest.fixture
def restore_gc():
    import gc

    yield gc
    gc.unfreeze()
    gc.enable()


@pytest.mark.parametrize(("command", "collects"), [("ask", False), ("info", True), ("ingest", True)])
def test_the_console_script_turns_the_collector_off_only_for_one_shot_commands(
        command: str, collects: bool, restore_gc, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.interfaces import cli

    seen: list[bool] = []
    monkeypatch.setattr(cli, "app", lambda args, standalone_mode: seen.append(restore_gc.isenabled()) or sys.exit(0))
    with pytest.raises(SystemExit):
        cli.main([command, "x"])
    assert seen == [collects]
    assert restore_gc.get_freeze_count() > 0  # what is alive at the exit is not scanned again


def test_info_warns_about_documents_an_older_ingest_pipeline_built(tmp_path, monkeypatch) -> None:
    from assistant.index.manifest import Manifest
    from assistant.index.paths import manifest_path
    from assistant.settings import Settings
    from ingest.build import PIPELINE_VERSION, build_document
    from ingest.load import Loaded

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "idx"))
    current = build_document(Loaded(tmp_path / "a.txt", [(None, "Current text.")], raw_hash="a"), "k")
    older = build_document(Loaded(tmp_path / "b.txt", [(None, "Older text.")], raw_hash="b"), "k")
    older.meta["pipeline"] = "0"
    path = manifest_path(Settings())
    path.parent.mkdir(parents=True)
    manifest = Manifest(path)
    manifest.replace_documents([(current, "a.txt", []), (older, "b.txt", [])])
    manifest.close()

    data = json.loads(runner.invoke(app, ["info", "--json"]).output)
    assert data["pipeline_version"] == PIPELINE_VERSION and data["stale_documents"] == 1
    assert {item["path"].rsplit("/", 1)[-1]: item["pipeline"] for item in data["items"]} == {
        "a.txt": PIPELINE_VERSION, "b.txt": "0"}
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0 and "1 documents were built by an older ingest pipeline" in result.output
