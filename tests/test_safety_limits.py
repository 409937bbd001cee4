"""Limits where they matter: a .docx zip bomb is refused before parsing, extracted text is capped, and a
file whose extraction runs past its time budget is skipped — each with a clear reason."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from ingest.load import Limits, Skip, load, parse

MB = 1_000_000
PARAGRAPH = b"<w:p><w:r><w:t>" + b"metrology " * 50 + b"</w:t></w:r></w:p>"


def small_docx() -> bytes:
    import docx

    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("The secondment lasts six months.")
    document.save(out)
    return out.getvalue()


def bomb_docx(path: Path, unpacked: int) -> Path:
    """A valid-looking .docx whose word/document.xml unpacks to about ``unpacked`` bytes."""
    with zipfile.ZipFile(io.BytesIO(small_docx())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                                             compresslevel=9) as dst:
        for item in src.infolist():
            if item.filename != "word/document.xml":
                dst.writestr(item, src.read(item))
                continue
            head, _, tail = src.read(item).partition(b"<w:body>")
            with dst.open("word/document.xml", "w", force_zip64=True) as fh:
                fh.write(head + b"<w:body>")
                block = PARAGRAPH * 2000
                for _ in range(unpacked // len(block)):
                    fh.write(block)
                fh.write(tail)
    return path


def test_a_docx_zip_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = bomb_docx(tmp_path / "bomb.docx", 110 * MB)
    assert bomb.stat().st_size < 600_000  # a few hundred KB on disk …
    with zipfile.ZipFile(bomb) as z:
        assert sum(i.file_size for i in z.infolist()) > 100 * MB  # … more than 100 MB unpacked
    started = time.perf_counter()
    with pytest.raises(Skip, match="zip bomb") as why:
        load(bomb, 50 * MB)
    assert time.perf_counter() - started < 5
    assert "ASSISTANT_MAX_UNPACKED_MB" in str(why.value)


def test_the_unpacked_limit_is_a_setting_and_normal_files_pass(tmp_path: Path) -> None:
    from assistant.settings import Settings

    limits = Limits.from_settings(Settings(max_unpacked_mb=5))
    bomb = bomb_docx(tmp_path / "bomb.docx", 20 * MB)
    with pytest.raises(Skip, match="more than 5 MB"):
        parse(bomb, bomb.read_bytes(), limits)
    assert parse(tmp_path / "ok.docx", small_docx(), limits).parts


def test_extracted_text_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("The BIPM is in Sèvres. " * 1000)
    loaded = load(path, 50 * MB, Limits(text_chars=5000))
    assert sum(len(t) for _, t in loaded.parts) == 5000


def test_extraction_past_its_time_budget_is_skipped(tmp_path: Path, monkeypatch) -> None:
    import trafilatura

    def stuck(*args: object, **kwargs: object) -> str:
        time.sleep(30)
        return "never"

    monkeypatch.setattr(trafilatura, "extract", stuck)
    page = tmp_path / "slow.html"
    page.write_text("<html><body><p>Some text.</p></body></html>")
    started = time.perf_counter()
    with pytest.raises(Skip, match="took longer than 0.5 s"):
        load(page, 50 * MB, Limits(seconds=0.5))
    assert time.perf_counter() - started < 5


def test_readers_check_their_budget_between_parts(tmp_path: Path) -> None:
    limits = Limits(seconds=1.0, deadline=time.monotonic() - 1)
    with pytest.raises(Skip, match="took longer"):
        limits.check_time()
