"""What a panel's frame holds and where: the set (room, street, sea, hills, open ground, or an end card), the
subject (figures, a product) placed by shot size on the thirds, and the focus a push aims at.

    lay = layout(shot, board, 1280, 720, index)   # a Layout, in fractions of the nominal frame

Who is in the shot comes from ``storyboard.cast``; this module only frames them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.render.labels import value
from briefreel.storyboard.cast import cast, hands_only
from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.text import count_word

__all__ = ["SETTING_WORDS", "CARD_WORDS", "Layout", "choose_subject", "layout"]

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



def choose_subject(shot: Shot, board: Storyboard) -> tuple[int, bool]:
    """What a panel draws as its subject: (figures, product). Figures 0 means the object is the subject.

    A person acting is the subject, the product a detail in hand; the product is the subject only in an INSERT or in
    a CU/ECU about the object (nobody in it, or only hands working on it)."""
    size = value(shot.size)
    people, has_product = cast(shot, board)
    if size == "INSERT":
        return 0, True
    if size in ("CU", "ECU"):
        if people == 0 or hands_only(shot):  # "Her hands pour beans into a grinder": the beans and grinder
            return 0, True
        return 1, has_product
    return people, has_product


def _setting(shot: Shot, board: Storyboard) -> str:
    """The set the words describe most (scene heading and description; the T2V prompt carries camera jargon)."""
    heading = next((sc.heading for sc in board.scenes if sc.number == shot.scene), "")
    text = f"{heading} {shot.description}".lower()
    wide = value(shot.size) in ("EWS", "LS", "FS")
    best, score = "", 0.0
    for name, words in SETTING_WORDS.items():
        n = float(sum(count_word(text, w) for w in words))
        if name == "interior" and wide:
            n *= 0.6  # a wide shot that names a street and a shop is a street
        if n > score:
            best, score = name, n
    if best:
        return best
    return "interior" if value(shot.size) in ("MCU", "CU", "ECU", "INSERT", "OTS") else "open"



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


def layout(shot: Shot, board: Storyboard, w: int, h: int, index: int) -> Layout:
    size, angle = value(shot.size), value(shot.angle)
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
    if value(shot.movement) in ("push_in", "pull_out", "dolly_in", "dolly_out", "zoom_in", "zoom_out", "dolly_zoom"):
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

