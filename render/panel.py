"""The CPU panel renderer: a drawn storyboard frame per shot, animated with the shot's camera move.

Read top to bottom:

1. Labels: shot size, angle and move names in English and Chinese.
2. ``camera_path``: the shot's move as a function of time: view centre, zoom, roll and motion blur (and, for moves
   with parallax, a second path for the subject layer).
3. ``_layout`` / ``_draw_*``: the frame the camera looks at: background set (room, street, sea, hills, open ground)
   from the shot's words and angle, and the subject (figures, a product) scaled by shot size. It is drawn once, on
   a canvas big enough for the whole move and sharp at its tightest zoom.
4. ``_overlay``: the fixed labels (shot id, size, angle, move, duration, description) and the dialogue caption.
5. ``Stage.frame(t)``: one video frame: a sub-pixel ``resize(box=...)`` (or an affine transform when the camera
   rolls) of the canvas, the subject layer pasted on top when there is parallax, the overlay pasted last.
6. ``draw_panel``: the still storyboard panel (first frame, labels, red move arrows and the end frame).
7. ``PanelRenderer``: the ``render.base.Renderer`` that pipes those frames into the shared H.264 encoder.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageDraw

try:  # optional: ~3x faster warps; the PIL fallback gives the same frames within a level or two
    import cv2

    cv2.setNumThreads(1)  # shots render in parallel processes; ffmpeg takes the other core
except ImportError:  # pragma: no cover
    cv2 = None

from briefreel.render.base import Clip, RenderSettings, stable_hash
from briefreel.render.fonts import draw_lines, font, line_height, wrap
from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.storyboard.vocabulary import label as term_label

# -- 1. labels ------------------------------------------------------------------------------------------------------

FIELD_LABELS = {
    "en": {"shot": "Shot", "scene": "SC", "dialogue": "", "vo": "VO", "super": "SUPER", "seconds": "s"},
    "zh": {"shot": "镜号", "scene": "场", "dialogue": "", "vo": "旁白", "super": "字幕", "seconds": "秒"},
}


def _lang(board: Storyboard) -> str:
    return "zh" if board.language == "zh" else "en"


def _v(x) -> str:
    return getattr(x, "value", x)


def spec_line(shot: Shot, board: Storyboard) -> str:
    """'MS · Eye level · Push in · 3.0 s' (or 中景 · 平视 · 推 · 3.0秒)."""
    lang = _lang(board)
    sec = FIELD_LABELS[lang]["seconds"]
    dur = f"{shot.duration_s:.1f} {sec}" if lang == "en" else f"{shot.duration_s:.1f}{sec}"
    size_txt = _v(shot.size) if lang == "en" else term_label(shot.size, "zh")
    angle, move = term_label(shot.angle, lang), term_label(shot.movement, lang)
    if lang == "en":
        angle, move = angle[:1].upper() + angle[1:], move[:1].upper() + move[1:]
    return " · ".join([size_txt, angle, move, dur])


def caption_text(shot: Shot, board: Storyboard) -> str:
    """The burned-in caption: dialogue or VO, prefixed with the speaker or 'VO' (empty when silent)."""
    text = (shot.dialogue or "").strip()
    if not text:
        return ""
    lang = _lang(board)
    sep = "：" if lang == "zh" else ": "
    if shot.speaker:
        return f"{shot.speaker}{sep}{text}"
    prefix = FIELD_LABELS[lang].get(shot.dialogue_kind or "dialogue", "")
    return f"{prefix}{sep}{text}" if prefix else text


# -- 2. camera moves ------------------------------------------------------------------------------------------------

SPEED = {"slow": 0.6, "medium": 1.0, "fast": 1.6, None: 1.0}


@dataclass(frozen=True)
class View:
    """Where the camera looks, in output pixels relative to the nominal frame's centre."""

    cx: float = 0.0
    cy: float = 0.0
    z: float = 1.0  # zoom: 1 = the nominal frame, 2 = twice as close
    rot: float = 0.0  # roll, degrees, counter-clockwise
    blur: float = 0.0  # horizontal motion blur length, output pixels


def _ease(t: float) -> float:
    """Ease in and out (a real operator accelerates and settles)."""
    t = min(1.0, max(0.0, t))
    return 0.5 - 0.5 * math.cos(math.pi * t)


@dataclass
class CameraPath:
    """The move: ``view(t)`` for the background, ``subject(t)`` for the subject layer when it moves differently."""

    view: Callable[[float], View]
    subject: Callable[[float], View] | None = None  # None: subject is painted into the background
    still: bool = False  # True: every frame is the same picture

    def views(self, t: float) -> tuple[View, View | None]:
        return self.view(t), (self.subject(t) if self.subject else None)


def camera_path(shot: Shot, w: int, h: int, focus: tuple[float, float], seed: int, duration_s: float) -> CameraPath:
    """The shot's move as views over t in [0, 1]. ``focus`` is the subject's eye line (pushes aim at it)."""
    move = _v(shot.movement)
    m = SPEED.get(shot.movement_speed, 1.0)
    dutch = 8.0 if _v(shot.angle) == "dutch" else 0.0
    fx, fy = focus

    def zoom_about_focus(z: float, rot: float = dutch) -> View:
        # Keep the focus point where it is in frame while zooming.
        return View(fx * (1 - 1 / z), fy * (1 - 1 / z), z, rot)

    if move in ("push_in", "dolly_in", "zoom_in"):
        a = 0.22 * m
        return CameraPath(lambda t: zoom_about_focus(1 + a * _ease(t)))
    if move in ("pull_out", "dolly_out", "zoom_out"):
        a = 0.22 * m
        return CameraPath(lambda t: zoom_about_focus(1 + a * (1 - _ease(t))))
    if move in ("pan", "pan_right", "truck_right", "pan_left", "truck_left"):
        d = 0.28 * w * m * (-1 if move.endswith("left") else 1)
        return CameraPath(lambda t: View(-d / 2 + d * _ease(t), 0.0, 1.0, dutch))
    if move in ("tilt", "tilt_up", "pedestal_up", "crane_up", "tilt_down", "pedestal_down", "crane_down"):
        down = move.endswith("down")
        d = 0.28 * h * m * (1 if down else -1)
        crane = move.startswith("crane")

        def vertical(t: float) -> View:
            e = _ease(t)
            z = (1.0 + 0.1 * (e if down else 1 - e)) if crane else 1.0  # a crane rises and reveals
            return View(0.0, -d / 2 + d * e, z, dutch)

        return CameraPath(vertical)
    if move == "aerial":
        a = 0.15 * m
        return CameraPath(lambda t: View(0.0, 0.06 * h * (1 - 2 * _ease(t)), 1 + a * _ease(t), dutch))
    if move == "follow":
        # The subject keeps its place in frame; the world slides past behind it at a steady pace.
        d = 0.35 * w * m
        return CameraPath(
            lambda t: View(-d / 2 + d * t, 0.0, 1.0, dutch),
            lambda t: View(0.0, 0.0, 1.0, dutch),
        )
    if move == "arc":
        # Orbit: background and subject travel in opposite directions. The parallax is what reads as an arc
        # (a zoom on top would cost a full resample per frame for little).
        d = 0.32 * w * m
        return CameraPath(
            lambda t: View(-d / 2 + d * _ease(t), 0.0, 1.0, dutch),
            lambda t: View(0.12 * w * m * (0.5 - _ease(t)), 0.0, 1.0, dutch),
        )
    if move == "roll":
        r = 14.0 * m
        return CameraPath(lambda t: View(0.0, 0.0, 1.0, dutch + r * _ease(t)))
    if move == "whip_pan":
        d = 1.1 * w * (1 if random.Random(seed).random() < 0.5 else -1)

        def ramp(t: float) -> float:  # hold, whip through the middle third, settle
            return _ease((t - 0.3) / 0.4)

        frames = max(2.0, duration_s * 24)

        def whip(t: float) -> View:
            v = abs(ramp(t + 0.5 / frames) - ramp(t - 0.5 / frames)) * abs(d)  # pixels per frame
            return View(d * ramp(t), 0.0, 1.0, dutch, blur=0.6 * v)  # from the framed subject to the next

        return CameraPath(whip)
    if move == "handheld":
        rng = random.Random(seed)
        ph = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
        amp = 0.006 * w * m

        def shake(t: float) -> View:
            s = t * duration_s
            dx = amp * (0.6 * math.sin(2 * math.pi * 0.7 * s + ph[0]) + 0.4 * math.sin(2 * math.pi * 1.9 * s + ph[1]))
            dy = amp * (0.6 * math.sin(2 * math.pi * 0.9 * s + ph[2]) + 0.4 * math.sin(2 * math.pi * 2.3 * s + ph[3]))
            rot = 0.5 * m * (0.7 * math.sin(2 * math.pi * 0.5 * s + ph[4]) + 0.3 * math.sin(2 * math.pi * 1.3 * s + ph[5]))
            return View(dx, dy, 1.03, dutch + rot)

        return CameraPath(shake)
    if move == "dolly_zoom":
        # Vertigo: the subject holds its size while the background stretches away behind it.
        a = 0.35 * m
        return CameraPath(
            lambda t: View(0.0, 0.0, 1 + a * (1 - _ease(t)), dutch),
            lambda t: View(0.0, 0.0, 1.0, dutch),
        )
    return CameraPath(lambda t: View(0.0, 0.0, 1.0, dutch), still=True)  # static


# -- 3. the drawn frame ---------------------------------------------------------------------------------------------

PAPER = (243, 240, 232)
SKY = (249, 247, 242)
GROUND = (228, 224, 214)
LINE = (92, 92, 98)
FAINT = (188, 186, 182)
FIGURE = (138, 140, 148)
FIGURE_DARK = (58, 58, 64)
PRODUCT = (96, 110, 128)
ACCENT = (208, 62, 58)

SETTING_WORDS = {
    "interior": ("room", "office", "kitchen", "studio", "home", "cafe", "café", "store", "shop", "bar", "lobby",
                 "bedroom", "living", "int.", "indoor", "室内", "房间", "办公", "厨房", "客厅", "咖啡", "店",
                 "卧室", "大厅", "内景"),
    "city": ("city", "street", "urban", "skyline", "downtown", "road", "traffic", "城市", "街", "都市", "楼",
             "马路", "路口"),
    "sea": ("sea", "ocean", "beach", "harbour", "harbor", "coast", "lake", "river", "wave", "海", "港", "沙滩",
            "湖", "江", "河", "浪"),
    "hills": ("mountain", "hill", "forest", "field", "meadow", "valley", "countryside", "山", "森林", "田",
              "草原", "山谷", "乡"),
}


@dataclass
class Layout:
    """What is in the frame, in canvas pixels: frame rect, horizon, subjects; and the focus in output pixels."""

    setting: str
    horizon: float | None  # fraction of frame height; None when looking straight down
    figures: list[tuple[float, float, float]] = field(default_factory=list)  # (x frac, top y frac, body height frac)
    product: tuple[float, float, float] | None = None  # (x frac, bottom y frac, height frac)
    product_in_hand: bool = False  # held by the first figure: no table edge under it
    face_detail: str = ""  # "cu" | "ecu" draws eyes, nose, mouth
    ots: bool = False
    pov: bool = False
    card: str | None = None  # an end card / title card: these words, large, on a plain ground
    focus: tuple[float, float] = (0.0, 0.0)  # relative to frame centre, in output pixels


def _bible_kinds(shot: Shot, board: Storyboard) -> tuple[int, bool]:
    kinds = {b.id: b.kind for b in board.bible}
    people = sum(1 for c in shot.characters if kinds.get(c) == "character")
    product = any(kinds.get(c) == "product" for c in shot.characters)
    return people, product


def _count(text: str, word: str) -> int:
    if word.isascii():  # whole words only ("field" must not match "depth of field"... in a description)
        return len(re.findall(r"(?<![a-z])" + re.escape(word) + r"(?:s|es)?(?![a-z])", text))
    return text.count(word)


# Who is in a shot, from its words. One person (pronouns refer back, so they count once), a group (a number of
# them, or a plural noun), and the body parts that make a close-up a hands-on-object insert rather than a face.
ONE_PERSON = ("he", "she", "her", "his", "him", "man", "woman", "girl", "boy", "person", "guy", "lady", "kid", "child",
              "mother", "father", "mom", "dad", "grandma", "grandpa", "teen", "teenager",
              "女孩", "男孩", "女人", "男人", "女生", "男生", "姑娘", "少女", "少年", "孩子", "妈妈", "爸爸", "老人",
              "她", "他")
GROUP_WORDS = {"friends": 2, "people": 3, "crowd": 3, "family": 3, "couple": 2, "kids": 2, "children": 2,
               "women": 2, "men": 2, "girls": 2, "boys": 2, "colleagues": 2, "team": 3,
               "朋友们": 2, "朋友": 2, "一家人": 3, "家人": 3, "人群": 3, "情侣": 2, "同事": 2, "同学": 2, "众人": 3}
GROUP_PRONOUNS = ("they", "them", "their", "everyone", "他们", "她们", "大家")
FACE_WORDS = ("face", "eyes", "smile", "smiles", "lips", "脸", "眼", "笑", "嘴")
HAND_WORDS = ("hand", "hands", "finger", "fingers", "手")
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5,
            "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
_NUMBERED_EN = re.compile(r"\b(two|three|four|five|[2-5])\s+(?:\w+\s+)?(friends|people|women|men|girls|boys|kids|"
                          r"children|colleagues|teammates|strangers)\b")
_NUMBERED_ZH = re.compile(r"([两二三四五])\s*[个位名]?\s*(朋友|人|女孩|男孩|孩子|同事|同学|伙伴|姑娘)")
PERSON_WORDS = ONE_PERSON + tuple(GROUP_WORDS) + GROUP_PRONOUNS + FACE_WORDS + HAND_WORDS  # kept for callers


def _has(text: str, words) -> bool:
    for w in words:
        if w == "他":  # not 他们 (a group), not 其他 ("other")
            if re.search(r"(?<!其)他(?!们)", text):
                return True
        elif _count(text, w):
            return True
    return False


def _mentions_person(shot: Shot, board: Storyboard) -> bool:
    text = shot.description.lower()
    names = [b.name.lower() for b in board.bible if b.kind == "character" and b.name]
    return _has(text, PERSON_WORDS) or any(n in text for n in names)


def _names_product(shot: Shot, board: Storyboard) -> bool:
    """The description names a product bible entry (its name, its first two words, or a 3-character run of a
    Chinese name: "气泡水" names "山岚白桃气泡水 330毫升罐装")."""
    text = shot.description.lower()
    for b in board.bible:
        if b.kind != "product" or not b.name:
            continue
        name = b.name.lower()
        words = name.split()
        if name in text or (len(words) >= 2 and " ".join(words[:2]) in text):
            return True
        head = words[0] if words else ""
        if not head.isascii() and any(head[i:i + 3] in text for i in range(len(head) - 2)):
            return True
    return False


def people_in(shot: Shot, board: Storyboard) -> int:
    """How many people act in the shot (0..4): named bible characters, person words, groups ("和三个朋友" = 4)."""
    text = shot.description.lower()
    kinds = {b.id: b.kind for b in board.bible}
    named = {c for c in shot.characters if kinds.get(c) == "character"}
    named |= {b.id for b in board.bible if b.kind == "character" and b.name and b.name.lower() in text}
    one = len(named) or (1 if _has(text, ONE_PERSON) else 0)
    m = _NUMBERED_EN.search(text) or _NUMBERED_ZH.search(text)
    if m:
        total = one + _NUMBERS[m.group(1)]
    else:
        group = max((n for w, n in GROUP_WORDS.items() if _count(text, w)), default=0)
        total = one + group
        if _has(text, GROUP_PRONOUNS):
            total = max(total, 2)
    if total == 0 and _has(text, FACE_WORDS + HAND_WORDS):
        total = 1  # "a hand reaches for...", "eyes open": someone is there
    return min(total, 4)


def choose_subject(shot: Shot, board: Storyboard) -> tuple[int, bool]:
    """What a panel draws as its subject: (figures, product). Figures 0 means the object is the subject.

    A person acting is the subject, the product a detail in hand; the product is the subject only in an INSERT or in
    a CU/ECU about the object (nobody in it, or only hands working on it)."""
    size = _v(shot.size)
    people = people_in(shot, board)
    has_product = _bible_kinds(shot, board)[1] or _names_product(shot, board)
    if size == "INSERT":
        return 0, True
    if size in ("CU", "ECU"):
        text = shot.description.lower()
        hands_only = _has(text, HAND_WORDS) and not _has(text, FACE_WORDS)
        if people == 0 or hands_only:  # "Her hands pour beans into a grinder": the beans and grinder
            return 0, True
        return 1, has_product
    return people, has_product


def _setting(shot: Shot, board: Storyboard) -> str:
    """The set the words describe most (scene heading and description; the T2V prompt carries camera jargon)."""
    heading = next((sc.heading for sc in board.scenes if sc.number == shot.scene), "")
    text = f"{heading} {shot.description}".lower()
    wide = _v(shot.size) in ("EWS", "LS", "FS")
    best, score = "", 0.0
    for name, words in SETTING_WORDS.items():
        n = float(sum(_count(text, w) for w in words))
        if name == "interior" and wide:
            n *= 0.6  # a wide shot that names a street and a shop is a street
        if n > score:
            best, score = name, n
    if best:
        return best
    return "interior" if _v(shot.size) in ("MCU", "CU", "ECU", "INSERT", "OTS") else "open"


CARD_WORDS = ("end card", "end slate", "title card", "packshot", "pack shot", "logo", "tagline", "片尾", "标版",
              "落版", "字卡", "口号")
_QUOTED = re.compile(r"[\"“「『]([^\"”」』]{2,80})[\"”」』]")


def _card_text(shot: Shot, board: Storyboard) -> str | None:
    """The words of an end card / title card shot, or None when the shot is not one."""
    desc = shot.description.lower()
    if not any(w in desc for w in CARD_WORDS):
        return None
    if shot.on_screen_text:
        return shot.on_screen_text
    m = _QUOTED.search(shot.description)
    return m.group(1) if m else (board.title or shot.description)


# Body cut per shot size: (body fraction at the frame's bottom edge, headroom as frame fraction).
# Body fractions from the head top: chin .125, shoulders .17, chest .27, waist .42, knees .72, feet 1.
_CUTS = {"FS": (None, 0.1), "MLS": (0.72, 0.08), "MS": (0.42, 0.08), "MCU": (0.28, 0.07), "CU": (0.19, 0.05),
         "POV": (0.5, 0.2), "OTS": (0.3, 0.1)}


def _layout(shot: Shot, board: Storyboard, w: int, h: int, index: int) -> Layout:
    size, angle = _v(shot.size), _v(shot.angle)
    people, has_product = choose_subject(shot, board)
    setting = _setting(shot, board)
    horizon = {"eye_level": 0.42, "high": 0.18, "low": 0.8, "worms_eye": 0.93, "overhead": None,
               "dutch": 0.42}[angle]
    lay = Layout(setting=setting, horizon=horizon)
    card = _card_text(shot, board)
    if card:
        lay.card, lay.horizon = card, None
        return lay
    tall = h > w
    side = 1 if index % 2 == 0 else -1
    third = 0.5 if tall else 0.5 + side * 0.16  # rule of thirds, alternating sides shot to shot
    if _v(shot.movement) in ("push_in", "pull_out", "dolly_in", "dolly_out", "zoom_in", "zoom_out", "dolly_zoom"):
        third = 0.5 + (third - 0.5) * 0.5
    n = max(1, min(4, people)) if size not in ("ECU", "INSERT") else 1
    if people == 0 and (has_product or size in ("CU", "ECU", "INSERT")):  # the object is the subject
        hfrac = {"ECU": 0.9, "CU": 0.72, "INSERT": 0.66, "MCU": 0.58}.get(size, 0.36)
        lay.product = (0.5 if size in ("INSERT", "ECU", "CU") else third, 0.82, hfrac)
        lay.focus = ((lay.product[0] - 0.5) * w, (lay.product[1] - hfrac * 0.55 - 0.5) * h)
        return lay
    if size in ("EWS", "LS") and people == 0 and not has_product:
        # An establishing shot with nobody named: the place is the subject; one tiny figure gives scale.
        body = 0.07 if size == "EWS" else 0.18
        feet = (horizon or 0.5) + (1 - (horizon or 0.5)) * 0.45
        lay.figures = [(third, feet - body, body)]
        lay.focus = ((third - 0.5) * w, (feet - body * 0.9 - 0.5) * h)
        return lay
    if size == "EWS":
        body, top = 0.09, None
    elif size == "LS":
        body, top = 0.3, None
    elif size == "ECU":
        body = (1.8 if not tall else 0.9) / 0.13  # a face almost twice the frame: the eyes fill it
        top = 0.45 - 0.062 * body
    else:
        cut, headroom = _CUTS.get(size, (0.42, 0.08))
        body = (1 - headroom * 2) if cut is None else (1 - headroom) / cut
        top = headroom
    if top is None:
        feet = (horizon or 0.5) + (1 - (horizon or 0.5)) * 0.55
        top = feet - body
    if tall and size not in ("ECU", "CU"):
        body *= 0.9
    # Side by side, a shoulder width apart: figure width ~0.3 body heights, in frame-width units.
    gap = max(0.22 if n < 4 else 0.17, 0.34 * body * h / w)
    span = 0.7 if n < 4 else 0.6
    if n > 1 and gap * (n - 1) > span:  # too tight for the frame (portrait): step back
        body *= span / (gap * (n - 1))
        gap = span / (n - 1)
        top = max(top, 0.08)
    centre = 0.5 + (third - 0.5) * (0.4 if n < 4 else 0.0)  # a group of four fills the frame: keep it centred
    xs = [third] if n == 1 else [centre + (i - (n - 1) / 2) * gap for i in range(n)]
    if size == "OTS":
        lay.ots = True
        xs = [0.5 + 0.18 * side * (-1)]
    lay.figures = [(x, top, body) for x in xs]
    lay.face_detail = "ecu" if size == "ECU" else ("cu" if size in ("CU", "MCU") else "")
    lay.pov = size == "POV"
    if has_product and size in ("MS", "MCU", "CU", "OTS", "POV"):  # a detail at the frame's foot, beside them
        lay.product = (xs[0] - 0.2 * side if not tall else 0.5, 0.97, 0.22)
    elif has_product and size in ("MLS", "FS", "LS"):  # in the first figure's hand, to scale
        hand = 0.125 * body * h / w
        lay.product = (xs[0] - hand * side, top + 0.5 * body, max(0.035, 0.13 * body))
        lay.product_in_hand = True
    eye = top + 0.06 * body
    lay.focus = ((xs[0] - 0.5) * w, (eye - 0.5) * h)
    return lay


def _draw_background(d: ImageDraw.ImageDraw, size: tuple[int, int], F: tuple[float, float, float, float],
                     lay: Layout, rng: random.Random, k: float) -> None:
    W, H = size
    fx, fy, fw, fh = F
    lw = max(1, round(2 * k * fh / 720))
    if lay.card is not None:
        _draw_card(d, size, F, lay.card)
        return
    if lay.horizon is None:  # overhead: a floor seen from above
        d.rectangle((0, 0, W, H), fill=GROUND)
        step = fh / 6
        x = fx - step * math.ceil(fx / step)
        while x < W:
            d.line((x, 0, x, H), fill=FAINT, width=lw)
            x += step
        y = fy - step * math.ceil(fy / step)
        while y < H:
            d.line((0, y, W, y), fill=FAINT, width=lw)
            y += step
        return
    hy = fy + fh * lay.horizon
    vx = fx + fw / 2
    # Sky (or wall) above the horizon, ground below; a soft band of tone under the horizon.
    d.rectangle((0, 0, W, hy), fill=SKY)
    d.rectangle((0, hy, W, H), fill=GROUND)
    if lay.setting == "interior":
        floor = hy + fh * 0.08
        d.rectangle((0, 0, W, floor), fill=(236, 232, 223))
        d.rectangle((0, floor, W, H), fill=GROUND)
        d.line((0, floor, W, floor), fill=LINE, width=lw)
        # A window and a framed picture on the back wall.
        wx = fx + fw * (0.12 if rng.random() < 0.5 else 0.64)
        wy, ww, wh = fy + fh * 0.05, fw * 0.24, min(fh * 0.4, floor - fy - fh * 0.1)
        if wh > 0:
            d.rectangle((wx, wy, wx + ww, wy + wh), fill=SKY, outline=LINE, width=lw)
            d.line((wx + ww / 2, wy, wx + ww / 2, wy + wh), fill=LINE, width=lw)
            d.line((wx, wy + wh / 2, wx + ww, wy + wh / 2), fill=LINE, width=lw)
        px = fx + fw * (0.7 if wx < fx + fw * 0.5 else 0.16)
        if floor - fy > fh * 0.3:
            d.rectangle((px, fy + fh * 0.12, px + fw * 0.1, fy + fh * 0.26), outline=FAINT, width=lw)
        # Floor boards converge on the vanishing point.
        for i in range(-14, 15):
            d.line((vx + i * fw * 0.02, floor, vx + i * fw * 0.22, H), fill=FAINT, width=lw)
        return
    d.line((0, hy, W, hy), fill=LINE, width=lw)
    if lay.setting == "city":
        x = 0.0
        while x < W:
            bw = fw * rng.uniform(0.05, 0.11)
            bh = fh * rng.uniform(0.08, 0.34)
            tone = rng.choice([(214, 212, 208), (200, 199, 196), (222, 220, 215)])
            d.rectangle((x, hy - bh, x + bw, hy), fill=tone, outline=FAINT, width=lw)
            wy = hy - bh + fh * 0.02
            while wy < hy - fh * 0.03:
                for wxp in range(3):
                    cx = x + bw * (0.2 + 0.28 * wxp)
                    d.rectangle((cx, wy, cx + bw * 0.12, wy + fh * 0.012), fill=(238, 236, 230))
                wy += fh * 0.035
            x += bw + fw * rng.uniform(0.0, 0.02)
        for s in (-1, 1):  # kerb lines of a street running to the vanishing point
            d.line((vx + s * fw * 0.03, hy, vx + s * fw * 0.9, H), fill=LINE, width=lw)
        for i in range(1, 7):  # dashed centre line
            y0 = hy + (H - hy) * (i / 7) ** 2
            y1 = hy + (H - hy) * ((i + 0.4) / 7) ** 2
            d.line((vx, y0, vx, y1), fill=FAINT, width=lw * 2)
    elif lay.setting == "sea":
        d.ellipse((fx + fw * 0.72, hy - fh * 0.22, fx + fw * 0.8, hy - fh * 0.22 + fw * 0.08), outline=FAINT,
                  width=lw)
        d.rectangle((0, hy, W, H), fill=(222, 226, 228))
        d.line((0, hy, W, hy), fill=LINE, width=lw)
        for _ in range(int(60 * W / max(fw, 1))):
            x = rng.uniform(0, W)
            y = hy + (H - hy) * rng.random() ** 1.6
            s = fw * 0.01 * (1 + 4 * (y - hy) / max(H - hy, 1))
            d.arc((x, y, x + s * 2, y + s), 200, 340, fill=FAINT, width=lw)
    elif lay.setting == "hills":
        pts = [(0.0, hy)]
        x = 0.0
        while x < W:
            x += fw * rng.uniform(0.08, 0.2)
            pts.append((x, hy - fh * rng.uniform(0.05, 0.22)))
        pts.append((W, hy))
        d.polygon(pts + [(W, hy + 1), (0, hy + 1)], fill=(214, 214, 206), outline=FAINT)
        for _ in range(int(80 * W / max(fw, 1))):
            x = rng.uniform(0, W)
            y = hy + (H - hy) * rng.random()
            s = fh * 0.012 * (1 + 3 * (y - hy) / max(H - hy, 1))
            d.line((x, y, x + s * 0.3, y - s), fill=FAINT, width=lw)
    else:  # open ground: a perspective grid
        for i in range(-12, 13):
            d.line((vx + i * fw * 0.03, hy, vx + i * fw * 0.3, H), fill=FAINT, width=lw)
        for i in range(1, 8):
            y = hy + (H - hy) * (i / 8) ** 2
            d.line((0, y, W, y), fill=FAINT, width=lw)


def _draw_card(d: ImageDraw.ImageDraw, size: tuple[int, int], F, text: str) -> None:
    """An end card: plain warm ground, a logo placeholder and the line, centred."""
    W, H = size
    fx, fy, fw, fh = F
    d.rectangle((0, 0, W, H), fill=(246, 240, 226))
    u = min(fw, fh) / 720
    r = 60 * u
    cx, cy = fx + fw / 2, fy + fh * 0.36
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=LINE, width=max(1, round(3 * u)))
    f_logo = font(round(26 * u))
    d.text((cx - f_logo.getlength("LOGO") / 2, cy - 16 * u), "LOGO", font=f_logo, fill=LINE)
    f = font(round(54 * u))
    lines = wrap(text, f, fw * 0.8, max_lines=3)
    y = fy + fh * 0.55
    draw_lines(d, (fx, y), lines, f, (40, 40, 46), align="center", width=fw, spacing=1.2)


def _draw_figure(d: ImageDraw.ImageDraw, x: float, top: float, hpx: float, frame_h: float, face: str,
                 overhead: bool, dark: bool = False) -> None:
    """A mannequin, head top at (x, top), ``hpx`` tall; body units 0 (head top) .. 1 (feet)."""
    fill = FIGURE_DARK if dark else FIGURE
    out = FIGURE_DARK
    lw = max(1, round(min(hpx, frame_h) * 0.005))

    def P(u: float, v: float) -> tuple[float, float]:
        return (x + u * hpx, top + v * hpx)

    if overhead:  # seen from above: shoulders and a head
        d.ellipse((*P(-0.14, 0.3), *P(0.14, 0.44)), fill=fill, outline=out, width=lw)
        d.ellipse((*P(-0.055, 0.31), *P(0.055, 0.43)), fill=(112, 112, 120), outline=out, width=lw)
        return
    # legs, torso, arms, neck, head (back to front)
    for sgn in (-1, 1):
        d.polygon([P(sgn * 0.012, 0.5), P(sgn * 0.095, 0.5), P(sgn * 0.075, 0.97), P(sgn * 0.03, 0.97)], fill=fill,
                  outline=out, width=lw)
        d.ellipse((*P(sgn * 0.055 - 0.045, 0.955), *P(sgn * 0.055 + 0.045, 1.0)), fill=fill, outline=out, width=lw)
    d.polygon([P(-0.125, 0.17), P(0.125, 0.17), P(0.088, 0.42), P(0.105, 0.52), P(-0.105, 0.52), P(-0.088, 0.42)],
              fill=fill, outline=out, width=lw)
    d.ellipse((*P(-0.13, 0.148), *P(0.13, 0.2)), fill=fill)  # rounded shoulders
    d.arc((*P(-0.13, 0.148), *P(0.13, 0.2)), 180, 360, fill=out, width=lw)
    for sgn in (-1, 1):
        d.polygon([P(sgn * 0.095, 0.17), P(sgn * 0.14, 0.18), P(sgn * 0.142, 0.47), P(sgn * 0.108, 0.47),
                   P(sgn * 0.1, 0.26)], fill=fill, outline=out, width=lw)
        d.ellipse((*P(sgn * 0.125 - 0.024, 0.455), *P(sgn * 0.125 + 0.024, 0.51)), fill=fill, outline=out, width=lw)
    d.rectangle((*P(-0.024, 0.115), *P(0.024, 0.16)), fill=fill)
    d.line((*P(-0.024, 0.118), *P(-0.024, 0.152)), fill=out, width=lw)
    d.line((*P(0.024, 0.118), *P(0.024, 0.152)), fill=out, width=lw)
    d.ellipse((*P(-0.052, 0.0), *P(0.052, 0.13)), fill=(168, 168, 174) if not dark else fill, outline=out,
              width=max(lw, 1))
    if face:
        ew = max(1, round(min(hpx * 0.0035, frame_h * 0.012)))
        for s in (-1, 1):  # eyes, brows
            d.ellipse((*P(s * 0.021 - 0.009, 0.058), *P(s * 0.021 + 0.009, 0.066)), fill=out)
            d.arc((*P(s * 0.021 - 0.014, 0.046), *P(s * 0.021 + 0.014, 0.06)), 200, 340, fill=out, width=ew)
        d.line((*P(0.0, 0.07), *P(-0.006, 0.088)), fill=out, width=ew)  # nose
        d.line((*P(-0.006, 0.088), *P(0.004, 0.089)), fill=out, width=ew)
        d.arc((*P(-0.018, 0.093), *P(0.018, 0.106)), 20, 160, fill=out, width=ew)  # mouth


def _draw_product(d: ImageDraw.ImageDraw, x: float, bottom: float, hpx: float, surface: bool = True) -> None:
    """A bottle on a surface (or held): body, shoulder, neck, cap and a label band."""
    bw = hpx * 0.36
    lw = max(1, round(hpx * 0.008))
    if surface:
        d.line((x - hpx * 0.9, bottom, x + hpx * 0.9, bottom), fill=LINE, width=lw)  # table edge
        d.ellipse((x - bw * 0.7, bottom - hpx * 0.03, x + bw * 0.7, bottom + hpx * 0.03), fill=(200, 198, 192))
    d.rounded_rectangle((x - bw / 2, bottom - hpx * 0.68, x + bw / 2, bottom), radius=bw * 0.12, fill=PRODUCT,
                        outline=FIGURE_DARK, width=lw)
    d.polygon([(x - bw / 2, bottom - hpx * 0.66), (x - bw * 0.16, bottom - hpx * 0.82),
               (x + bw * 0.16, bottom - hpx * 0.82), (x + bw / 2, bottom - hpx * 0.66)], fill=PRODUCT,
              outline=FIGURE_DARK)
    d.rectangle((x - bw * 0.14, bottom - hpx * 0.92, x + bw * 0.14, bottom - hpx * 0.8), fill=PRODUCT,
                outline=FIGURE_DARK, width=lw)
    d.rounded_rectangle((x - bw * 0.17, bottom - hpx, x + bw * 0.17, bottom - hpx * 0.9), radius=bw * 0.04,
                        fill=FIGURE_DARK)
    d.rectangle((x - bw / 2 + lw, bottom - hpx * 0.46, x + bw / 2 - lw, bottom - hpx * 0.22), fill=(236, 234, 228))
    d.line((x - bw * 0.3, bottom - hpx * 0.36, x + bw * 0.3, bottom - hpx * 0.36), fill=ACCENT, width=lw * 2)
    d.line((x + bw * 0.3, bottom - hpx * 0.62, x + bw * 0.3, bottom - hpx * 0.5), fill=(170, 180, 196),
           width=lw * 2)  # highlight


def _draw_subject(d: ImageDraw.ImageDraw, F, lay: Layout) -> None:
    fx, fy, fw, fh = F
    if lay.card is not None:
        return
    k_over = lay.horizon is None
    for i, (xf, topf, body) in enumerate(lay.figures):
        _draw_figure(d, fx + fw * xf, fy + fh * topf, fh * body, fh, lay.face_detail, k_over)
    if lay.ots:  # the foreground shoulder we look over, dark and big
        x = fx + fw * (0.5 + (0.5 - lay.figures[0][0]) * 1.9)
        _draw_figure(d, x, fy + fh * 0.45, fh * 3.2, fh, "", False, dark=True)
    if lay.product:
        xf, bf, hf = lay.product
        _draw_product(d, fx + fw * xf, fy + fh * bf, fh * hf, surface=not lay.product_in_hand)


# -- 4. the fixed overlay: labels and caption ------------------------------------------------------------------------

def _overlay(shot: Shot, board: Storyboard, w: int, h: int, *, desc_lines: int, caption: bool,
             labels: bool = True) -> Image.Image:
    """A label chip at the top left (shot id, scene, specs, description) and the dialogue caption (RGBA)."""
    ov = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(ov)
    u = min(w, h) / 720
    pad = round(12 * u)
    if labels:
        _label_chip(d, shot, board, w, h, desc_lines)
    cap = caption_text(shot, board)
    if caption and cap:
        f_cap = font(round(32 * u))
        lines = wrap(cap, f_cap, w * 0.84, max_lines=3)
        lh = line_height(f_cap, 1.2)
        bottom = h - round(h * 0.07)
        top = bottom - lh * len(lines)
        box_w = max(f_cap.getlength(ln) for ln in lines) + pad * 2
        d.rounded_rectangle(((w - box_w) / 2, top - pad * 0.6, (w + box_w) / 2, bottom + pad * 0.4),
                            radius=pad * 0.6, fill=(0, 0, 0, 120))
        draw_lines(d, (0, top), lines, f_cap, (255, 255, 255), align="center", width=w, spacing=1.2,
                   stroke_width=max(1, round(2 * u)), stroke_fill=(0, 0, 0))
    return ov


def _label_chip(d: ImageDraw.ImageDraw, shot: Shot, board: Storyboard, w: int, h: int, desc_lines: int) -> None:
    u = min(w, h) / 720
    pad = round(12 * u)
    f_id, f_spec, f_desc = font(round(28 * u)), font(round(20 * u)), font(round(18 * u))
    lang = _lang(board)
    spec = f"{FIELD_LABELS[lang]['scene']} {shot.scene}  |  {spec_line(shot, board)}"
    id_w = f_id.getlength(shot.id) + 2 * pad
    id_h = line_height(f_id, 1.0) + pad // 2
    text_x = pad * 2 + id_w
    max_w = (w * (0.62 if w > h else 0.9)) - text_x
    spec_lines = wrap(spec, f_spec, max_w, max_lines=2)
    desc = wrap(shot.description, f_desc, max_w, max_lines=desc_lines) if desc_lines else []
    text_w = max([f_spec.getlength(x) for x in spec_lines] + [f_desc.getlength(x) for x in desc])
    text_h = line_height(f_spec, 1.2) * len(spec_lines) + line_height(f_desc) * len(desc)
    chip = (pad, pad, text_x + text_w + pad, pad + max(id_h, text_h) + pad)
    d.rounded_rectangle(chip, radius=pad * 0.6, fill=(22, 22, 26, 165))
    d.rectangle((pad * 2, pad * 2, pad * 2 + id_w - pad, pad * 2 + id_h - pad // 2), fill=(255, 255, 255, 240))
    d.text((pad * 2.5, pad * 2 - round(2 * u)), shot.id, font=f_id, fill=(20, 20, 24), stroke_width=max(1, round(u)),
           stroke_fill=(20, 20, 24))
    y = draw_lines(d, (text_x + pad // 2, pad * 1.6), spec_lines, f_spec, (255, 255, 255), spacing=1.2)
    draw_lines(d, (text_x + pad // 2, y), desc, f_desc, (222, 222, 228))


# -- 5. the stage: canvas + camera + overlay = frames -----------------------------------------------------------------

def shot_seed(shot: Shot, base_seed: int = 0) -> int:
    """The shot's seed, or one derived from the base seed and the shot id (stable across runs)."""
    if shot.seed is not None:
        return int(shot.seed)
    return int(stable_hash({"base": base_seed, "shot": shot.id})[:8], 16)


class Stage:
    """Everything needed to paint any frame of one shot.

    ``picture(t)`` gives an RGB image (for stills); ``planes(t)`` gives the video frame as yuv420p planes, which
    is what the renderer pipes to the encoder: the canvas is converted to Y/Cb/Cr once, then every frame is three
    8-bit sub-pixel resizes plus the pre-converted overlay tiles.
    """

    MAX_SHARPNESS = 1.5  # canvas pixels per output pixel, at most

    def __init__(self, shot: Shot, board: Storyboard, w: int, h: int, *, seed: int | None = None,
                 index: int | None = None, captions: bool = True, desc_lines: int = 2):
        self.w, self.h = w, h
        self.seed = shot_seed(shot) if seed is None else seed
        if index is None:
            index = next((i for i, s in enumerate(board.shots) if s.id == shot.id), 0)
        self.layout = _layout(shot, board, w, h, index)
        self.path = camera_path(shot, w, h, self.layout.focus, self.seed, shot.duration_s)
        self._build_canvas(shot, board)
        self.overlay = _overlay(shot, board, w, h, desc_lines=desc_lines, caption=captions)
        self._yuv = None
        self._sprite_view = None

    # The canvas covers every view of the move, drawn sharp enough for the tightest one.
    def _build_canvas(self, shot: Shot, board: Storyboard) -> None:
        w, h = self.w, self.h
        xs, ys, zmax = [], [], 1.0
        for i in range(49):
            for v in self.path.views(i / 48):
                if v is None:
                    continue
                zmax = max(zmax, v.z)
                c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
                for px, py in ((-w / 2, -h / 2), (w / 2, -h / 2), (-w / 2, h / 2), (w / 2, h / 2)):
                    qx, qy = px / v.z, py / v.z
                    xs.append(v.cx + c * qx + s * qy)
                    ys.append(v.cy - s * qx + c * qy)
        m = 4.0  # a few pixels of margin for the resampling kernel
        self.minx, self.miny = min(xs + [-w / 2]) - m, min(ys + [-h / 2]) - m
        maxx, maxy = max(xs + [w / 2]) + m, max(ys + [h / 2]) + m
        # Canvas resolution: the geometric mean of the zoom range keeps both ends within sqrt(zmax) of 1:1.
        self.k = k = min(self.MAX_SHARPNESS, math.sqrt(zmax))
        size = (math.ceil((maxx - self.minx) * k), math.ceil((maxy - self.miny) * k))
        size = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        F = ((-w / 2 - self.minx) * k, (-h / 2 - self.miny) * k, w * k, h * k)
        rng = random.Random(self.seed)
        self.canvas = Image.new("RGB", size, PAPER)
        _draw_background(ImageDraw.Draw(self.canvas), size, F, self.layout, rng, k)
        self.subject = None
        if self.path.subject is None:
            _draw_subject(ImageDraw.Draw(self.canvas), F, self.layout)
            if _v(shot.movement) == "whip_pan":  # a whip lands on a second subject, a frame or so away
                dx = (self.path.view(1.0).cx - self.path.view(0.0).cx) * k
                _draw_subject(ImageDraw.Draw(self.canvas), (F[0] + dx, F[1], F[2], F[3]), self.layout)
        else:
            layer = Image.new("RGBA", size, (0, 0, 0, 0))
            _draw_subject(ImageDraw.Draw(layer), F, self.layout)
            bb = layer.getbbox()
            if bb:
                # The sprite keeps a transparent margin so every resampling box stays inside it.
                pad = 16
                x0, y0 = bb[0] - pad - (bb[0] - pad) % 2, bb[1] - pad - (bb[1] - pad) % 2
                x1, y1 = bb[2] + pad, bb[3] + pad
                x1, y1 = x1 + (x1 - x0) % 2, y1 + (y1 - y0) % 2
                self.subject = (x0, y0, layer.crop((x0, y0, x1, y1)))  # canvas offset, RGBA sprite
                self._inner = (x0 + pad, y0 + pad, x1 - pad, y1 - pad)

    # -- geometry: output pixel <-> canvas pixel (s = plane subsampling: 1 for RGB and Y, 2 for chroma) ----------
    def _to_canvas(self, v: View, x: float, y: float) -> tuple[float, float]:
        c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        qx, qy = (x - self.w / 2) / v.z, (y - self.h / 2) / v.z
        return (self.k * (v.cx - self.minx + c * qx + s * qy), self.k * (v.cy - self.miny - s * qx + c * qy))

    def _to_output(self, v: View, X: float, Y: float) -> tuple[float, float]:
        c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        px, py = X / self.k + self.minx - v.cx, Y / self.k + self.miny - v.cy
        qx, qy = c * px - s * py, s * px + c * py
        return (qx * v.z + self.w / 2, qy * v.z + self.h / 2)

    def _warp(self, img: Image.Image, v: View, s: int, rect: tuple[int, int, int, int], origin=(0.0, 0.0)):
        """The part ``rect`` (plane pixels) of the view ``v`` of ``img``, whose top left sits at canvas ``origin``."""
        x0, y0, x1, y1 = rect
        if abs(v.rot) < 1e-3:
            X0, Y0 = self._to_canvas(v, x0 * s, y0 * s)
            X1, Y1 = self._to_canvas(v, x1 * s, y1 * s)
            box = ((X0 - origin[0]) / s, (Y0 - origin[1]) / s, (X1 - origin[0]) / s, (Y1 - origin[1]) / s)
            return img.resize((x1 - x0, y1 - y0), Image.BILINEAR, box=box)
        c, sn = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        a, b, d, e = self.k * c / v.z, self.k * sn / v.z, -self.k * sn / v.z, self.k * c / v.z
        X0, Y0 = self._to_canvas(v, x0 * s, y0 * s)
        data = (a, b, (X0 - origin[0]) / s, d, e, (Y0 - origin[1]) / s)
        return img.transform((x1 - x0, y1 - y0), Image.AFFINE, data, resample=Image.BILINEAR)

    def _subject_rect(self, v: View, s: int) -> tuple[int, int, int, int] | None:
        """Plane pixels covered by the subject sprite under view ``v`` (None when off screen)."""
        ix0, iy0, ix1, iy1 = self._inner
        pts = [self._to_output(v, X, Y) for X in (ix0, ix1) for Y in (iy0, iy1)]
        W, H = self.w // s, self.h // s
        rx0 = max(0, math.floor(min(p[0] for p in pts) / s) - 1)
        ry0 = max(0, math.floor(min(p[1] for p in pts) / s) - 1)
        rx1 = min(W, math.ceil(max(p[0] for p in pts) / s) + 1)
        ry1 = min(H, math.ceil(max(p[1] for p in pts) / s) + 1)
        return (rx0, ry0, rx1, ry1) if rx1 > rx0 and ry1 > ry0 else None

    @staticmethod
    def _blur(img: Image.Image, n: float) -> Image.Image:
        """Horizontal motion blur about ``n`` pixels long: squeeze along x, stretch back."""
        w, h = img.size
        return img.resize((max(8, round(w / n)), h), Image.BILINEAR).resize((w, h), Image.BILINEAR)

    # -- frames ---------------------------------------------------------------------------------------------------
    def picture(self, t: float) -> Image.Image:
        """The camera's picture at ``t`` in [0, 1] as RGB, without labels."""
        v, sv = self.path.views(t)
        frame = self._warp(self.canvas, v, 1, (0, 0, self.w, self.h))
        if sv is not None and self.subject is not None:
            rect = self._subject_rect(sv, 1)
            if rect:
                x0, y0, sprite = self.subject
                part = self._warp(sprite, sv, 1, rect, origin=(x0, y0))
                frame.paste(part, rect[:2], part)
        if v.blur >= 1.5:
            frame = self._blur(frame, min(v.blur, self.w / 8))
        return frame

    def frame(self, t: float) -> Image.Image:
        """The video frame at ``t`` in [0, 1] as RGB: picture, labels and caption."""
        return Image.alpha_composite(self.picture(t).convert("RGBA"), self.overlay).convert("RGB")

    # -- video frames: yuv420p planes painted straight into the encoder's buffer ----------------------------------
    def _matrix(self, v: View, s: int, ox: int = 0, oy: int = 0, origin=(0.0, 0.0)) -> np.ndarray:
        """Inverse map, pixel centre to pixel centre, from a plane's output pixel to its source plane pixel.

        ``s`` is the plane's subsampling (1 for Y, 2 for Cb/Cr), ``(ox, oy)`` the output rect's corner in plane
        pixels and ``origin`` the source image's corner on the canvas (full-resolution pixels).
        """
        k, w, h = self.k, self.w, self.h
        c, sn = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        a, b, d, e = k * c / v.z, k * sn / v.z, -k * sn / v.z, k * c / v.z
        c0 = k * (v.cx - self.minx) - a * w / 2 - b * h / 2  # full-resolution pixel edges
        f0 = k * (v.cy - self.miny) - d * w / 2 - e * h / 2
        return np.array([[a, b, (c0 - origin[0]) / s + a * (ox + 0.5) + b * (oy + 0.5) - 0.5],
                         [d, e, (f0 - origin[1]) / s + d * (ox + 0.5) + e * (oy + 0.5) - 0.5]])

    def _prepare_yuv(self) -> None:
        from briefreel.render.ffmpeg import Overlay420, premultiply, rgb_to_yuv420

        self._canvas420 = [np.ascontiguousarray(np.asarray(p)) for p in rgb_to_yuv420(self.canvas)]
        self._sprite420 = None
        if self.subject is not None:
            _, _, spr = self.subject
            a = spr.getchannel("A")
            planes = rgb_to_yuv420(spr.convert("RGB"))
            alphas = (a, a.reduce(2), a.reduce(2))
            # Premultiplied colour and 255 - alpha per plane: warped as they are, blended with two SIMD passes.
            self._sprite420 = [premultiply(np.asarray(p), np.asarray(al)) for p, al in zip(planes, alphas)]
        self._overlay420 = Overlay420(self.overlay)
        self._yuv = True

    def _subject_tiles(self, sv: View):
        """The subject under its view, per plane: (rect, premultiplied tile, 255 - alpha). Cached while the view
        holds."""
        if self._sprite_view == sv:
            return self._sprite_tiles
        x0, y0, _ = self.subject
        tiles = []
        for i, (pre, inv) in enumerate(self._sprite420):
            s = 1 if i == 0 else 2
            rect = self._subject_rect(sv, s)
            if rect is None:
                tiles.append(None)
                continue
            rw, rh = rect[2] - rect[0], rect[3] - rect[1]
            m = self._matrix(sv, s, rect[0], rect[1], origin=(x0, y0))
            pre_t, inv_t = np.empty((rh, rw), np.uint8), np.empty((rh, rw), np.uint8)
            # The sprite's transparent margin (16 px) is wider than any read past its edge, so repeating the
            # edge is the same as filling with "transparent": the fast translation path applies.
            _warp(pre, m, pre_t, border=None)
            _warp(inv, m, inv_t, border=None)
            tiles.append((rect, pre_t, inv_t))
        self._sprite_view, self._sprite_tiles = sv, tiles
        return tiles

    def paint(self, t: float, frame) -> None:
        """Paint the video frame at ``t`` in [0, 1] into ``frame`` (a ``render.ffmpeg.Frame420``)."""
        from briefreel.render.ffmpeg import blend_into

        if self._yuv is None:
            self._prepare_yuv()
        v, sv = self.path.views(t)
        tiles = self._subject_tiles(sv) if (self._sprite420 is not None and sv is not None) else None
        for i, (src, dst) in enumerate(zip(self._canvas420, frame.planes)):
            s = 1 if i == 0 else 2
            _warp(src, self._matrix(v, s), dst, border=None)
            if tiles and tiles[i]:
                (x0, y0, x1, y1), pre, inv = tiles[i]
                blend_into(dst[y0:y1, x0:x1], pre, inv)
            if v.blur >= 1.5:
                n = max(1, round(min(v.blur, self.w / 8) / s))
                _box_blur_x(dst, n)
        self._overlay420.blend(*frame.planes)

    def planes(self, t: float) -> list[np.ndarray]:
        """The video frame at ``t`` as yuv420p planes [Y, Cb, Cr] (copies)."""
        from briefreel.render.ffmpeg import Frame420

        f = Frame420(self.w, self.h)
        self.paint(t, f)
        return [p.copy() for p in f.planes]

    def frame_bytes(self, frames: int):
        """Yield ``frames`` yuv420p frames spanning the move, each a view of one reused buffer: consume it before
        asking for the next. A still shot is painted once."""
        from briefreel.render.ffmpeg import Frame420

        f = Frame420(self.w, self.h)
        if self.path.still:
            self.paint(0.0, f)
            for _ in range(frames):
                yield f.data()
            return
        for i in range(frames):
            self.paint(i / (frames - 1) if frames > 1 else 0.0, f)
            yield f.data()


def _warp(src: np.ndarray, m: np.ndarray, dst: np.ndarray, border: int | None) -> None:
    """``dst[y, x] = src(m @ [x, y, 1])``, bilinear; border None repeats the edge, a number fills with it.

    OpenCV's warpAffine is ~3x faster than PIL here; PIL's affine transform is the fallback without it.
    """
    h, w = dst.shape
    if cv2 is not None:
        (a, b, c), (d, e, f) = m
        if border is None and a == e == 1.0 and b == d == 0.0:
            # Pure sub-pixel translation (pans, tilts, trucks): ~10x cheaper than a general warp, same pixels.
            cv2.getRectSubPix(src, (w, h), (c + (w - 1) / 2, f + (h - 1) / 2), patch=dst)
            return
        if border is None:
            cv2.warpAffine(src, m, (w, h), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
        else:
            cv2.warpAffine(src, m, (w, h), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        return
    a, b, c, d, e, f = m.ravel()
    data = (a, b, c + 0.5 - 0.5 * (a + b), d, e, f + 0.5 - 0.5 * (d + e))  # PIL maps pixel edges
    out = Image.fromarray(src).transform((w, h), Image.AFFINE, data, resample=Image.BILINEAR,
                                         fillcolor=0 if border is None else border)
    dst[:] = np.asarray(out)


def _box_blur_x(plane: np.ndarray, n: int) -> None:
    """In-place horizontal box blur of length ``n`` (motion blur for whip pans)."""
    if n < 2:
        return
    if cv2 is not None:
        cv2.blur(plane, (n, 1), dst=plane, borderType=cv2.BORDER_REPLICATE)
        return
    img = Image.fromarray(plane)
    w, h = img.size
    plane[:] = np.asarray(img.resize((max(8, round(w / n)), h), Image.BILINEAR).resize((w, h), Image.BILINEAR))


# -- 6. the still panel ----------------------------------------------------------------------------------------------

def _arrow(d: ImageDraw.ImageDraw, p0, p1, width: int, head: float, fill=ACCENT) -> None:
    d.line((*p0, *p1), fill=fill, width=width)
    ang = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
    for s in (-1, 1):
        a = ang + math.pi + s * 0.45
        d.line((*p1, p1[0] + head * math.cos(a), p1[1] + head * math.sin(a)), fill=fill, width=width)


def _dashed_rect(d: ImageDraw.ImageDraw, box, width: int, dash: float, fill=ACCENT) -> None:
    x0, y0, x1, y1 = box
    for (ax, ay), (bx, by) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        n = max(1, int(math.hypot(bx - ax, by - ay) / dash))
        for i in range(0, n, 2):
            t0, t1 = i / n, min(1.0, (i + 1) / n)
            d.line((ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1), fill=fill,
                   width=width)


def _move_marks(d: ImageDraw.ImageDraw, stage: Stage, shot: Shot) -> None:
    """Storyboard notation for the move: red arrows, and the end frame as a dashed box for zooms."""
    w, h = stage.w, stage.h
    u = min(w, h) / 720
    lw, head = max(2, round(4 * u)), 22 * u
    move = _v(shot.movement)
    fam = shot.family
    v0, v1 = stage.path.view(0.0), stage.path.view(1.0)

    def to_out(px: float, py: float, v: View) -> tuple[float, float]:  # scene point -> output pixel under v
        return ((px - v.cx) * v.z + w / 2, (py - v.cy) * v.z + h / 2)

    if fam in ("push", "pull", "aerial") or move == "dolly_zoom":
        # The other end of the move, drawn in the first frame's coordinates.
        end = v1 if fam != "pull" else v1
        x0, y0 = to_out(end.cx - w / (2 * end.z), end.cy - h / (2 * end.z), v0)
        x1, y1 = to_out(end.cx + w / (2 * end.z), end.cy + h / (2 * end.z), v0)
        if end.z < v0.z:  # pulling out: the end frame is bigger than this one; show this one inside it
            s = end.z / v0.z
            cx, cy = w / 2 + (v0.cx - end.cx) * end.z, h / 2 + (v0.cy - end.cy) * end.z
            x0, y0, x1, y1 = cx - w * s / 2, cy - h * s / 2, cx + w * s / 2, cy + h * s / 2
        _dashed_rect(d, (x0, y0, x1, y1), lw, 14 * u)
        inward = fam != "pull" and move != "dolly_zoom"
        for (cx, cy), (ex, ey) in (((0, 0), (x0, y0)), ((w, 0), (x1, y0)), ((0, h), (x0, y1)), ((w, h), (x1, y1))):
            a = (cx + (ex - cx) * 0.25, cy + (ey - cy) * 0.25)
            b = (cx + (ex - cx) * 0.85, cy + (ey - cy) * 0.85)
            _arrow(d, a if inward else b, b if inward else a, lw, head)
    elif fam in ("pan", "truck") or move == "arc":
        dx = v1.cx - v0.cx
        y = h * 0.3
        sgn = 1 if dx >= 0 else -1
        _arrow(d, (w / 2 - sgn * w * 0.3, y), (w / 2 + sgn * w * 0.3, y), lw * (2 if move == "whip_pan" else 1), head)
        if move == "whip_pan":
            for i in range(3):
                yy = y + (i - 1) * 14 * u
                d.line((w / 2 - sgn * w * 0.42, yy, w / 2 - sgn * w * 0.34, yy), fill=ACCENT, width=lw)
        if move == "arc":
            r = w * 0.3
            d.arc((w / 2 - r, h * 0.55, w / 2 + r, h * 0.95), 20, 160, fill=ACCENT, width=lw)
    elif fam in ("tilt", "vertical"):
        dy = v1.cy - v0.cy
        x = w * 0.12 if stage.layout.figures and stage.layout.figures[0][0] > 0.5 else w * 0.88
        sgn = 1 if dy >= 0 else -1
        _arrow(d, (x, h / 2 - sgn * h * 0.25), (x, h / 2 + sgn * h * 0.25), lw, head)
    elif fam == "roll":
        r = min(w, h) * 0.3
        d.arc((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), 200, 320, fill=ACCENT, width=lw)
        a = math.radians(320)
        p = (w / 2 + r * math.cos(a), h / 2 + r * math.sin(a))
        _arrow(d, (p[0] - 20 * u, p[1] - 16 * u), p, lw, head)
    elif fam == "handheld":
        pts = [(w * 0.35 + i * w * 0.3 / 24, h * 0.3 + math.sin(i * 1.3) * 10 * u) for i in range(25)]
        d.line(pts, fill=ACCENT, width=lw)


def _frame_marks(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """Rule-of-thirds guides and crop marks, as on a storyboard template."""
    u = min(w, h) / 720
    g = (255, 255, 255, 80)
    for i in (1, 2):
        for j in range(0, int(h), int(16 * u) or 1):
            d.line((w * i / 3, j, w * i / 3, j + 6 * u), fill=g, width=1)
        for j in range(0, int(w), int(16 * u) or 1):
            d.line((j, h * i / 3, j + 6 * u, h * i / 3), fill=g, width=1)
    m, L, c = 10 * u, 28 * u, (30, 30, 34, 200)
    lw = max(1, round(2 * u))
    for x, sx in ((m, 1), (w - m, -1)):
        for y, sy in ((m, 1), (h - m, -1)):
            d.line((x, y, x + sx * L, y), fill=c, width=lw)
            d.line((x, y, x, y + sy * L), fill=c, width=lw)


def draw_panel(shot: Shot, board: Storyboard, width: int, height: int) -> Image.Image:
    """The storyboard panel for ``shot``: the drawn frame, the move in red, labels and the caption (RGB)."""
    stage = Stage(shot, board, width, height, captions=True, desc_lines=4)
    img = stage.picture(0.0).convert("RGBA")
    marks = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(marks)
    _frame_marks(d, width, height)
    _move_marks(d, stage, shot)
    img = Image.alpha_composite(img, marks)
    img = Image.alpha_composite(img, stage.overlay)
    ImageDraw.Draw(img).rectangle((0, 0, width - 1, height - 1), outline=(30, 30, 34), width=max(1, width // 640))
    return img.convert("RGB")


# -- 7. the renderer -------------------------------------------------------------------------------------------------

def _source_digest() -> str:
    import hashlib

    h = hashlib.sha256()
    for mod in ("panel.py", "fonts.py"):
        h.update((Path(__file__).with_name(mod)).read_bytes())
    return h.hexdigest()[:10]


class PanelRenderer:
    """CPU renderer: drawn panels with the camera move simulated; clips come out conformed and captioned."""

    name = "panel"
    # The drawing code itself is part of the version: any change to it (an upgrade, a local edit) invalidates
    # cached panel clips, so the cache never serves pixels this code would not draw.
    version = "2+" + _source_digest()

    def __init__(self, seed: int | None = None, **_ignored: Any):
        self.base_seed = 0 if seed is None else int(seed)

    def seed_for(self, shot: Shot) -> int:
        return shot_seed(shot, self.base_seed)

    def cache_key(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int) -> dict[str, Any]:
        index = next((i for i, s in enumerate(board.shots) if s.id == shot.id), 0)
        kinds = {b.id: b.kind for b in board.bible}
        heading = next((sc.heading for sc in board.scenes if sc.number == shot.scene), "")
        return {
            "renderer": self.name,
            "version": self.version,
            "shot": shot.model_dump(mode="json", exclude={"prompt", "negative_prompt", "source_page", "transition"}),
            "language": board.language,
            "bible_kinds": {c: kinds.get(c) for c in shot.characters},
            # names matter too: a character or product named in the description changes the subject drawn
            "bible_names": sorted(f"{e.kind}:{e.name}" for e in board.bible if e.kind in ("character", "product")),
            "scene_heading": heading,
            "side": index % 2,  # the subject alternates thirds shot to shot
            "seed": self.seed_for(shot),
            "size": [settings.width, settings.height],
            "fps": settings.fps,
            "frames": frames,
        }

    def render_shot(self, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
                    out_path: Path) -> Clip:
        from briefreel.render.ffmpeg import VideoWriter

        stage = Stage(shot, board, settings.width, settings.height, seed=self.seed_for(shot))
        with VideoWriter(out_path, settings.width, settings.height, settings.fps) as writer:
            for data in stage.frame_bytes(frames):
                writer.write_bytes(data)
        return Clip(path=Path(out_path), frames=frames, fps=settings.fps, width=settings.width,
                    height=settings.height, seed=stage.seed, conformed=True,
                    info={"movement": _v(shot.movement)})
