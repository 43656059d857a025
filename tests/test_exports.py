"""Storyboard exports, read back the way their users read them.

The sheet through poppler's pdftotext, the page in headless Chromium, the timelines through OpenTimelineIO's
own readers, the captions through a small SRT parser, the shot list through the csv module. Clips and the
animatic are real H.264 files made with the bundled ffmpeg.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import opentimelineio as otio
import pytest
from PIL import Image

from briefreel.render.base import FRAME_SIZES, frame_spans
from briefreel.render.exports import EXPORT_FILES, ExportError, write_exports
from briefreel.render.exports.thumbs import ARROW, draw_move
from briefreel.render.exports.timeline import reel_names
from briefreel.render.errors import RenderError
from briefreel.storyboard.schema import Storyboard

FPS = 24
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

EN_SHOTS = [
    dict(id="S01", size="EWS", movement="push_in", duration_s=3.0,
         description="Harbour at dawn, fishing boats drift out through the mist.",
         dialogue="Every morning starts somewhere.", dialogue_kind="vo", speaker="Narrator"),
    dict(id="S02", size="MS", angle="low", movement="pan_right", duration_s=2.5,
         description="Mara laces her running shoes on the pier steps.",
         dialogue="Not today, tide.", dialogue_kind="dialogue", speaker="Mara"),
    dict(id="S03", size="CU", movement="tilt_up", duration_s=1.7,
         description="The sole flexes; new foam catches the light.", on_screen_text="AirFlex 3"),
    dict(id="S04", scene=2, size="FS", angle="high", movement="arc", duration_s=2.3,
         description="She runs along the sea wall as the sun breaks through."),
    dict(id="S05", scene=2, size="MCU", movement="crane_up", duration_s=2.0,
         description="Mara stops, breathing hard, smiling at the open sea.",
         dialogue="Run your own weather. " * 6, dialogue_kind="vo"),
    dict(id="S06", scene=2, size="INSERT", movement="static", duration_s=1.5,
         description="Packshot: the shoe on a wet rock, logo and tagline.",
         dialogue="AirFlex. Run your own weather.", dialogue_kind="super"),
    dict(id="S07", scene=2, size="LS", movement="truck_left", duration_s=2.0,
         description="Closing wide of the harbour, boats returning in warm evening light " + "and more words " * 20),
]

ZH_SHOTS = [
    dict(id="S01", size="EWS", movement="dolly_in", duration_s=3.0,
         description="清晨的江南古镇，薄雾笼罩石桥，一只乌篷船缓缓划过。", dialogue="每一天，都从一杯好茶开始。",
         dialogue_kind="vo"),
    dict(id="S02", size="MS", movement="pan_left", duration_s=2.5, description="茶艺师在木桌前烫杯，手法娴熟。",
         dialogue="水温刚好。", dialogue_kind="dialogue", speaker="茶艺师"),
    dict(id="S03", size="ECU", movement="zoom_in", duration_s=2.0, description="茶叶在水中舒展，嫩绿的芽尖缓缓下沉。"),
    dict(id="S04", size="CU", angle="low", movement="handheld", duration_s=2.2, description="年轻人接过茶杯，露出微笑。",
         dialogue="这就是家的味道。", dialogue_kind="dialogue", speaker="小林"),
    dict(id="S05", size="INSERT", movement="static", duration_s=1.8, description="产品特写：青山绿茶礼盒置于窗边，阳光洒落。",
         dialogue="青山绿茶 · 一杯清澈", dialogue_kind="super"),
]


def _board(shots, **kw) -> Storyboard:
    return Storyboard(shots=shots, **kw)


def _make_clips(board: Storyboard, out: Path) -> tuple[dict[str, Path], Path]:
    """One small H.264 clip per shot, exactly its span, and the animatic joined from them."""
    w, h = (d // 8 for d in FRAME_SIZES[board.aspect_ratio])
    (out / "clips").mkdir(parents=True, exist_ok=True)
    spans = frame_spans([s.duration_s for s in board.shots], FPS)
    clips = {}
    for i, (shot, (a, b)) in enumerate(zip(board.shots, spans)):
        path = out / "clips" / f"{shot.id}.mp4"
        subprocess.run(
            [FFMPEG, "-y", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={FPS}",
             "-frames:v", str(b - a), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)],
            check=True)
        clips[shot.id] = path
    listing = out / "concat.txt"
    listing.write_text("".join(f"file '{clips[s.id].resolve()}'\n" for s in board.shots))
    subprocess.run([FFMPEG, "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(out / "animatic.mp4")], check=True)
    listing.unlink()
    return clips, out / "animatic.mp4"


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    out = tmp_path_factory.mktemp("en")
    board = _board(EN_SHOTS, title="AirFlex 3 — Run Your Own Weather", language="en", aspect_ratio="16:9",
                   scenes=[{"number": 1, "heading": "EXT. HARBOUR - DAWN"}, {"number": 2, "heading": "EXT. SEA WALL"}])
    clips, animatic = _make_clips(board, out)
    paths = write_exports(board, out, clips=clips, animatic=animatic)
    return board, out, paths


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    """A Chinese 9:16 board from shots.json alone: no clips, no animatic (drawn panels)."""
    out = tmp_path_factory.mktemp("zh") / "春日 分镜"  # a Chinese folder name with a space
    board = _board(ZH_SHOTS, title="青山绿茶 · 春日广告分镜", language="zh", aspect_ratio="9:16")
    paths = write_exports(board, out)
    return board, out, paths


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- every file ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["en", "zh"])
def test_every_export_written_and_nothing_left_over(case, request):
    board, out, paths = request.getfixturevalue(case)
    assert [p.name for p in paths] == list(EXPORT_FILES)
    for p in paths:
        assert p.parent == out and p.stat().st_size > 0
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") or p.name.endswith(".part")]
    assert leftovers == []


# -- storyboard.pdf -----------------------------------------------------------------------------------------------

def _pdftotext(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing: run .ci/system-deps.sh (poppler-utils)")
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_sheet_en_has_every_shot(en):
    board, out, _ = en
    text = _pdftotext(out / "storyboard.pdf")
    flat = _flat(text)
    assert "AirFlex 3 — Run Your Own Weather" in text
    for shot in board.shots:
        assert shot.id in text
        words = shot.description.split()[:6]  # the start of every description is printed (long ones are cut)
        assert _flat(" ".join(words)) in flat, shot.id
    assert "Every morning starts somewhere." in text
    assert "Size" in text and "Move" in text and "push in" in text and "pan right" in text
    assert _pages(out / "storyboard.pdf") == 2  # 7 shots, 6 per 16:9 page
    assert "page 1/2" in text and "page 2/2" in text and "total 15 s" in text
    import pikepdf

    with pikepdf.open(out / "storyboard.pdf") as pdf, pdf.open_outline() as outline:
        assert [str(item.title).split()[0] for item in outline.root] == [s.id for s in board.shots]


def test_sheet_zh_has_every_shot_in_chinese(zh):
    board, out, _ = zh
    text = _pdftotext(out / "storyboard.pdf")
    flat = _flat(text)
    assert "青山绿茶" in text and "春日广告分镜" in text
    for shot in board.shots:
        assert shot.id in text
        assert _flat(shot.description) in flat, shot.id
    for label in ("景别", "运镜", "时长", "大远景", "轨道前推", "左摇", "手持", "旁白", "台词"):
        assert label in text, label
    assert "每一天，都从一杯好茶开始。" in flat
    assert _pages(out / "storyboard.pdf") == 2  # 5 shots, 4 per 9:16 page
    assert "第 1/2 页" in text


def test_sheet_embeds_its_fonts(zh):
    _, out, _ = zh
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts missing: run .ci/system-deps.sh (poppler-utils)")
    rows = subprocess.run(["pdffonts", str(out / "storyboard.pdf")], check=True, capture_output=True,
                          text=True).stdout.splitlines()[2:]
    assert rows and all("NotoSansSC" in r and " yes yes yes " in r for r in rows)  # embedded subsets, ToUnicode


def test_sheet_panels_are_pictures(en):
    """The first page, rasterised, has the clip frames on it (testsrc2 is colourful; the paper is white)."""
    _, out, _ = en
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm missing: run .ci/system-deps.sh (poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(out / "storyboard.pdf"),
                    str(out / "page")], check=True)
    png = next(out.glob("page*.png"))
    img = Image.open(png).convert("RGB")
    png.unlink()
    colourful = sum(1 for r, g, b in img.getdata() if max(r, g, b) - min(r, g, b) > 80)
    assert colourful > img.width * img.height * 0.2


# -- storyboard.html ----------------------------------------------------------------------------------------------

def _dom(page: Path, fragment: str = "", tmp: Path | None = None) -> str:
    if CHROMIUM is None:
        pytest.skip("chromium missing: run .ci/system-deps.sh")
    profile = (tmp or page.parent) / f".chromium-{fragment or 'top'}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
           "--virtual-time-budget=8000", "--dump-dom", page.resolve().as_uri() + fragment]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_html_shows_every_shot_and_plays_the_animatic(en, tmp_path):
    board, out, _ = en
    dom = _dom(out / "storyboard.html", tmp=tmp_path)
    ids = re.findall(r'<tr class="shot[^"]*" id="row-([^"]+)"', dom)
    assert ids == [s.id for s in board.shots]
    for shot in board.shots:
        assert shot.description.split(",")[0] in dom
    # The page loaded the animatic beside it: Chromium decoded its metadata.
    duration = float(re.search(r'data-video-duration="([\d.]+)"', dom).group(1))
    assert duration == pytest.approx(board.duration_s, abs=0.1)
    assert 'src="animatic.mp4"' in dom
    assert "Scene 2 · EXT. SEA WALL" in dom
    assert dom.count('src="data:image/jpeg;base64,') >= len(board.shots)
    assert "http://" not in dom and "https://" not in dom  # self-contained: nothing from the network


def test_html_row_seeks_to_the_shot(en, tmp_path):
    board, out, _ = en
    spans = frame_spans([s.duration_s for s in board.shots], FPS)
    dom = _dom(out / "storyboard.html", "#shot-S04", tmp=tmp_path)
    assert re.search(r'data-current-shot="S04"', dom)
    t = float(re.search(r'data-video-time="([\d.]+)"', dom).group(1))
    assert math.floor(t * FPS) == spans[3][0]  # exactly the shot's first frame
    assert re.search(r'<tr class="shot current"[^>]*id="row-S04"', dom)


def test_html_without_animatic_still_shows_the_board(zh, tmp_path):
    board, out, _ = zh
    dom = _dom(out / "storyboard.html", tmp=tmp_path)
    assert re.findall(r'id="row-([^"]+)"', dom) == [s.id for s in board.shots]
    assert "<video" not in dom and "动态分镜尚未渲染" in dom
    for shot in board.shots:
        assert shot.description in dom


# -- timelines ----------------------------------------------------------------------------------------------------

def _expected(board):
    return [(s.id, b - a) for s, (a, b) in zip(board.shots, frame_spans([s.duration_s for s in board.shots], FPS))]


@pytest.mark.parametrize("name", ["timeline.otio", "timeline.xml", "timeline.edl"])
@pytest.mark.parametrize("case", ["en", "zh"])
def test_timelines_agree_with_shots_json(name, case, request):
    board, out, _ = request.getfixturevalue(case)
    tl = otio.adapters.read_from_file(str(out / name), rate=FPS) if name.endswith(".edl") else \
        otio.adapters.read_from_file(str(out / name))
    clips = tl.find_clips()
    expected = _expected(board)
    assert len(clips) == len(expected)
    for clip, (shot_id, frames) in zip(clips, expected):
        assert clip.name.startswith(shot_id) or shot_id in clip.name
        assert clip.source_range.duration.rescaled_to(FPS).value == frames
    assert tl.duration().rescaled_to(FPS).value == sum(f for _, f in expected)


def test_otio_carries_shots_markers_and_media(en):
    board, out, _ = en
    tl = otio.adapters.read_from_file(str(out / "timeline.otio"))
    clips = tl.find_clips()
    for clip, shot in zip(clips, board.shots):
        assert clip.metadata["briefreel"]["description"] == shot.description
        assert clip.media_reference.target_url == f"clips/{shot.id}.mp4"
        assert clip.media_reference.name == f"{shot.id}.mp4"
        assert (out / clip.media_reference.target_url).is_file()
        lines = [m.comment for m in clip.markers]
        if shot.dialogue:
            assert shot.dialogue.strip() in lines
    vo = clips[0].markers[0]
    assert vo.color == otio.schema.MarkerColor.BLUE and vo.name.startswith("S01 VO")
    spans = frame_spans([s.duration_s for s in board.shots], FPS)
    scenes = [(m.name, m.marked_range.start_time.value) for m in tl.tracks.markers]
    assert scenes == [("SC 1 EXT. HARBOUR - DAWN", 0), ("SC 2 EXT. SEA WALL", spans[3][0])]


def test_fcp_xml_has_what_resolve_and_premiere_need(en):
    board, out, _ = en
    root = ET.parse(out / "timeline.xml").getroot()
    seq = root.find("./project/children/sequence")
    assert int(seq.findtext("duration")) == sum(f for _, f in _expected(board))
    sc = seq.find("./media/video/format/samplecharacteristics")
    assert (sc.findtext("width"), sc.findtext("height"), sc.findtext("rate/timebase")) == ("1280", "720", "24")
    items = seq.findall("./media/video/track/clipitem")
    spans = frame_spans([s.duration_s for s in board.shots], FPS)
    for item, shot, (a, b) in zip(items, board.shots, spans):
        assert item.findtext("name").startswith(shot.id)
        for tag in ("masterclipid", "enabled", "duration", "rate/timebase", "start", "end", "in", "out"):
            assert item.findtext(tag), (shot.id, tag)
        assert len(item.findall("rate")) == 1 and len(item.findall("duration")) == 1
        assert (int(item.findtext("start")), int(item.findtext("end"))) == (a, b)
        assert int(item.findtext("out")) - int(item.findtext("in")) == b - a
        f = item.find("file")
        assert f.findtext("pathurl") == "file://localhost" + (out / "clips" / f"{shot.id}.mp4").resolve().as_posix()
        assert f.findtext("name") == f"{shot.id}.mp4"
        assert int(f.findtext("duration")) >= b - a
        vsc = f.find("./media/video/samplecharacteristics")
        assert vsc.findtext("width") == "160" and vsc.findtext("height") == "90"  # the clip's own size
        assert f.find("./media/audio") is None  # silent clips: no phantom audio track
        if shot.dialogue:
            assert item.find("marker").findtext("comment") == shot.dialogue.strip()
        assert item.findtext("logginginfo/description") == shot.description
        assert item.findtext("logginginfo/shottake") == shot.id
    assert (out / "timeline.xml").read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_fcp_xml_paths_in_a_chinese_folder(zh):
    board, out, _ = zh
    root = ET.parse(out / "timeline.xml").getroot()
    urls = [e.text for e in root.iter("pathurl")]
    base = out.resolve().as_posix().replace(" ", "%20")
    assert urls == [f"file://localhost{base}/clips/{s.id}.mp4" for s in board.shots]
    assert "春日%20分镜" in urls[0]  # spaces encoded, Chinese kept as text (Resolve does not decode it)


def test_edl_reels_and_clip_names(en, zh):
    for board, out, _ in (en, zh):
        text = (out / "timeline.edl").read_bytes().decode("ascii")  # plain ASCII for every importer
        events = re.findall(r"^(\d{3})  (\S+)\s+V\s+C\s", text, flags=re.M)
        assert [reel for _, reel in events] == [s.id for s in board.shots]
        for shot in board.shots:
            assert f"* FROM CLIP NAME:  {shot.id} " in text
    assert "S01 VO: EVERY MORNING STARTS SOMEWHERE." in (en[1] / "timeline.edl").read_text()


def test_reel_names_fit_eight_ascii_characters():
    board = _board([dict(id=i, size="MS", duration_s=1, description="x")
                    for i in ("S01", "SHOT-0001-LONG", "镜头1", "镜头2", "S0-1")])
    reels = reel_names(board)
    assert all(len(r) <= 8 and r.isascii() and r.isalnum() for r in reels.values())
    assert len(set(reels.values())) == len(reels)


# -- captions.srt and shots.csv -----------------------------------------------------------------------------------

def _parse_srt(text: str) -> list[tuple[float, float, str]]:
    def secs(tc: str) -> float:
        h, m, rest = tc.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = []
    for n, block in enumerate(text.strip().split("\n\n"), start=1):
        lines = block.split("\n")
        assert lines[0] == str(n)
        m = re.fullmatch(r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})", lines[1])
        assert m, lines[1]
        assert 1 <= len(lines[2:]) <= 2
        cues.append((secs(m.group(1)), secs(m.group(2)), "\n".join(lines[2:])))
    return cues


@pytest.mark.parametrize("case", ["en", "zh"])
def test_captions_are_timed_to_their_shots(case, request):
    board, out, _ = request.getfixturevalue(case)
    raw = (out / "captions.srt").read_bytes()
    cues = _parse_srt(raw.decode("utf-8"))
    spans = frame_spans([s.duration_s for s in board.shots], FPS)
    ends = [c[1] for c in cues]
    assert ends == sorted(ends) and all(a < b for a, b, _ in cues)
    for shot, (a, b) in zip(board.shots, spans):
        line = shot.dialogue.strip() or shot.on_screen_text.strip()
        inside = [c for c in cues if a / FPS - 1e-3 <= c[0] and c[1] <= b / FPS + 1e-3]
        if not line:
            assert not inside
            continue
        assert inside, shot.id
        assert inside[0][0] == pytest.approx(a / FPS, abs=1e-3) and inside[-1][1] == pytest.approx(b / FPS, abs=1e-3)
        assert _flat(line) in _flat("".join(c[2] for c in inside))
    if case == "zh":
        assert "茶艺师：水温刚好。" in raw.decode("utf-8")


@pytest.mark.parametrize("case", ["en", "zh"])
def test_shot_list_csv_opens_in_excel(case, request):
    board, out, _ = request.getfixturevalue(case)
    raw = (out / "shots.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese correctly
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0].keys()) == ["id", "scene", "size", "angle", "movement", "duration_s", "start", "end",
                                    "description", "dialogue", "prompt"]
    assert [r["id"] for r in rows] == [s.id for s in board.shots]
    for r, s in zip(rows, board.shots):
        assert r["description"] == s.description and float(r["duration_s"]) == s.duration_s
    assert rows[0]["start"] == "00:00:00:00" and rows[1]["start"] == "00:00:03:00"
    assert rows[-1]["end"] == rows[-1]["end"] and rows[1]["end"] == "00:00:05:12"


# -- camera-move arrows -------------------------------------------------------------------------------------------

def _arrow_pixels(img: Image.Image, box) -> int:
    return sum(1 for p in img.crop(box).getdata() if abs(p[0] - ARROW[0]) < 40 and abs(p[1] - ARROW[1]) < 40
               and abs(p[2] - ARROW[2]) < 40)


def test_moves_are_drawn_where_they_go():
    base = Image.new("RGB", (320, 180), (90, 110, 130))
    assert list(draw_move(base, "static").getdata()) == list(base.getdata())
    push = draw_move(base, "push_in")
    assert _arrow_pixels(push, (0, 0, 100, 60)) > 30 and _arrow_pixels(push, (220, 120, 320, 180)) > 30
    right = draw_move(base, "pan_right")  # the head (wider than the shaft) is at the right end
    assert _arrow_pixels(right, (244, 0, 252, 180)) > 1.5 * _arrow_pixels(right, (70, 0, 78, 180)) > 0
    up = draw_move(base, "tilt_up")  # the head is at the top
    assert _arrow_pixels(up, (0, 40, 320, 48)) > 1.5 * _arrow_pixels(up, (0, 120, 320, 128)) > 0


# -- failures -----------------------------------------------------------------------------------------------------

def test_a_failed_export_is_typed_and_writes_nothing(tmp_path):
    board = _board(EN_SHOTS[:2], title="Blocked", language="en")
    (tmp_path / "shots.csv").write_text("old list\n", encoding="utf-8")
    (tmp_path / "timeline.xml").mkdir()  # something in the way of one export
    with pytest.raises(ExportError) as err:
        write_exports(board, tmp_path)
    assert isinstance(err.value, RenderError) and err.value.exit_code == 30
    assert "timeline.xml" in err.value.message
    assert (tmp_path / "shots.csv").read_text(encoding="utf-8") == "old list\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots.csv", "timeline.xml"]


def test_unknown_page_size_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="page size"):
        write_exports(_board(EN_SHOTS[:1]), tmp_path, page="A5")


def test_line_labels_do_not_repeat_the_kind():
    from briefreel.render.exports.common import line_kind

    board = _board(EN_SHOTS[:1])
    shot = board.shots[0]
    label = lambda **kw: line_kind(board, shot.model_copy(update=kw))  # noqa: E731
    assert label(dialogue_kind="vo", speaker="VO") == "VO"
    assert label(dialogue_kind="vo", speaker="Narrator") == "VO (Narrator)"
    assert label(dialogue_kind="dialogue", speaker="SFX") == "SFX"
    assert label(dialogue_kind="dialogue", speaker="Mara") == "Dialogue (Mara)"
    zh = _board(ZH_SHOTS[:1], language="zh")
    assert line_kind(zh, zh.shots[0].model_copy(update={"speaker": "旁白"})) == "旁白"
    assert line_kind(zh, zh.shots[0].model_copy(update={"speaker": "（音效"})) == "音效"
