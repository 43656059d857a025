"""OCR fallback (issue 16): image-only, encrypted scans of the bundled briefs give the same shots as the text PDFs.

No mocks: the scans are made here (every page rendered at 150 dpi, tilted, paper-toned, noised, JPEG'd, wrapped as
an image-only PDF and encrypted with AES-256) and read through the sandboxed parse child with the real OCR engine.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytest.importorskip("rapidocr_onnxruntime")

from briefreel.parsers import Limits, NoTextLayer, open_brief  # noqa: E402
from briefreel.parsers.errors import LimitExceeded  # noqa: E402
from briefreel.storyboard import plan  # noqa: E402
from tests.support.scans import images_to_pdf, scan_image, scanned_copy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BRIEFS = {"en": ("brief_en.pdf", "reel-2026"), "zh": ("brief_zh.pdf", "分镜2026")}


@pytest.fixture(scope="module", params=["en", "zh"])
def pair(request):
    name, password = BRIEFS[request.param]
    data = (ROOT / "examples" / name).read_bytes()
    scan = scanned_copy(data, password, encrypt_with=password)
    text = open_brief(data, password, sandbox=False)
    ocr = open_brief(scan, password)  # the sandboxed child: OCR runs under the parse limits
    return request.param, text, ocr


def test_scan_is_image_only_and_encrypted(pair):
    _, _, ocr = pair
    assert ocr.encryption and ocr.encryption["method"].startswith("AES")
    assert all(p.ocr is not None for p in ocr.pages)


def test_scanned_brief_gives_the_same_shots_as_the_text_pdf(pair):
    lang, text, ocr = pair
    want, got = plan(text), plan(ocr)
    assert len(got.shots) == len(want.shots)
    assert [s.size for s in got.shots] == [s.size for s in want.shots]
    assert [s.movement for s in got.shots] == [s.movement for s in want.shots]
    assert [s.duration_s for s in got.shots] == [s.duration_s for s in want.shots]
    assert got.target_duration_s == want.target_duration_s and got.aspect_ratio == want.aspect_ratio


def test_scanned_table_cells_come_back_as_from_the_text_pdf(pair):
    lang, text, ocr = pair
    (p1, t1), = text.tables
    (p2, t2), = ocr.tables
    assert p1 == p2 and len(t1) == len(t2) and [len(r) for r in t1] == [len(r) for r in t2]
    import re

    def norm(c: str) -> str:  # letters and digits: straight and curly quotes, full and half-width marks alike
        return re.sub(r"[\W_]+", "", c).lower()

    same = sum(norm(a) == norm(b) for r1, r2 in zip(t1, t2) for a, b in zip(r1, r2))
    cells = sum(len(r) for r in t1)
    assert same >= 0.85 * cells, (same, cells, t2)
    # the shot-number, size and duration columns exactly
    for r1, r2 in zip(t1[1:], t2[1:]):
        assert (r2[0], r2[1], r2[-1]) == (r1[0], r1[1], r1[-1])


def test_warnings_name_the_ocr_pages_and_mean_confidence(pair):
    _, _, ocr = pair
    line = next(w for w in ocr.warnings if w.startswith("OCR:"))
    assert "pages 1, 2" in line and "mean confidence 0." in line
    assert all(0.8 <= p.ocr <= 1.0 for p in ocr.pages)


def test_deskew_finds_the_tilt():
    import numpy as np

    from briefreel.parsers.ocr import skew_angle
    from tests.support.scans import render_pages

    page = render_pages((ROOT / "examples" / "brief_en.pdf").read_bytes(), "reel-2026", dpi=72)[0]
    for angle in (-3.0, 1.2, 4.5):
        tilted = scan_image(page, angle=angle, noise=6)
        gray = tilted.mean(axis=2).astype(np.uint8)
        assert abs(skew_angle(gray) + angle) <= 0.25


def _text_picture(text: str):
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    import pylopdf_fonts_zh_cn as zh

    img = Image.new("RGB", (1241, 1754), "white")
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(zh.sans_path()), 30)
    for i, line in enumerate(text.splitlines()):
        d.text((120, 150 + 50 * i), line, font=f, fill="black")
    return np.asarray(img)


def test_blank_scan_is_still_no_text_layer():
    import numpy as np

    pdf = images_to_pdf([scan_image(np.full((1754, 1241, 3), 255, np.uint8))])
    with pytest.raises(NoTextLayer, match="OCR found no text") as exc:
        open_brief(pdf, sandbox=False)
    assert exc.value.exit_code == 15


def test_ocr_off_keeps_exit_15(monkeypatch):
    pdf = images_to_pdf([scan_image(_text_picture("CREATIVE BRIEF\nClient: Aurora Coffee"))])
    monkeypatch.setenv("BRIEFREEL_OCR", "0")
    with pytest.raises(NoTextLayer):
        open_brief(pdf, sandbox=False)


def test_sandbox_limits_apply_to_ocr():
    pdf = images_to_pdf([scan_image(_text_picture("CREATIVE BRIEF\nClient: Aurora Coffee\nLength: 30 seconds"))] * 3)
    with pytest.raises(LimitExceeded, match="time"):
        open_brief(pdf, limits=Limits(max_seconds=1.5))
    with pytest.raises(LimitExceeded, match="memory"):
        open_brief(pdf, limits=Limits(max_memory_bytes=300 << 20))


def _two_column_pdf(scanned: bool = False) -> tuple[bytes, list[str]]:
    """A newsletter-style page: a title across, then two columns of numbered paragraphs (left 1-4, right 5-8)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    w, h = A4
    doc = BaseDocTemplate(out, pagesize=A4)
    title = Frame(60, h - 120, w - 120, 60, id="t")
    left = Frame(60, 80, (w - 140) / 2, h - 220, id="l")
    right = Frame(60 + (w - 140) / 2 + 20, 80, (w - 140) / 2, h - 220, id="r")
    doc.addPageTemplates([PageTemplate(frames=[title, left, right])])
    paras = [f"Part {i}. " + "The morning light moves across the kitchen and the kettle begins to sing. " * 2
             for i in range(1, 9)]
    story = [Paragraph("Two column creative brief", styles["Title"]), FrameBreak()]
    for i, p in enumerate(paras):
        story.append(Paragraph(p, styles["BodyText"]))
        if i == 3:
            story.append(FrameBreak())
    doc.build(story)
    return out.getvalue(), [f"Part {i}." for i in range(1, 9)]


def _order(text: str, marks: list[str]) -> list[int]:
    return [text.index(m) for m in marks]


def test_two_column_text_pdf_reads_in_column_order():
    pdf, marks = _two_column_pdf()
    brief = open_brief(pdf, sandbox=False)
    pos = _order(brief.pages[0].text, marks)
    assert pos == sorted(pos), brief.pages[0].text[:600]
    assert brief.pages[0].text.startswith("Two column creative brief")


def test_two_column_scan_reads_in_column_order():
    from tests.support.scans import render_pages

    pdf, marks = _two_column_pdf()
    scan = images_to_pdf([scan_image(p, angle=0.8) for p in render_pages(pdf)])
    brief = open_brief(scan, sandbox=False)
    text = brief.pages[0].text
    pos = _order(text, marks)
    assert pos == sorted(pos), text[:600]
