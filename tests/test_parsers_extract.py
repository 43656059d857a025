"""Extraction: the bundled examples, text in reading order, lines with positions, ruled and unruled tables
(English and Chinese, wrapped cells, continuation rows, tables across pages), metadata."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from examples.briefpdf import LETTER, SCREENPLAY_INDENTS, BriefPDF
from briefreel.parsers import open_brief
from briefreel.parsers.extract import extract_pages

ROOT = Path(__file__).resolve().parent.parent

EN_ROWS = [
    ["Shot", "Size", "Movement", "Description", "Dialogue", "Duration"],
    ["1", "EWS", "Slow push in", "City skyline at dawn, mist lifting off the river while the first trams cross the "
     "bridge.", "VO: Every city has a first light.", "4s"],
    ["2", "MCU", "Static", "Maya pours coffee by the window.", "", "3s"],
    ["3", "CU", "Tilt down", "Her hands wrap around the cup; steam rises past the label and catches the low sun.",
     "MAYA: Finally.", "3s"],
]
ZH_ROWS = [
    ["镜号", "景别", "运镜", "画面内容", "台词", "时长"],
    ["1", "全景", "推", "清晨的山谷，雾气缓缓散开，一瓶矿泉水立在石头上，阳光照在瓶身上，水珠闪闪发亮。", "旁白：每一滴，都来自山里。", "3秒"],
    ["2", "特写", "固定", "水滴落进玻璃杯。", "", "2秒"],
    ["3", "中景", "右摇", "女孩在山路上停下，喝了一口水，回头望向远处的山峰和云海。", "女孩：就是这个味道。", "4秒"],
]


def _brief(rows, ruled, **kw):
    doc = BriefPDF("Table test").heading("Storyboard").paragraph("Context paragraph before the table.")
    doc.table(rows, ruled=ruled, **kw)
    doc.paragraph("A closing paragraph after the table that is long enough to wrap across the whole width of "
                  "the page, so it must not be read as a table row.")
    return open_brief(doc.build(), sandbox=False)


# -- the bundled examples --------------------------------------------------------------------------------------------

def test_example_en():
    brief = open_brief(ROOT / "examples" / "brief_en.pdf", "reel-2026")
    assert brief.filename == "brief_en.pdf" and brief.page_count == 2
    assert brief.encryption["R"] == 6 and brief.encryption["method"] == "AES-256"
    assert brief.metadata["title"] == "Aurora Coffee - First Light - 30s spot"
    assert brief.metadata["created"] == "2026-03-02T09:30:00+00:00"
    for s in ("Client: Aurora Coffee Roasters", "Aspect ratio: 16:9", "Length: 30 seconds", "Start with light."):
        assert s in brief.text
    (page, table), = brief.tables
    assert page == 1
    assert table[0] == ["Shot", "Size", "Camera", "Description", "VO / Dialogue", "Duration"]
    assert [r[0] for r in table[1:]] == [str(i) for i in range(1, 8)]
    assert [r[1] for r in table[1:]] == ["EWS", "MS", "CU", "ECU", "MCU", "WS", "INSERT"]
    assert sum(int(r[5].rstrip("s")) for r in table[1:]) == 30
    assert table[7][5] == "3s" and table[7][3].startswith("End card")
    assert table[1][3] == ("Pre-dawn city skyline in blue light. On the tenth floor of an old brick building, "
                           "one kitchen window lights up.")


def test_example_zh():
    brief = open_brief(ROOT / "examples" / "brief_zh.pdf", "分镜2026")
    assert brief.page_count == 2 and brief.encryption["R"] == 6
    assert brief.metadata["author"] == "青禾创意"
    assert "画幅：9:16 竖屏（1080×1920）" in brief.text and "时长：15秒" in brief.text
    assert "山岚是一家来自浙江的年轻饮料品牌" in brief.text  # CJK with no spaces inserted
    (_, table), = brief.tables
    assert table[0] == ["镜号", "景别", "运镜", "画面内容", "台词", "时长"]
    assert len(table) == 7
    assert [r[2] for r in table[1:]] == ["固定", "推", "跟", "固定", "右摇", "固定"]
    assert sum(int(r[5].rstrip("秒")) for r in table[1:]) == 15
    assert table[1][3] == "冰箱门打开，冷气涌出，一瓶山岚白桃气泡水立在最上层，瓶身挂满细密的水珠。"  # wrapped, joined


# -- tables ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rows", [EN_ROWS, ZH_ROWS], ids=["en", "zh"])
@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_storyboard_table_with_wrapped_cells(rows, ruled):
    brief = _brief(rows, ruled, col_widths=[0.5, 0.7, 1.0, 3.0, 2.0, 0.9])
    assert [t for _, t in brief.tables] == [rows]


def test_unruled_table_without_shot_numbers_header_words_only():
    rows = [["Scene", "Visual", "Audio", "Time"],
            ["Kitchen", "Maya grinds the beans by hand.", "SFX: grinder", "4s"],
            ["Street", "She walks out into the morning.", "VO: Start with light.", "6s"]]
    brief = _brief(rows, ruled=False)
    assert [t for _, t in brief.tables] == [rows]


def test_continuation_rows_merge_into_the_row_above():
    rows = [["Shot", "Size", "Description", "Duration"],
            ["1", "WS", "A harbour at dawn,", "3s"],
            ["", "", "gulls over the boats.", ""],
            ["2", "CU", "Rope on a cleat.", "2s"]]
    for ruled in (True, False):
        (_, table), = _brief(rows, ruled).tables
        assert table == [rows[0], ["1", "WS", "A harbour at dawn, gulls over the boats.", "3s"], rows[3]]


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
@pytest.mark.parametrize("repeat_header", [True, False], ids=["header-repeated", "header-once"])
def test_table_across_pages_comes_back_once(ruled, repeat_header):
    header = ["镜号", "景别", "运镜", "画面内容", "台词", "时长"]
    rows = [header] + [[str(i), "中景", "推", f"第{i}个镜头：女孩沿着海边的栈道慢慢走向灯塔，风吹起她的围巾。", f"旁白：第{i}句。", "2秒"]
                       for i in range(1, 61)]
    doc = BriefPDF("长分镜").heading("分镜表").table(rows, ruled=ruled, repeat_header=repeat_header)
    brief = open_brief(doc.build(), sandbox=False)
    assert brief.page_count >= 3
    (page, table), = brief.tables
    assert page == 1 and table[0] == header
    assert table == rows


def test_no_false_tables_in_prose_and_screenplay():
    doc = BriefPDF("Prose").heading("Story").paragraph(
        "We open on a wide shot of the harbour. Then a close-up of Maya's hands; the camera pushes in slowly. "
        "Cut to the street: the shot size widens and the movement follows her; the duration is about six "
        "seconds, with dialogue from the vendor and a voice-over at the end.")
    assert open_brief(doc.build(), sandbox=False).tables == []


def test_ruled_non_storyboard_table_is_kept_as_is():
    rows = [["Deliverable", "Format", "Due"], ["30s master", "ProRes 422 HQ", "May 2"], ["15s cutdown", "", "May 9"]]
    (_, table), = _brief(rows, ruled=True).tables
    assert table == rows


# -- text, lines, screenplay ------------------------------------------------------------------------------------------

def _screenplay_pdf(pages=1) -> bytes:
    els = []
    for i in range(pages * 4):
        els += [("scene", f"INT. LIGHTHOUSE - NIGHT {i}"),
                ("action", "The lamp turns. Maya climbs the last steps with a thermos under her arm."),
                ("character", "MAYA"), ("parenthetical", "(out of breath)"),
                ("dialogue", "Every night, the same steps."),
                ("transition", "CUT TO:")]
    doc = BriefPDF("Lighthouse", pagesize=LETTER, margins=(72, 72, 72, 72), page_numbers=True)
    return doc.screenplay(els).build()


def test_screenplay_lines_keep_their_indents():
    brief = open_brief(_screenplay_pdf(), sandbox=False)
    lines = brief.pages[0].lines
    x0 = {kind: [ln.x0 for ln in lines if pred(ln.text)] for kind, pred in {
        "scene": lambda t: t.startswith("INT."), "character": lambda t: t == "MAYA",
        "parenthetical": lambda t: t.startswith("("), "dialogue": lambda t: t.startswith("Every night"),
        "transition": lambda t: t == "CUT TO:"}.items()}
    for kind in ("scene", "character", "parenthetical", "dialogue"):
        assert x0[kind] and all(abs(x - SCREENPLAY_INDENTS[kind]) < 1.5 for x in x0[kind]), kind
    assert all(x > SCREENPLAY_INDENTS["character"] for x in x0["transition"])
    assert all(ln.size == 12.0 and not ln.bold for ln in lines)
    assert [ln.top for ln in lines] == sorted(ln.top for ln in lines)
    text = brief.pages[0].text
    assert "INT. LIGHTHOUSE - NIGHT 0\n\nThe lamp turns." in text  # a blank line between paragraphs
    assert "MAYA\n(out of breath)\nEvery night, the same steps." in text


def test_headings_are_larger_and_bold():
    doc = BriefPDF("H").heading("Creative Brief").heading("Background", 2).paragraph("Body text here.")
    lines = open_brief(doc.build(), sandbox=False).pages[0].lines
    h1, h2, body = lines
    assert h1.bold and h2.bold and not body.bold
    assert h1.size > h2.size > body.size == 10.5
    assert h1.text == "Creative Brief" and body.text == "Body text here."


@pytest.mark.parametrize("name", ["screenplay", "brief_en.pdf", "brief_zh.pdf"])
def test_fast_and_pdfplumber_engines_agree(name):
    """PDFium lines must read as pdfplumber's would: same text, tables, sizes, positions within a point."""
    from briefreel.parsers.decrypt import decrypt

    if name == "screenplay":
        data = decrypt(_screenplay_pdf(pages=3)).data
    else:
        password = {"brief_en.pdf": "reel-2026", "brief_zh.pdf": "分镜2026"}[name]
        data = decrypt((ROOT / "examples" / name).read_bytes(), password).data
    fast, slow = extract_pages(data, "auto"), extract_pages(data, "pdfplumber")
    assert [p.text for p in fast] == [p.text for p in slow]
    assert [p.tables for p in fast] == [p.tables for p in slow]
    for a, b in zip(fast, slow):
        assert len(a.lines) == len(b.lines)
        for la, lb in zip(a.lines, b.lines):
            assert la.text == lb.text and la.size == lb.size and la.bold == lb.bold
            assert abs(la.x0 - lb.x0) < 0.6 and abs(la.top - lb.top) < 1.0


def test_unembedded_cid_font_keeps_single_character_cells():
    """PDFium drops lone glyphs of non-embedded STSong-Light; such files are read with pdfplumber only."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    st = ParagraphStyle("s", fontName="STSong-Light", fontSize=10, wordWrap="CJK")
    rows = [["镜号", "景别", "运镜", "画面内容", "时长"], ["1", "全景", "推", "山谷。", "3秒"], ["2", "特写", "摇", "水滴。", "2秒"],
            ["3", "中景", "跟", "女孩。", "2秒"]]
    out = io.BytesIO()
    SimpleDocTemplate(out).build([Paragraph("分镜", st), Table([[Paragraph(c, st) for c in r] for r in rows],
                                                                  style=TableStyle([]))])
    brief = open_brief(out.getvalue(), sandbox=False)
    assert "1 全景 推 山谷。 3秒" in brief.text
    assert [t for _, t in brief.tables] == [rows]


def test_metadata_fields_are_strings():
    doc = BriefPDF("Title Ω", author="Ann", subject="Subj", keywords=["a", "b"], created="2026-01-02T03:04:05+08:00")
    meta = open_brief(doc.paragraph("x y z").build(), sandbox=False).metadata
    assert meta == {"title": "Title Ω", "author": "Ann", "subject": "Subj", "keywords": "a, b",
                    "creator": "briefreel examples", "producer": "briefreel examples (reportlab)",
                    "created": "2026-01-02T03:04:05+08:00", "modified": "2026-01-02T03:04:05+08:00"}


def test_brief_round_trips_through_json():
    from briefreel.parsers import Brief

    brief = open_brief(ROOT / "examples" / "brief_zh.pdf", "分镜2026")
    again = Brief.from_dict(brief.to_dict())
    assert again == brief and again.page_count == 2
    assert re.fullmatch(r"[0-9a-f]{64}", brief.sha256)


def test_title_row_above_the_header_is_dropped():
    rows = [["Storyboard: First Light", "", "", ""], ["Shot", "Size", "Description", "Duration"],
            ["1", "WS", "A harbour at dawn.", "3s"], ["2", "CU", "Rope on a cleat.", "2s"]]
    (_, table), = open_brief(BriefPDF().table(rows).build(), sandbox=False).tables
    assert table == rows[1:]


def test_rotated_pages_read_upright():
    """A page turned in a viewer (/Rotate over upright text) and one drawn sideways that /Rotate turns upright."""
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    turned = BriefPDF().paragraph("Turned page text.").table(
        [["Shot", "Size", "Description"], ["1", "WS", "Harbour"]], ruled=False).build()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.translate(A4[0], 0)
    c.rotate(90)
    c.drawString(60, A4[0] - 60, "Landscape page drawn sideways")
    c.showPage()
    c.save()
    for data, rotate, expected in ((turned, 90, "Turned page text.\n\nShot Size Description\n\n1 WS Harbour"),
                                   (buf.getvalue(), 90, "Landscape page drawn sideways")):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pdf.pages[0].Rotate = rotate
            out = io.BytesIO()
            pdf.save(out)
        assert open_brief(out.getvalue(), sandbox=False).pages[0].text == expected


def test_running_page_numbers_stay_out_of_the_text():
    brief = open_brief(_screenplay_pdf(pages=2), sandbox=False)
    second = brief.pages[1]
    assert second.lines[0].text == "2." and not second.text.startswith("2.")
    assert second.text.split("\n")[0].startswith(("INT.", "The lamp", "MAYA", "(out", "Every", "CUT"))


def test_words_placed_without_space_characters_keep_their_spaces():
    """TeX-style output: every word drawn at its own position, gaps of ~0.25 em, no space characters."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    x = 72
    for word in "This is version 0.21 of the specification.".split():
        c.setFont("Times-Roman", 10)
        c.drawString(x, 700, word)
        x += stringWidth(word, "Times-Roman", 10) + 2.5
    c.showPage()
    c.save()
    from briefreel.parsers.decrypt import decrypt

    data = decrypt(buf.getvalue()).data
    for engine in ("auto", "pdfplumber"):
        assert extract_pages(data, engine)[0].text == "This is version 0.21 of the specification."
