"""What a shot names, as things a storyboard artist would draw: objects, the place, the light, and what people do.

    objects_in(shot, board)   # ["kettle", "cup", ...]: the nouns of the description (EN and ZH), in order
    product_kind(board)       # "bag" | "bottle" | "can" | "box" | "phone" | "car" | "shoe" | ...: the bible product
    place_of(text) / light_of(text) / pose_of(text)
    draw_object(d, key, box, color)  # one object, fitted into box, from the icon font or a few drawn shapes

The icons are Font Awesome Free's solid set (the ``fontawesomefree`` package, its font file ``fa-solid-900.ttf``:
SIL OFL 1.1, which puts no condition on pictures made with the font). A handful of things the set lacks
(kettle, hand grinder, pour-over, fridge, coffee bag, drinks can, trainer, steam, bubbles, beans) are drawn here with
a few shapes. Without the package the objects are drawn as labelled outlines, so the renderer still works.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont

from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.text import count_word

__all__ = ["OBJECTS", "PRODUCT_KINDS", "PLACES", "LIGHTS", "POSES", "objects_in", "clean_words", "product_kind", "product_icon", "place_of",
           "light_of", "pose_of", "LEGS", "ARMS", "strip_names", "draw_object", "icon_font_path", "ICON_SET"]

ICON_SET = "Font Awesome Free 6 (fontawesomefree, fa-solid-900.ttf, SIL OFL 1.1)"

# key: (icon, scale, EN words, ZH words). icon "fa:NAME" is a Font Awesome glyph, "draw:NAME" a shape drawn here.
# scale: "prop" (in a hand or on a table), "big" (furniture, vehicles: on the ground), "sky" (sun, moon), "tree".
OBJECTS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "kettle": ("draw:kettle", "prop", ("kettle",), ("烧水壶", "水壶", "壶")),
    "grinder": ("draw:grinder", "prop", ("grinder",), ("磨豆机", "研磨器")),
    "pour_over": ("draw:pour_over", "prop", ("glass pour-over", "pour-over", "pourover", "dripper", "carafe"), ("手冲壶", "滤杯", "手冲")),
    "beans": ("draw:beans", "prop", ("beans", "bean"), ("咖啡豆",)),
    "cup": ("fa:mug-hot", "prop", ("cup", "mug", "latte", "espresso", "cappuccino"), ("咖啡杯", "马克杯", "茶杯", "杯子")),
    "glass": ("fa:glass-water", "prop", ("glass", "tumbler"), ("玻璃杯", "杯中")),
    "wine_glass": ("fa:wine-glass", "prop", ("wine glass", "wineglass"), ("酒杯", "红酒杯")),
    "bottle": ("draw:bottle", "prop", ("bottle",), ("瓶子", "瓶盖", "瓶身", "一瓶", "瓶")),
    "can": ("draw:can", "prop", (), ("易拉罐", "罐子", "罐")),
    "bag": ("draw:bag", "prop", ("bag", "pouch"), ("包装袋", "袋子", "袋")),
    "box": ("draw:box", "prop", ("box", "carton", "parcel", "package"), ("盒子", "包裹", "盒", "箱子")),
    "phone": ("fa:mobile-screen", "prop", ("phone", "smartphone", "mobile"), ("手机",)),
    "laptop": ("fa:laptop", "prop", ("laptop", "computer"), ("笔记本电脑", "电脑")),
    "book": ("fa:book-open", "prop", ("book", "notebook"), ("书本", "笔记本", "书")),
    "shoe": ("draw:shoe", "prop", ("shoe", "sneaker", "trainer", "boot"), ("球鞋", "跑鞋", "鞋子", "鞋")),
    "headphones": ("fa:headphones", "prop", ("headphones", "earbuds"), ("耳机",)),
    "peach": ("draw:peach", "prop", ("peach",), ("白桃", "桃子", "果肉", "桃")),
    "fruit": ("fa:apple-whole", "prop", ("apple", "fruit"), ("苹果", "水果")),
    "lemon": ("fa:lemon", "prop", ("lemon", "lime"), ("柠檬",)),
    "bread": ("fa:bread-slice", "prop", ("bread", "toast"), ("面包", "吐司")),
    "bowl": ("fa:bowl-food", "prop", ("bowl", "noodles", "soup"), ("面条", "碗", "汤")),
    "food": ("fa:utensils", "prop", ("dinner", "lunch", "breakfast", "meal", "plate"), ("晚餐", "午餐", "早餐", "盘子")),
    "bubbles": ("draw:bubbles", "prop", ("bubbles", "fizz", "sparkle"), ("气泡", "泡泡")),
    "steam": ("draw:steam", "prop", ("steam", "vapour", "vapor", "mist"), ("热气", "蒸汽", "冷气", "雾气")),
    "basket": ("fa:basket-shopping", "prop", ("basket",), ("车筐", "篮子", "篮")),
    "gift": ("fa:gift", "prop", ("gift", "present"), ("礼物", "礼盒")),
    "camera": ("fa:camera-retro", "prop", ("polaroid",), ("相机",)),
    "lantern": ("draw:lantern", "big", ("lantern",), ("灯笼",)),
    "blanket": ("draw:blanket", "big", ("blanket", "picnic"), ("野餐垫", "野餐")),
    "umbrella": ("fa:umbrella-beach", "big", ("umbrella", "parasol"), ("遮阳伞", "伞")),
    "fridge": ("draw:fridge", "big", ("fridge", "refrigerator"), ("冰箱",)),
    "window": ("draw:window", "big", ("window",), ("窗户", "窗台", "窗边", "窗")),
    "chair": ("fa:chair", "big", ("chair", "stool"), ("椅子", "凳子")),
    "sofa": ("fa:couch", "big", ("sofa", "couch"), ("沙发",)),
    "bed": ("fa:bed", "big", ("bed",), ("床",)),
    "bicycle": ("fa:bicycle", "big", ("bicycle", "bike"), ("自行车", "单车")),
    "cyclist": ("fa:person-biking", "big", ("cyclist", "cyclists"), ("骑车人",)),
    "motorbike": ("fa:motorcycle", "big", ("motorbike", "motorcycle", "scooter"), ("摩托车", "电动车")),
    "car": ("fa:car-side", "big", ("car", "suv", "taxi"), ("汽车", "轿车", "出租车")),
    "bus": ("fa:bus", "big", ("bus",), ("公交车", "公交", "巴士")),
    "tram": ("fa:train-tram", "big", ("tram", "streetcar", "trolley"), ("有轨电车", "电车")),
    "train": ("fa:train", "big", ("train", "subway", "metro"), ("火车", "地铁", "列车")),
    "boat": ("fa:sailboat", "big", ("boat", "ferry", "sailboat"), ("船",)),
    "plane": ("fa:plane", "sky", ("plane", "airplane", "aeroplane"), ("飞机",)),
    "shop": ("fa:store", "big", ("shop", "store", "shutters", "storefront", "kiosk"), ("商店", "店铺", "小店", "卷帘门")),
    "stall": ("fa:shop", "big", ("stall", "stand", "vendor"), ("摊位", "小摊", "摊")),
    "tree": ("fa:tree", "tree", ("tree", "forest", "leaves"), ("树叶", "树林", "林荫", "树")),
    "dog": ("fa:dog", "prop", ("dog", "puppy"), ("小狗", "狗")),
    "cat": ("fa:cat", "prop", ("cat", "kitten"), ("小猫", "猫")),
    "ball": ("fa:futbol", "prop", ("ball", "football", "soccer"), ("足球", "球")),
    "guitar": ("fa:guitar", "prop", ("guitar",), ("吉他",)),
    "sun": ("fa:sun", "sky", ("sun", "sunrise", "sunset", "sunlight"), ("太阳", "阳光", "日出", "夕阳", "日落")),
    "moon": ("fa:moon", "sky", ("moon", "moonlight"), ("月亮", "月光")),
}

# Words that hold an object's word but are not the object, removed before matching.
_NOT_OBJECTS_EN = ("sunrise label", "turns to camera", "to camera", "camera", "label", "glass of light", "first light",
                   "can see", "can hear", "can feel")
_NOT_OBJECTS_ZH = ("碰杯", "干杯", "球场")

# "can" is a verb more often than a drink: only after a word that makes it a thing.
_CAN_NOUN = re.compile(r"(?<![a-z])(?:a|the|her|his|their|my|our|its|this|that|one|cold|open|soda|beer|tin|"
                       r"drinks?|fizzy|chilled|frosty|empty)\s+(?:[a-z]+\s+)?cans?(?![a-z])")

PRODUCT_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "bottle": (("bottle", "bottled"), ("瓶",)),
    "can": (("can", "cans", "canned"), ("罐",)),
    "bag": (("bag", "pouch", "bean", "beans", "whole bean", "ground coffee"), ("袋", "咖啡豆")),
    "box": (("box", "boxed", "carton", "pack"), ("盒", "箱")),
    "phone": (("phone", "smartphone"), ("手机",)),
    "car": (("car", "suv", "sedan", "ev", "hatchback"), ("汽车", "轿车", "车型")),
    "shoe": (("shoe", "shoes", "sneaker", "sneakers", "trainer", "trainers", "boot", "boots"), ("鞋",)),
    "cup": (("cup", "mug"), ("杯",)),
    "laptop": (("laptop", "notebook computer"), ("笔记本电脑", "电脑")),
    "headphones": (("headphones", "earbuds"), ("耳机",)),
}
_KIND_ICON = {"bottle": "bottle", "can": "can", "bag": "bag", "box": "box", "phone": "phone", "car": "car",
              "shoe": "shoe", "cup": "cup", "laptop": "laptop", "headphones": "headphones"}

# Places, most specific first; each a kind the background knows how to draw.
PLACES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "night_market": (("night market", "food stalls", "hawker"), ("夜市", "小吃街", "摊位")),
    "kitchen": (("kitchen", "stove", "counter", "countertop", "fridge", "kettle"), ("厨房", "灶台", "冰箱", "料理台")),
    "office": (("office", "desk", "meeting room", "workspace", "coworking"), ("办公室", "办公", "工位", "会议室")),
    "cafe": (("cafe", "café", "coffee shop", "bar counter"), ("咖啡馆", "咖啡店", "店里")),
    "beach": (("beach", "sand", "shore", "seaside"), ("沙滩", "海边", "海滩")),
    "riverside": (("river", "riverside", "riverbank", "lake", "canal"), ("河边", "江边", "湖边", "河畔", "岸边")),
    "park": (("park", "garden", "lawn", "meadow", "grass", "picnic"), ("公园", "草地", "花园", "草坪", "野餐")),
    "skyline": (("skyline", "cityscape", "city at", "city skyline"), ("天际线", "城市全景", "楼群")),
    "street": (("street", "sidewalk", "pavement", "crosswalk", "tram", "downtown", "shop shutters"),
               ("街道", "街头", "街", "马路", "路口", "人行道")),
    "road": (("road", "highway", "avenue", "lane", "motorway", "boulevard"), ("林荫道", "公路", "道路", "路上", "小路")),
    "room": (("room", "bedroom", "living room", "apartment", "home", "studio", "lobby", "indoors", "int."),
             ("房间", "卧室", "客厅", "家里", "室内", "内景")),
    "sea": (("sea", "ocean", "harbour", "harbor", "waves"), ("大海", "海", "港口", "浪")),
    "hills": (("mountain", "hill", "hills", "forest", "field", "valley", "countryside"),
              ("山", "森林", "田野", "山谷", "乡村")),
}

LIGHTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "neon": (("neon", "nightclub", "arcade", "night market"), ("霓虹", "夜市")),
    "pre_dawn": (("pre-dawn", "predawn", "before dawn", "dawn", "blue hour", "blue light", "daybreak"),
                 ("黎明", "凌晨", "拂晓", "天蒙蒙亮", "破晓")),
    "night": (("night", "midnight", "moonlight", "late at night", "after dark"), ("夜晚", "深夜", "晚上", "夜里", "夜")),
    "golden_hour": (("golden hour", "sunset", "sunrise", "sun breaks", "dusk", "evening", "low sun", "warm light"),
                    ("傍晚", "黄昏", "日落", "夕阳", "日出", "晚霞")),
    "day": (("daylight", "noon", "midday", "sunny", "afternoon", "bright"), ("白天", "中午", "午后", "阳光", "正午")),
}

# What people do: the legs (ride, run, sit, walk; else stand) and the arms (drink, raise, pour, hold; else rest).
LEGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ride": (("ride", "riding", "cycle", "cycling", "pedal", "on a bike", "on her bike", "on his bike"), ("骑",)),
    "run": (("run", "running", "jog", "jogging", "sprint", "race"), ("奔跑", "跑")),
    "sit": (("sit", "sitting", "seated", "picnic", "sat"), ("坐", "野餐")),
    "walk": (("walk", "walking", "step", "steps out", "stride", "cross", "wander", "stroll"),
             ("走", "步行", "穿过", "漫步")),
}
ARMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "drink": (("sip", "drink", "drinking", "taste"), ("喝", "饮", "品尝", "抿")),
    "raise": (("raise", "raising", "toast", "cheers", "lift", "holds up"), ("举起", "举杯", "碰杯", "举")),
    "pour": (("pour", "pouring", "fill", "filling", "grind", "stir", "open", "twist", "unscrew"),
             ("倒", "拧开", "打开", "冲", "搅")),
    "hold": (("hold", "holding", "in hand", "carry", "carrying", "grab", "picks up"), ("拿", "握", "手持", "端")),
}
POSES = {**LEGS, **ARMS}


def _lower(text: str) -> str:
    return text.lower()


def _find(text: str, en: tuple[str, ...], zh: tuple[str, ...]) -> int:
    """Position of the first of ``en`` (whole words, plurals) or ``zh`` in lower-case ``text``; -1 when none."""
    best = -1
    for w in en:
        m = re.search(r"(?<![a-z])" + re.escape(w) + r"(?:s|es)?(?![a-z])", text)
        if m and (best < 0 or m.start() < best):
            best = m.start()
    for w in zh:
        i = text.find(w)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


def strip_names(text: str, board: Storyboard) -> str:
    """``text`` (lower case) with the bible's product names (and their runs: 气泡水 of 山岚白桃气泡水) and
    character names blanked: "First Light Morning Blend" is no light, 白桃气泡水 no peach."""
    for b in board.bible:
        if not b.name:
            continue
        name = b.name.lower()
        parts = [name] + name.split()
        words = name.split()
        if len(words) >= 2:
            parts.append(" ".join(words[:2]))
        head = words[0] if words else ""
        if head and not head.isascii():  # every run of 3 of a Chinese name, and its first two (the brand: 山岚)
            parts += [head[i:j] for i in range(len(head)) for j in range(len(head), i + 2, -1)] + [head[:2]]
        for p in sorted(set(parts), key=len, reverse=True):
            if len(p) >= 3 or (p and not p.isascii() and len(p) >= 2):
                text = text.replace(p, " " * len(p))
    return text


def _matches(text: str, table) -> list[tuple[int, str]]:
    """(position, key) of every key in ``table`` (key: (en words, zh words, ...)) found in ``text``. The longest
    term claims its characters first, so 玻璃杯 is a glass and not also a cup, "wine glass" not also a glass."""
    found: dict[str, int] = {}
    terms = sorted(((w, k) for k, v in table.items() for w in (*v[0], *v[1])), key=lambda x: -len(x[0]))
    t = text
    for w, k in terms:
        pat = (re.compile(r"(?<![a-z])(?<![a-z]-)" + re.escape(w) + r"(?:s|es)?(?![a-z])(?!-[a-z])") if w.isascii()
               else re.compile(re.escape(w)))
        for m in list(pat.finditer(t)):
            found[k] = min(found.get(k, m.start()), m.start())
        t = pat.sub(lambda m: "\0" * len(m.group(0)), t)
    return sorted((i, k) for k, i in found.items())


def clean_words(text: str, board: Storyboard) -> str:
    """Lower-case ``text`` without the bible's names and the phrases that hold a word but not its thing
    ("the sunrise label" is no sunrise, 碰杯 no cup)."""
    text = strip_names(_lower(text), board)
    for w in _NOT_OBJECTS_EN + _NOT_OBJECTS_ZH:
        text = text.replace(w, " " * len(w))
    return text


def objects_in(shot: Shot, board: Storyboard) -> list[str]:
    """The objects the description names, in the order it names them (EN and ZH nouns; no product names)."""
    text = clean_words(shot.description, board)
    keys = [k for _, k in _matches(text, {k: (v[2], v[3]) for k, v in OBJECTS.items()})]
    if _CAN_NOUN.search(text):
        keys.append("can")
    if "cyclist" in keys and "bicycle" in keys:
        keys.remove("bicycle")
    return list(dict.fromkeys(keys))


@lru_cache(maxsize=64)
def _kind_of(text: str) -> str | None:
    hits = []
    for kind, (en, zh) in PRODUCT_KINDS.items():
        i = _find(text, en, zh)
        if i >= 0:
            hits.append((i, kind))
    return min(hits)[1] if hits else None


def product_kind(board: Storyboard) -> str:
    """What the bible's product is, drawn as: the form its shots name most (一瓶 → bottle), else the first form its
    name and description name (340 g whole bean → bag), else a box."""
    products = [b for b in board.bible if b.kind == "product"]
    if not products:
        return "box"
    counts: dict[str, int] = {}
    for s in board.shots:
        text = _lower(s.description)
        if not _CAN_NOUN.search(text):
            text = re.sub(r"(?<![a-z])cans?(?![a-z])", " ", text)
        for kind, (en, zh) in PRODUCT_KINDS.items():
            if _find(text, en, zh) >= 0:
                counts[kind] = counts.get(kind, 0) + 1
    if counts:
        return max(counts, key=lambda k: (counts[k], -list(PRODUCT_KINDS).index(k)))
    p = products[0]
    return _kind_of(_lower(f"{p.name} {p.description}")) or "box"


def product_icon(kind: str) -> str:
    return _KIND_ICON.get(kind, "box")


def _first_of(text: str, table) -> str | None:
    hits = _matches(text, table)
    if not hits:
        return None
    # The most specific kind named wins (the table's order), not the first word.
    order = list(table)
    return min((order.index(k), k) for _, k in hits)[1]


def place_of(text: str, wide: bool = False) -> str | None:
    """The kind of place the (lower-case) words name, or None. A wide shot that names a skyline and a kitchen
    window is the skyline."""
    hits = [k for _, k in _matches(text, PLACES)]
    if not hits:
        return None
    if wide:
        for k in ("skyline", "street", "road", "beach", "riverside", "park", "sea", "hills", "night_market"):
            if k in hits:
                return k
    order = list(PLACES)
    return min(hits, key=order.index)


def light_of(text: str) -> str | None:
    return _first_of(text, LIGHTS)


def pose_of(text: str) -> tuple[str, str]:
    """What a figure does, from the verbs: (legs, arms), e.g. ("sit", "raise"), ("walk", "hold"), ("stand", "rest")."""
    def first(table, default):
        hits = _matches(text, table)
        return min(hits)[1] if hits else default
    return first(LEGS, "stand"), first(ARMS, "rest")


# -- drawing ----------------------------------------------------------------------------------------------------------

def icon_font_path() -> Path | None:
    try:
        import fontawesomefree
    except ImportError:
        return None
    p = Path(fontawesomefree.__file__).parent / "static" / "fontawesomefree" / "webfonts" / "fa-solid-900.ttf"
    return p if p.is_file() else None


@lru_cache(maxsize=1)
def _codepoints() -> dict[str, int]:
    p = icon_font_path()
    if p is None:
        return {}
    meta = p.parents[1] / "metadata" / "icons.json"
    data = json.loads(meta.read_text(encoding="utf-8"))
    return {name: int(v["unicode"], 16) for name, v in data.items() if "solid" in v.get("free", [])}


@lru_cache(maxsize=256)
def _icon_font(size: int) -> ImageFont.FreeTypeFont | None:
    p = icon_font_path()
    return ImageFont.truetype(str(p), size) if p else None


def _shade(c, f: float):
    return tuple(max(0, min(255, round(v * f))) for v in c[:3])


def draw_object(d: ImageDraw.ImageDraw, key: str, box: tuple[float, float, float, float], color,
                outline=(40, 40, 46), *, mark=None, flip: bool = False) -> None:
    """Draw object ``key`` (an OBJECTS key or a product kind) fitted into ``box`` (x0, y0, x1, y1), bottom-centred."""
    icon = OBJECTS[key][0] if key in OBJECTS else f"draw:{key}"
    x0, y0, x1, y1 = box
    if icon.startswith("draw:") and icon[5:] in _SHAPES:
        _SHAPES[icon[5:]](d, box, color, outline, mark)
        return
    name = icon[3:] if icon.startswith("fa:") else icon[5:]
    code = _codepoints().get(name)
    h = y1 - y0
    f = _icon_font(max(4, round(h))) if code else None
    if f is None:  # no icon font: a labelled outline keeps the panel honest
        d.rectangle(box, outline=outline, width=max(1, round(h / 30)))
        return
    ch = chr(code)
    bx0, by0, bx1, by1 = f.getbbox(ch)
    gw, gh = bx1 - bx0, by1 - by0
    s = min((x1 - x0) / max(gw, 1), h / max(gh, 1))
    if s < 0.98:
        f = _icon_font(max(4, round(h * s)))
        bx0, by0, bx1, by1 = f.getbbox(ch)
        gw, gh = bx1 - bx0, by1 - by0
    cx = (x0 + x1) / 2
    d.text((cx - gw / 2 - bx0, y1 - gh - by0), ch, font=f, fill=color)


def _lw(box) -> int:
    return max(1, round((box[3] - box[1]) / 40))


def _kettle(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    bx0, bx1 = x0 + w * 0.2, x1 - w * 0.15
    d.polygon([(bx0 + w * 0.08, y0 + h * 0.3), (bx1 - w * 0.08, y0 + h * 0.3), (bx1, y1), (bx0, y1)], fill=c,
              outline=o, width=lw)
    d.polygon([(bx0 + w * 0.1, y0 + h * 0.55), (x0, y0 + h * 0.28), (x0 + w * 0.06, y0 + h * 0.24),
               (bx0 + w * 0.14, y0 + h * 0.45)], fill=c, outline=o)  # spout
    d.arc((bx0 + w * 0.1, y0, bx1 - w * 0.1, y0 + h * 0.6), 180, 360, fill=o, width=max(2, lw * 3))  # handle
    d.ellipse((x0 + w * 0.5, y0 + h * 0.24, x0 + w * 0.62, y0 + h * 0.34), fill=o)  # lid knob
    d.line((bx0 + w * 0.05, y0 + h * 0.75, bx1 - w * 0.05, y0 + h * 0.75), fill=_shade(c, 0.8), width=lw)


def _grinder(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    d.rectangle((cx - w * 0.22, y0 + h * 0.3, cx + w * 0.22, y1), fill=c, outline=o, width=lw)
    d.rectangle((cx - w * 0.26, y0 + h * 0.24, cx + w * 0.26, y0 + h * 0.32), fill=_shade(c, 0.7), outline=o)
    d.line((cx, y0 + h * 0.24, cx, y0 + h * 0.1), fill=o, width=max(2, lw * 2))
    d.line((cx, y0 + h * 0.1, cx + w * 0.42, y0 + h * 0.06), fill=o, width=max(2, lw * 2))  # crank
    d.ellipse((cx + w * 0.36, y0, cx + w * 0.5, y0 + h * 0.12), fill=_shade(c, 0.6), outline=o)
    d.rectangle((cx - w * 0.22, y0 + h * 0.62, cx + w * 0.22, y0 + h * 0.66), fill=_shade(c, 0.75))


def _pour_over(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    glass = (214, 230, 236)
    d.polygon([(cx - w * 0.32, y0 + h * 0.42), (cx + w * 0.32, y0 + h * 0.42), (cx + w * 0.38, y1),
               (cx - w * 0.38, y1)], fill=glass, outline=o, width=lw)  # carafe
    d.rectangle((cx - w * 0.34, y0 + h * 0.8, cx + w * 0.34, y1 - lw), fill=(120, 82, 52))  # coffee in it
    d.polygon([(cx - w * 0.45, y0 + h * 0.05), (cx + w * 0.45, y0 + h * 0.05), (cx + w * 0.1, y0 + h * 0.42),
               (cx - w * 0.1, y0 + h * 0.42)], fill=c, outline=o, width=lw)  # cone
    d.polygon([(cx - w * 0.34, y0 + h * 0.1), (cx + w * 0.34, y0 + h * 0.1), (cx + w * 0.26, y0 + h * 0.2),
               (cx - w * 0.26, y0 + h * 0.2)], fill=(110, 76, 50))  # the grounds


def _beans(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    brown = (112, 74, 46)
    for i, (fx, fy) in enumerate(((0.2, 0.7), (0.45, 0.78), (0.7, 0.68), (0.35, 0.5), (0.6, 0.45), (0.5, 0.2))):
        bw, bh = w * 0.18, h * 0.22
        cx, cy = x0 + w * fx, y0 + h * fy
        d.ellipse((cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2), fill=brown, outline=o)
        d.arc((cx - bw * 0.2, cy - bh / 2, cx + bw * 0.2, cy + bh / 2), 280, 80, fill=(70, 44, 26), width=_lw(box))


def _label(d, x0, y0, x1, y1, mark, o):
    d.rectangle((x0, y0, x1, y1), fill=(246, 238, 222), outline=o)
    if mark:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + (y1 - y0) * 0.2
        r = min(x1 - x0, y1 - y0) * 0.32
        d.pieslice((cx - r, cy - r, cx + r, cy + r), 180, 360, fill=mark)  # the brand mark: a rising sun
        d.line((x0 + (x1 - x0) * 0.15, cy, x1 - (x1 - x0) * 0.15, cy), fill=mark, width=max(1, round(r / 5)))


def _bag(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    bw = min(w, h * 0.62)
    d.polygon([(cx - bw * 0.42, y0 + h * 0.08), (cx + bw * 0.42, y0 + h * 0.08), (cx + bw / 2, y1),
               (cx - bw / 2, y1)], fill=c, outline=o, width=lw)
    d.rectangle((cx - bw * 0.44, y0, cx + bw * 0.44, y0 + h * 0.1), fill=_shade(c, 0.8), outline=o, width=lw)
    for i in range(1, 4):  # the crimped top
        xx = cx - bw * 0.44 + bw * 0.88 * i / 4
        d.line((xx, y0, xx, y0 + h * 0.1), fill=o, width=lw)
    _label(d, cx - bw * 0.3, y0 + h * 0.35, cx + bw * 0.3, y0 + h * 0.72, mark, o)


def _bottle(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    bw = min(w, h * 0.36)
    d.rounded_rectangle((cx - bw / 2, y1 - h * 0.68, cx + bw / 2, y1), radius=bw * 0.12, fill=c, outline=o, width=lw)
    d.polygon([(cx - bw / 2, y1 - h * 0.66), (cx - bw * 0.16, y1 - h * 0.82), (cx + bw * 0.16, y1 - h * 0.82),
               (cx + bw / 2, y1 - h * 0.66)], fill=c, outline=o)
    d.rectangle((cx - bw * 0.14, y1 - h * 0.92, cx + bw * 0.14, y1 - h * 0.8), fill=c, outline=o, width=lw)
    d.rounded_rectangle((cx - bw * 0.17, y0, cx + bw * 0.17, y1 - h * 0.9), radius=bw * 0.04, fill=o)
    _label(d, cx - bw / 2 + lw, y1 - h * 0.46, cx + bw / 2 - lw, y1 - h * 0.22, mark, o)
    d.line((cx + bw * 0.3, y1 - h * 0.62, cx + bw * 0.3, y1 - h * 0.5), fill=_shade(c, 1.35), width=lw * 2)


def _can(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    bw = min(w, h * 0.55)
    e = bw * 0.16
    d.rectangle((cx - bw / 2, y0 + e, cx + bw / 2, y1 - e), fill=c, outline=None)
    d.ellipse((cx - bw / 2, y1 - 2 * e, cx + bw / 2, y1), fill=c, outline=o, width=lw)
    d.rectangle((cx - bw / 2 + lw, y1 - 2 * e, cx + bw / 2 - lw, y1 - e), fill=c)
    d.line((cx - bw / 2, y0 + e, cx - bw / 2, y1 - e), fill=o, width=lw)
    d.line((cx + bw / 2, y0 + e, cx + bw / 2, y1 - e), fill=o, width=lw)
    d.ellipse((cx - bw / 2, y0, cx + bw / 2, y0 + 2 * e), fill=(200, 202, 206), outline=o, width=lw)
    d.ellipse((cx - bw * 0.12, y0 + e * 0.6, cx + bw * 0.12, y0 + e * 1.3), outline=o, width=lw)  # ring pull
    _label(d, cx - bw * 0.36, y0 + h * 0.35, cx + bw * 0.36, y0 + h * 0.68, mark, o)


def _box(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    cx = (x0 + x1) / 2
    bw, bh = min(w * 0.8, h * 0.9), h * 0.8
    dx = bw * 0.22
    d.polygon([(cx - bw / 2, y1 - bh), (cx - bw / 2 + dx, y0), (cx + bw / 2 + dx * 0.5, y0),
               (cx + bw / 2, y1 - bh)], fill=_shade(c, 1.15), outline=o, width=lw)
    d.polygon([(cx + bw / 2, y1 - bh), (cx + bw / 2 + dx * 0.5, y0), (cx + bw / 2 + dx * 0.5, y1 - h * 0.2),
               (cx + bw / 2, y1)], fill=_shade(c, 0.75), outline=o, width=lw)
    d.rectangle((cx - bw / 2, y1 - bh, cx + bw / 2, y1), fill=c, outline=o, width=lw)
    _label(d, cx - bw * 0.3, y1 - bh * 0.75, cx + bw * 0.3, y1 - bh * 0.3, mark, o)


def _shoe(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    sh = min(h, w * 0.5)
    top = y1 - sh
    d.polygon([(x0, y1 - sh * 0.2), (x0 + w * 0.05, y1 - sh * 0.55), (x0 + w * 0.45, y1 - sh * 0.65),
               (x0 + w * 0.62, top), (x0 + w * 0.8, top), (x1, y1 - sh * 0.35), (x1, y1 - sh * 0.15)], fill=c,
              outline=o, width=lw)
    d.rectangle((x0, y1 - sh * 0.2, x1, y1), fill=(240, 238, 232), outline=o, width=lw)  # sole
    if mark:
        d.line((x0 + w * 0.3, y1 - sh * 0.3, x0 + w * 0.7, y1 - sh * 0.55), fill=mark, width=lw * 3)


def _fridge(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = _lw(box)
    fw = min(w, h * 0.55)
    cx = (x0 + x1) / 2
    fx0, fx1 = cx - fw / 2, cx + fw / 2
    d.rectangle((fx0, y0, fx1, y1), fill=(232, 240, 246), outline=o, width=lw)  # the lit inside, door open
    for i in range(1, 4):
        yy = y0 + h * i / 4
        d.line((fx0, yy, fx1, yy), fill=o, width=lw)
    d.polygon([(fx1, y0), (fx1 + fw * 0.35, y0 + h * 0.06), (fx1 + fw * 0.35, y1 - h * 0.04), (fx1, y1)], fill=c,
              outline=o, width=lw)  # the door, swung open
    d.line((fx1 + fw * 0.28, y0 + h * 0.3, fx1 + fw * 0.28, y0 + h * 0.45), fill=o, width=lw * 2)


def _window(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    lw = _lw(box)
    d.rectangle(box, fill=c, outline=o, width=lw * 2)
    d.line(((x0 + x1) / 2, y0, (x0 + x1) / 2, y1), fill=o, width=lw * 2)
    d.line((x0, (y0 + y1) / 2, x1, (y0 + y1) / 2), fill=o, width=lw * 2)


def _peach(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    r = min(w, h) * 0.42
    cx, cy = (x0 + x1) / 2, y1 - r
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(246, 196, 180), outline=o, width=_lw(box))
    d.arc((cx - r * 0.9, cy - r, cx + r * 0.3, cy + r), 300, 60, fill=(226, 150, 140), width=_lw(box) * 2)
    d.ellipse((cx, cy - r * 1.25, cx + r * 0.6, cy - r * 0.85), fill=(120, 170, 100), outline=o)


def _bubbles(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for fx, fy, fr in ((0.2, 0.8, 0.07), (0.5, 0.6, 0.1), (0.75, 0.75, 0.06), (0.35, 0.35, 0.08), (0.65, 0.2, 0.05),
                       (0.45, 0.1, 0.04), (0.85, 0.45, 0.05)):
        r = min(w, h) * fr
        cx, cy = x0 + w * fx, y0 + h * fy
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=o, width=max(1, _lw(box)))


def _steam(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for fx in (0.3, 0.5, 0.7):
        pts = [(x0 + w * fx + w * 0.06 * ((i % 2) * 2 - 1), y1 - h * i / 6) for i in range(7)]
        d.line(pts, fill=c, width=max(2, _lw(box) * 2), joint="curve")


def _lantern(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    r = min(w, h) * 0.4
    d.line((cx, y0, cx, y0 + h * 0.1), fill=o, width=_lw(box))
    d.ellipse((cx - r, y0 + h * 0.1, cx + r, y0 + h * 0.1 + 2 * r * 0.8), fill=(222, 60, 50), outline=o)


def _blanket(d, box, c, o, mark):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    inset = w * 0.08
    d.polygon([(x0 + inset, y0), (x1 - inset, y0), (x1, y1), (x0, y1)], fill=c, outline=o, width=_lw(box))
    for i in range(1, 6):  # checks
        t = i / 6
        d.line((x0 + inset + (w - 2 * inset) * t, y0, x0 + w * t, y1), fill=_shade(c, 1.25), width=_lw(box))
    d.line((x0 + inset / 2, (y0 + y1) / 2, x1 - inset / 2, (y0 + y1) / 2), fill=_shade(c, 1.25), width=_lw(box))


_SHAPES = {"blanket": _blanket, "kettle": _kettle, "grinder": _grinder, "pour_over": _pour_over, "beans": _beans, "bag": _bag,
           "bottle": _bottle, "can": _can, "box": _box, "shoe": _shoe, "fridge": _fridge, "window": _window,
           "peach": _peach, "bubbles": _bubbles, "steam": _steam, "lantern": _lantern}
