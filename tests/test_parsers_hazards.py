"""Hostile and broken input: empty, garbage, truncated, decompression bombs, scans, unreadable fonts, every limit."""

from __future__ import annotations

import io
import os
import zlib

import pikepdf
import pytest

from examples.briefpdf import BriefPDF, encrypt
from briefreel.parsers import DamagedPDF, LimitExceeded, Limits, NoTextLayer, PasswordRequired, open_brief

MiB = 1 << 20


@pytest.fixture(scope="session")
def bomb_pdf() -> bytes:
    """One page whose content stream is ~2.3 MB of Flate that inflates to 512 MiB of spaces."""
    comp = zlib.compressobj(1)
    chunk = b" " * MiB
    data = b"".join(comp.compress(chunk) for _ in range(512)) + comp.flush()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(data, filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Contents = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data,why", [
    (b"", "empty"),
    (os.urandom(4096), "not a PDF"),
    (b"%PDF-1.7\n" + os.urandom(4096), "damaged"),
    (b"%PDF-1.4\n%%EOF\n", "damaged"),
], ids=["empty", "random", "header+random", "header-only"])
def test_not_a_pdf(data, why):
    with pytest.raises(DamagedPDF) as exc:
        open_brief(data, sandbox=False)
    assert why in str(exc.value) and exc.value.exit_code == 13


def test_truncated_files(simple_pdf):
    with pytest.raises(DamagedPDF):
        open_brief(simple_pdf[:200], sandbox=False)
    with pytest.raises(DamagedPDF):
        open_brief(simple_pdf[: len(simple_pdf) // 2])
    # Cut after the page content: qpdf rebuilds the cross-reference table; the repair is reported.
    brief = open_brief(simple_pdf[:-300], sandbox=False)
    assert "lighthouse keeper" in brief.text and brief.warnings


def test_truncated_encrypted_file(simple_pdf):
    locked = encrypt(simple_pdf, user="pw", R=6)
    with pytest.raises((DamagedPDF, PasswordRequired)):
        open_brief(locked[:300], sandbox=False)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DamagedPDF, match="no such file"):
        open_brief(tmp_path / "nope.pdf")
    with pytest.raises(DamagedPDF, match="folder"):
        open_brief(tmp_path)


@pytest.mark.parametrize("sandbox", [True, False])
def test_flate_bomb_hits_the_stream_limit(bomb_pdf, sandbox):
    with pytest.raises(LimitExceeded) as exc:
        open_brief(bomb_pdf, sandbox=sandbox)
    assert "decompressed size" in str(exc.value) and exc.value.exit_code == 14


def test_many_small_streams_hit_the_total_decompressed_limit():
    """Five content streams of 16 MiB each: every one under the stream cap, together over the total."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    parts = pikepdf.Array()
    for _ in range(5):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(zlib.compress(b" " * (16 * MiB), 1), filter=pikepdf.Name.FlateDecode)
        parts.append(pdf.make_indirect(stream))
    pdf.pages[0].Contents = parts
    out = io.BytesIO()
    pdf.save(out)
    limits = Limits(max_stream_bytes=32 * MiB, max_decompressed_bytes=48 * MiB)
    with pytest.raises(LimitExceeded, match="the streams inflate past 48 MiB"):
        open_brief(out.getvalue(), limits=limits)


def test_flate_bomb_past_the_memory_limit_kills_only_the_child(bomb_pdf):
    """Stream caps raised: the child's address-space limit stops it; this process carries on."""
    limits = Limits(max_stream_bytes=4096 * MiB, max_decompressed_bytes=8192 * MiB, max_memory_bytes=300 * MiB)
    with pytest.raises(LimitExceeded, match="memory"):
        open_brief(bomb_pdf, limits=limits)
    assert open_brief(BriefPDF().paragraph("still alive").build()).text == "still alive"


def test_time_limit():
    pdf = BriefPDF().paragraph("tick").build()
    with pytest.raises(LimitExceeded, match="time"):
        open_brief(pdf, limits=Limits(max_seconds=0.01))


def test_page_limit(simple_pdf):
    pdf = BriefPDF().paragraph("one").page_break().paragraph("two").page_break().paragraph("three").build()
    with pytest.raises(LimitExceeded, match="pages: 3 pages is over 2"):
        open_brief(pdf, limits=Limits(max_pages=2), sandbox=False)
    assert open_brief(pdf, limits=Limits(max_pages=3), sandbox=False).page_count == 3


def test_file_size_limit(simple_pdf, tmp_path):
    path = tmp_path / "brief.pdf"
    path.write_bytes(simple_pdf)
    for source in (path, simple_pdf):
        with pytest.raises(LimitExceeded, match="file size"):
            open_brief(source, limits=Limits(max_file_bytes=1000))


def test_limits_from_environment(monkeypatch, simple_pdf):
    monkeypatch.setenv("BRIEFREEL_MAX_FILE_MB", "0.001")
    with pytest.raises(LimitExceeded, match="file size"):
        open_brief(simple_pdf, sandbox=False)
    monkeypatch.setenv("BRIEFREEL_MAX_FILE_MB", "lots")
    with pytest.raises(ValueError, match="BRIEFREEL_MAX_FILE_MB"):
        Limits.from_env()


def test_scanned_page_has_no_text_layer(monkeypatch):
    # with OCR off (BRIEFREEL_OCR=0, or rapidocr-onnxruntime not installed); tests/test_ocr.py reads it with OCR
    monkeypatch.setenv("BRIEFREEL_OCR", "0")
    pdf = BriefPDF("Scan").scanned_page("CREATIVE BRIEF\nClient: Aurora Coffee\nLength: 30 seconds").build()
    with pytest.raises(NoTextLayer) as exc:
        open_brief(pdf)
    assert exc.value.exit_code == 15


def test_blank_pages_have_no_text_layer():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    with pytest.raises(NoTextLayer):
        open_brief(out.getvalue(), sandbox=False)


def test_fonts_without_unicode_map_are_no_text_layer():
    """CJK subset font with its /ToUnicode removed: pdfminer gives '(cid:N)', PDFium control characters."""
    pdf = BriefPDF("无映射").paragraph("这一段中文的字体没有 Unicode 映射表，提取出来只会是乱码。" * 3).build()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/ToUnicode" in obj:
                del obj["/ToUnicode"]
        out = io.BytesIO()
        doc.save(out)
    with pytest.raises(NoTextLayer, match="cannot be decoded"):
        open_brief(out.getvalue(), sandbox=False)


def test_page_tree_loop_is_damaged():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Pages.Kids.append(pdf.Root.Pages)  # the page tree contains itself
    out = io.BytesIO()
    pdf.save(out)
    with pytest.raises(DamagedPDF):
        open_brief(out.getvalue())


def test_broken_utf16_metadata_does_not_break_the_json():
    from examples.briefpdf import BriefPDF as B

    pdf = B("x").paragraph("Body text here.").build()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Title"] = pikepdf.String(b"\xfe\xff\xd8\x00\x00A")  # an unpaired UTF-16 surrogate
        out = io.BytesIO()
        doc.save(out)
    brief = open_brief(out.getvalue())
    assert brief.metadata["title"].endswith("A")
    brief.metadata["title"].encode("utf-8")
