"""What a panel's frame holds and where: the set (room, street, sea, hills, open ground, or an end card), the
subject (figures, a product) placed by shot size on the thirds, and the focus a push aims at.

    lay = layout(shot, board, 1280, 720, index)   # a Layout, in fractions of the nominal frame

Who is in the shot comes from ``storyboard.cast``; this module only frames them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.render import pictograms as P
from briefreel.render.labels import value
from briefreel.storyboard.cast import cast, hands_only
from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.text import count_word

__all__ = ["SETTING_WORDS", "CARD_WORDS", "Layout", "Thing", "choose_subject", "layout", "place_and_light"]

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
    place: str = "open"  # kitchen, street, road, office, beach, night_market, skyline, riverside, park, room, ...
    light: str = "day"  # pre_dawn, golden_hour, night, neon, day: the palette
    poses: list[tuple[str, str]] = field(default_factory=list)  # per figure: (legs, arms)
    things: list["Thing"] = field(default_factory=list)  # the objects the shot names, placed
    product_kind: str = "box"  # the bible product drawn as its kind
    product_colour: tuple[int, int, int] = (96, 110, 128)
    product_mark: tuple[int, int, int] | None = None

    def record(self) -> dict:
        """What was drawn, for render.json: objects, place, light, figures."""
        objects = list(dict.fromkeys(t.key for t in self.things if t.key != "hand"))
        if self.product and self.product_kind not in objects:
            objects.append(self.product_kind)
        return {"objects": objects, "place": self.place, "light": self.light,
                "figures": [{"pose": legs, "action": arms} for legs, arms in self.poses],
                **({"product": self.product_kind} if self.product else {}),
                **({"card": True} if self.card is not None else {})}


@dataclass
class Thing:
    """One named object in the frame: its key (``render.pictograms.OBJECTS``), its box in frame fractions
    (x0, y0, x1, y1), and whether it belongs to the set (background) or moves with the subject."""

    key: str
    box: tuple[float, float, float, float]
    layer: str = "subject"



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


_FAMILY = {"interior": "room", "city": "street", "sea": "sea", "hills": "hills"}


def place_and_light(board: Storyboard, index: int) -> tuple[str, str]:
    """The place and the light of shot ``index``: what its words name, else what the shots before it in the same
    scene named (a kitchen stays a kitchen, pre-dawn stays pre-dawn until the sun breaks), else the board's
    style and tone, else the old set words; the light defaults to day."""
    place = light = None
    scene = None
    base_light = P.light_of(P.clean_words(f"{board.style} {board.tone}", board))
    for s in board.shots[:index + 1]:
        if s.scene != scene:
            scene, place, light = s.scene, None, None
        heading = next((sc.heading for sc in board.scenes if sc.number == s.scene), "")
        text = P.clean_words(f"{heading} {s.description}", board)
        p = P.place_of(text, wide=value(s.size) in ("EWS", "LS", "FS"))
        if p and not _card_text(s, board):
            place = p
        lt = P.light_of(text)
        if lt:
            light = lt
    return (place or "", light or base_light or "day")


CARD_WORDS = ("end card", "end slate", "title card", "packshot", "pack shot", "logo", "tagline", "片尾", "标版",
              "落版", "定版", "字卡", "口号")
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
    """Where everything in the shot's frame goes: set, light, figures and their poses, the product, the objects."""
    lay = _frame(shot, board, w, h, index)
    place, light = place_and_light(board, index)
    own = P.place_of(P.clean_words(shot.description, board), wide=value(shot.size) in ("EWS", "LS", "FS"))
    if not lay.figures and not own and lay.card is None:
        place = "tabletop"  # a close-up of things: the surface they stand on
    lay.place = place or _FAMILY.get(lay.setting, "open")
    lay.setting = lay.place
    lay.light = light
    if lay.card is not None:
        return lay
    products = [b for b in board.bible if b.kind == "product"]
    if products:
        lay.product_kind = P.product_kind(board)
        lay.product_colour = _colour_of(products[0].name or products[0].id)
        lay.product_mark = (236, 122, 40)
    legs, arms = P.pose_of(P.clean_words(shot.description, board))
    lay.poses = ([(legs, arms)] + [(legs if legs in ("sit", "walk", "run", "ride") else "stand",
                                    arms if arms == "raise" else "rest")] * (len(lay.figures) - 1)
                 if lay.figures else [("hands", arms)])
    if lay.ots and lay.poses:
        lay.poses[0] = (lay.poses[0][0], "rest")
    keys = P.objects_in(shot, board)
    if lay.product is not None and not lay.figures and not cast(shot, board)[1] and any(
            P.OBJECTS[k][1] == "prop" for k in keys):
        lay.product = None  # a close-up of the things it names, not of a product it does not name
    if lay.product is not None:
        keys = [k for k in keys if k != lay.product_kind]
    _place_things(lay, shot, keys, w, h, index)
    return lay


_BRAND = [(196, 132, 64), (64, 120, 168), (190, 84, 92), (86, 150, 120), (150, 110, 170), (210, 170, 70)]


def _colour_of(name: str) -> tuple[int, int, int]:
    import hashlib

    return _BRAND[int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % len(_BRAND)]


# Hand positions in body units (x towards the figure's right, y from the head top), per arm pose.
HANDS = {"rest": (0.125, 0.49), "hold": (0.21, 0.4), "pour": (0.24, 0.36), "drink": (0.07, 0.1),
         "raise": (0.19, -0.04)}
_INTERIOR = ("kitchen", "office", "room", "cafe")
_BIG_SIZE = {"tram": (0.42, 0.2), "bus": (0.36, 0.2), "train": (0.5, 0.16), "car": (0.22, 0.11),
             "cyclist": (0.12, 0.14), "bicycle": (0.14, 0.1), "motorbike": (0.14, 0.1), "boat": (0.16, 0.16),
             "shop": (0.22, 0.24), "stall": (0.2, 0.2), "tree": (0.16, 0.36), "fridge": (0.16, 0.5),
             "chair": (0.1, 0.16), "sofa": (0.3, 0.18), "bed": (0.3, 0.16), "umbrella": (0.16, 0.3),
             "blanket": (0.3, 0.06), "lantern": (0.04, 0.1)}


def _place_things(lay: Layout, shot: Shot, keys: list[str], w: int, h: int, index: int) -> None:
    """Put each named object where a storyboard artist would: props in a hand or on the surface, furniture and
    vehicles on the ground away from the subject, the sun in the sky (or in the window indoors)."""
    side = 1 if index % 2 == 0 else -1
    hz = lay.horizon if lay.horizon is not None else 0.5
    wide = value(shot.size) in ("EWS", "LS")
    interior = lay.place in _INTERIOR
    things: list[Thing] = []
    props = [k for k in keys if P.OBJECTS[k][1] == "prop" and k not in ("steam", "bubbles")]
    overlays = [k for k in keys if k in ("steam", "bubbles")]
    big = [k for k in keys if P.OBJECTS[k][1] in ("big", "tree") and k != "window"]
    sky = [k for k in keys if P.OBJECTS[k][1] == "sky"]
    if "window" in keys or (sky and interior):
        if wide and not interior:  # one lit window in a wide view of the city
            x = 0.5 + side * 0.16
            things.append(Thing("window", (x - 0.012, hz - 0.2, x + 0.012, hz - 0.16), "set"))
        else:
            x0 = 0.5 - side * 0.3 - 0.12
            things.append(Thing("window", (x0, 0.06, x0 + 0.24, 0.44), "set"))
    for k in sky:
        win = next((t for t in things if t.key == "window"), None)
        if win is not None and interior or (win is not None and not wide):
            x0, y0, x1, y1 = win.box
            r = (y1 - y0) * 0.3
            cx, cy = (x0 + x1) / 2 + (x1 - x0) * 0.18, y1 - r * 0.6  # low in the window: breaking over the roofs
            things.append(Thing(k, (cx - r * h / w, cy - r, cx + r * h / w, cy + r * 0.6), "set"))
        elif lay.horizon is not None:
            cx = 0.5 - side * 0.3
            r = 0.08
            things.append(Thing(k, (cx - r * h / w, max(0.02, hz - 0.36), cx + r * h / w, max(0.02, hz - 0.36) + 2 * r),
                                "set"))
    if not lay.figures:  # the objects are the subject: a row on the surface, the biggest in the middle
        if not hands_only(shot):
            lay.poses = []
        row = props[:]
        main_h = lay.product[2] if lay.product else {"ECU": 0.8, "CU": 0.66, "INSERT": 0.6}.get(value(shot.size),
                                                                                                  0.4)
        if "steam" in overlays:
            main_h *= 0.75
        bottom = lay.product[1] if lay.product else 0.86
        items = ([("__product__", main_h)] if lay.product else []) + [(k, main_h * (0.78 if lay.product else 0.9))
                                                                      for k in row]
        in_glass = "glass" in row and "peach" in row and "__product__" not in dict(items)  # fruit in a glass
        if in_glass:
            items = [it for it in items if it[0] != "peach"]
        n = len(items)
        widths = [hh * h / w * (0.75 if k not in ("beans", "bread", "bowl") else 1.0) for k, hh in items]
        gap = 0.04
        total = sum(widths) + gap * (n - 1)
        scale = min(1.0, 0.9 / total) if total else 1.0
        x = 0.5 - total * scale / 2
        for (k, hh), wd in zip(items, widths):
            wd, hh = wd * scale, hh * scale
            if k == "__product__":
                lay.product = (x + wd / 2, bottom, hh)
            else:
                things.append(Thing(k, (x, bottom - hh, x + wd, bottom)))
            x += wd + gap * scale
        if in_glass:
            g = next(t.box for t in things if t.key == "glass")
            gw, gh = g[2] - g[0], g[3] - g[1]
            things.append(Thing("peach", (g[0] + gw * 0.25, g[1] + gh * 0.5, g[2] - gw * 0.25, g[3] - gh * 0.08)))
        anchor = next((t.box for t in things if t.key in ("pour_over", "cup", "glass", "kettle")), None)
        if anchor is None and lay.product:
            xf, bf, hf = lay.product
            anchor = (xf - hf * 0.25 * h / w, bf - hf, xf + hf * 0.25 * h / w, bf)
        for k in overlays:
            if anchor is None:
                anchor = (0.35, 0.3, 0.65, 0.8)
            x0, y0, x1, y1 = anchor
            if k == "steam":
                things.append(Thing(k, (x0, max(0.02, y0 - (y1 - y0) * 0.35), x1, y0 - (y1 - y0) * 0.02)))
            else:
                things.append(Thing(k, (x0 + (x1 - x0) * 0.1, y0 + (y1 - y0) * 0.15, x1 - (x1 - x0) * 0.1,
                                        y0 + (y1 - y0) * 0.7)))
        if "fridge" in big:  # the product stands in the open fridge
            big.remove("fridge")
            things.insert(0, Thing("fridge", (0.5 - 0.36 * h / w, 0.02, 0.5 + 0.36 * h / w + 0.1, 0.98), "set"))
        if hands_only(shot) and any(t.layer == "subject" for t in things) or (hands_only(shot) and lay.product):
            lay.poses = [("hands", lay.poses[0][1] if lay.poses else "rest")]
            target = next((t.box for t in things if t.layer == "subject"), None)
            if target is None:
                xf, bf, hf = lay.product
                target = (xf - 0.1, bf - hf, xf + 0.1, bf)
            x0, y0, x1, y1 = target
            hh = min(0.3, (y1 - y0) * 0.5)
            things.append(Thing("hand", (x0 - 0.02, max(0.0, y0 - hh * 0.9), x0 - 0.02 + hh * h / w, y0 + hh * 0.1)))
    else:
        xf, topf, body = lay.figures[0]
        legs, arms = lay.poses[0] if lay.poses else ("stand", "rest")
        if legs == "ride":
            bw, bh = 0.62 * body * h / w, 0.42 * body
            bottom = topf + body
            if bottom - bh * 0.6 > 1.0:  # a close shot: the handlebars and the front of the bike in the frame
                bw, bh = min(bw, 0.7), min(bh, 0.5)
                bottom = 1.06
            things.append(Thing("bicycle", (xf - bw / 2, bottom - bh, xf + bw / 2, bottom),
                                "front" if bottom > 1.0 else "subject"))
            if "bicycle" in big:
                big.remove("bicycle")
        if "blanket" in big and len(lay.figures) >= 1:
            big.remove("blanket")
            xs = [f[0] for f in lay.figures]
            things.insert(0, Thing("blanket", (min(xs) - 0.12, topf + 0.62 * body, max(xs) + 0.12, topf + 1.02 * body),
                                   "set"))
        if arms == "drink" and not props and not lay.product_in_hand:
            props = ["cup"]  # a sip needs something to sip from
        if props and arms != "rest" and not lay.product_in_hand:
            hx, hy = HANDS[arms]
            px, py = xf + hx * body * h / w, topf + hy * body
            ph = min(0.3, max(0.05, 0.12 * body))
            if py > 0.92 or not 0.05 < px < 0.95:  # the hand is out of a close frame: the thing rises into it
                px, py = min(0.88, max(0.12, px)), min(py, 0.92 - ph * 0.25)
            pw = ph * h / w * 0.8
            things.append(Thing(props.pop(0), (px - pw / 2, py - ph * 0.75, px + pw / 2, py + ph * 0.25)))
        for i, k in enumerate(props):
            ph = 0.16 if body > 0.6 else max(0.03, 0.12 * body)
            pw = ph * h / w * 0.8
            if body > 0.6:
                x = xf - side * (0.22 + 0.12 * i)
                bottom = 0.97
            else:
                x = xf + (0.06 + 0.06 * i) * (1 if side > 0 else -1)
                bottom = topf + body
            things.append(Thing(k, (x - pw / 2, bottom - ph, x + pw / 2, bottom)))
        for k in overlays:
            anchor = next((t.box for t in things if t.layer == "subject"), None)
            if anchor is None:
                continue
            x0, y0, x1, y1 = anchor
            things.append(Thing(k, (x0, y0 - (y1 - y0) * 0.5, x1, y0) if k == "steam" else anchor))
    # Furniture and vehicles on the ground, away from the subject; lanterns strung across the top.
    ground = hz + (1 - hz) * (0.3 if not interior else 0.12)
    slot = 0
    for k in big:
        bw, bh = _BIG_SIZE.get(k, (0.16, 0.18))
        if lay.figures and lay.figures[0][2] > 1.2:  # a close shot: what is behind is far, and small
            bw, bh = bw * 0.6, bh * 0.6
        if k == "lantern":
            for j in range(5):
                cx = 0.1 + 0.2 * j
                things.append(Thing(k, (cx - bw / 2, 0.02, cx + bw / 2, 0.02 + bh), "set"))
            continue
        cx = 0.5 - side * (0.36 - 0.15 * slot) if slot < 3 else 0.5 + side * 0.4
        if interior and k == "fridge":
            cx = 0.5 - side * 0.36
        slot += 1
        bottom = min(0.99, ground + bh * 0.15)
        things.append(Thing(k, (cx - bw / 2, bottom - bh, cx + bw / 2, bottom), "set"))
    lay.things = things


def _frame(shot: Shot, board: Storyboard, w: int, h: int, index: int) -> Layout:
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
    if n > 1 and gap * (n - 1) > span:  # too tight for the frame (portrait): step back, feet where they were
        feet = min(top + body, (horizon or 0.5) + (1 - (horizon or 0.5)) * 0.55) if size in ("FS", "LS", "EWS") \
            else None
        body *= span / (gap * (n - 1))
        gap = span / (n - 1)
        top = max(top, 0.08) if feet is None else feet - body
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

