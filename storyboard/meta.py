"""What a brief says about the film as a whole: title, language, length, aspect ratio, style, tone, mandatories,
voice-over lines, and the recurring product/characters/places it names.

    meta = read_meta(brief)
    meta.target_duration_s, meta.aspect_ratio, meta.end_card_s, [ln.text for ln in meta.vo_lines]

Also home of :func:`split_sections`, which the prose reader uses to tell context (background, objective,
audience…) from the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.storyboard.voiceover import read_cues
from briefreel.storyboard.draft import SpokenLine, is_heading, spoken_line, strip_quotes
from briefreel.storyboard.durations import find_seconds, parse_seconds
from briefreel.storyboard.enumerations import line_marker

# -- section names --------------------------------------------------------------------------------------------------
# key → words that name it (English lower case, Chinese). "context" sections never become shots.

SECTION_WORDS: dict[str, list[str]] = {
    "context": [
        "background", "objective", "objectives", "goal", "goals", "aim", "audience", "target audience", "insight",
        "consumer insight", "brand", "about the brand", "budget", "timeline", "timing", "deliverables", "deliverable",
        "kpi", "kpis", "competition", "competitors", "channels", "media", "overview", "challenge", "the challenge",
        "problem", "proposition", "key message", "message", "single-minded proposition", "reasons to believe", "rtb",
        "context", "situation", "strategy", "approvals", "contacts", "legal", "usage", "distribution", "schedule",
        "背景", "项目背景", "品牌背景", "市场背景", "目标", "项目目标", "传播目标", "营销目标", "受众", "目标受众", "目标人群",
        "人群", "洞察", "消费者洞察", "品牌", "品牌介绍", "预算", "时间", "时间安排", "排期", "交付", "交付物", "交付内容",
        "投放", "投放渠道", "渠道", "媒介", "竞品", "核心信息", "关键信息", "传播信息", "策略", "挑战", "问题", "概述",
        "项目概述", "联系人", "版权", "client", "agency", "director", "producer", "production company", "casting",
        "casting and look", "director's note", "directors note", "director’s note", "a note before we begin",
        "references", "reference", "approach", "my approach", "intro", "introduction", "客户", "代理商", "导演", "制片",
        "导演阐述", "参考", "参考片",
    ],
    "story": [
        "story", "the story", "storyline", "script", "the script", "treatment", "concept", "creative concept",
        "creative idea", "idea", "the idea", "the film", "film", "synopsis", "scenario", "narrative", "execution",
        "creative", "creative execution", "spot", "the spot", "storyboard", "shots", "visuals", "visual", "sequence",
        "故事", "故事线", "故事梗概", "剧情", "剧情梗概", "脚本", "创意", "创意概念", "创意脚本", "创意执行", "画面", "画面描述",
        "内容", "影片内容", "视频内容", "执行", "分镜描述", "故事板", "叙事", "情节", "镜头描述", "影片",
    ],
    "vo": [
        "vo", "v.o.", "voice-over", "voiceover", "voice over", "vo script", "narration", "script (vo)", "copy",
        "旁白", "配音", "解说词", "画外音", "配音文案", "旁白文案", "口播", "台词",
    ],
    "mandatories": [
        "mandatories", "mandatory", "must include", "must-haves", "must haves", "musts", "requirements",
        "mandatory elements", "必须包含", "强制要求", "必备元素", "必选", "硬性要求", "必须", "强制元素", "要求",
    ],
    "cast": ["cast", "characters", "character", "talent", "人物", "角色", "人物设定", "角色设定", "主角", "演员"],
    "product": ["product", "hero product", "the product", "产品", "产品信息", "主推产品", "产品名称"],
    "style": ["style", "look", "visual style", "look and feel", "look & feel", "art direction", "风格", "画面风格",
              "视觉风格", "影调", "美术风格"],
    "tone": ["tone", "tone of voice", "mood", "调性", "基调", "情绪", "氛围", "语气"],
    "length": ["length", "duration", "runtime", "running time", "spot length", "film length", "时长", "片长",
               "总时长", "长度", "视频时长", "时间长度"],
    "aspect": ["aspect", "aspect ratio", "ratio", "format", "frame", "画幅", "比例", "画面比例", "尺寸", "版式", "屏幕"],
    "title": ["title", "creative brief", "brief", "project", "project name", "campaign", "film title", "标题", "项目名称", "片名", "项目", "活动名称"],
    "place": ["setting", "location", "locations", "场景设定", "地点", "拍摄地点"],
    "tagline": ["tagline", "slogan", "end line", "endline", "口号", "广告语", "标语", "slogan"],
    "music": ["music", "sound", "audio", "sfx", "音乐", "配乐", "音效", "声音"],
}
# Labels that look like headings but introduce a shot inside the story ("End frame: pack and logo").
NOT_HEADINGS = {"end frame", "end card", "endcard", "end slate", "end title", "final frame", "title card", "logo card",
                "freeze frame", "frame grab", "packshot", "pack shot", "opening frame", "first frame", "last frame"}
_WORD_TO_KEY: dict[str, str] = {}
for _key, _words in SECTION_WORDS.items():
    for _w in _words:
        _WORD_TO_KEY.setdefault(_w, _key)

_CJK_WORDS = sorted(((w, k) for w, k in _WORD_TO_KEY.items() if not w.isascii()), key=lambda wk: -len(wk[0]))
_LEAD = re.compile(r"^\s*(?:#+\s*|[-*•·●▪]\s*|\d{1,2}[.)、]\s*|[一二三四五六七八九十]+[、.．]\s*|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]\s*)")
_BRACKETS = "【】[]「」『』《》*_"


# Words that end a document's title ("… Director's Treatment", "… Creative Brief") and can wrap onto a line alone.
_TITLE_TAILS = {"treatment", "brief", "creative brief", "director's treatment", "director’s treatment", "proposal"}
_ONE_LINE_KEYS = {"length", "aspect", "title", "tone", "style", "tagline"}
_RESUMABLE = {"", "story", "context", "vo", "mandatories", "music"}


@dataclass
class Section:
    key: str  # a SECTION_WORDS key, or "" for text before the first heading
    title: str
    lines: list[str] = field(default_factory=list)  # body lines (an inline value after "Title:" is the first)
    page: int | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


_HASH_ITEM = re.compile(r"^\s*#\s*\d{1,3}[A-Za-z]?\s")


def heading_key(line: str) -> tuple[str, str, str] | None:
    """(key, heading, inline value) when ``line`` is a section heading or a "Label: value" line, else None."""
    if _HASH_ITEM.match(line):
        return None  # "#6 MUSIC: piano resolves. MS: …": an item of a list, not a heading
    raw = _LEAD.sub("", line.strip(), count=1).strip()
    if not raw:
        return None
    numbered = raw != line.strip() and not line.strip().startswith("#")
    name, value = raw, ""
    found = [i for i in (raw.find(":"), raw.find("：")) if i > 0]
    i = min(found) if found else -1
    if 0 < i <= 32:
        name, value = raw[:i], raw[i + 1:].strip()
    elif len(raw) > (14 if _cjk_count(raw) else 40):
        return None
    colon = bool(value) or raw.rstrip().endswith((":", "："))
    name = name.strip().rstrip(":：.").strip().strip(_BRACKETS).strip()
    key = _WORD_TO_KEY.get(name.lower())
    if key is None and _cjk_count(name):
        # "项目背景说明", "【创意脚本】": a known word plus a little, no sentence punctuation. Not in a numbered line
        # with a value ("三、手机屏幕：订单页面……" is an item of a list, its label a picture's).
        if not any(p in name for p in "，。！？、") and not (numbered and value):
            for w, k in _CJK_WORDS:
                if w in name and len(name) <= len(w) + 4:
                    key = k
                    break
    elif key is None and colon:
        # "Target audience:", "Visual style (reference)": a known word or phrase among at most four words.
        words = name.lower().split()
        if 1 <= len(words) <= 4:
            for n in (3, 2, 1):
                for i in range(len(words) - n + 1):
                    key = _WORD_TO_KEY.get(" ".join(words[i:i + n]))
                    if key:
                        break
                if key:
                    break
    if key is None and re.search(r"\s*[/／&+]\s*", name) and len(name) <= 24:
        # "旁白 / 台词", "VO / Dialogue": a heading naming two things of one kind
        keys = {_WORD_TO_KEY.get(part.strip().lower()) for part in re.split(r"\s*[/／&+]\s*", name) if part.strip()}
        key = keys.pop() if len(keys) == 1 else None
    if key is None or name.lower() in NOT_HEADINGS or re.split(r"[,，(（]", name.lower())[0].strip() in NOT_HEADINGS:
        return None  # "Title card, four seconds: …" is a picture, not a "Title:" line
    return key, name, value


_ITEM_MARKERS = ("span", "clock", "keyword", "number")


def split_sections(brief) -> list[Section]:
    """The brief's text cut at its headings, in order. Text before the first heading is a section with key ""."""
    sections = [Section("", "")]
    for page in brief.pages:
        previous = ""
        in_item = False  # under a bare item marker ("00:00 – 00:04" on its own line) until a blank line
        for line in page.text.split("\n"):
            found = heading_key(line) if line.strip() else None
            if found and found[2] and in_item:
                found = None  # "VISUAL: …", "VO: …", "SFX: …" under a timecode: the item's fields, not sections
            marker = line_marker(line) if line.strip() else None
            in_item = bool(line.strip()) and (in_item or marker is not None and marker.kind in _ITEM_MARKERS and
                                              not marker.rest.strip())
            if found and found[0] == "vo" and found[2]:
                found = None  # "VO: …" inside a story stays where it is
            if found and not found[2] and len(sections) == 1 and sections[0].lines and previous.strip() and \
                    found[1].lower() in _TITLE_TAILS and \
                    not previous.rstrip().endswith((".", "。", ":", "：", "!", "?", "！", "？")):
                found = None  # "NORTHWIND — Director’s / Treatment": the document's title wrapped, not a heading
            if found and found[1][:1].islower() and found[1].isascii() and previous.strip() and \
                    not previous.rstrip().endswith((".", ":", "!", "?", ";")) and heading_key(previous) is None:
                found = None  # "…belly full. End / frame: pack and logo": a sentence wrapped at the line end
            previous = line
            if found:
                key, title, value = found
                sections.append(Section(key, title, [value] if value else [], page.number))
                if value and key in _ONE_LINE_KEYS:
                    # "Length: 30s" is a section of one line; what follows continues the section before it.
                    before = next((s for s in reversed(sections[:-1]) if s.key not in _ONE_LINE_KEYS or not s.lines), None)
                    if before is not None:
                        # The story or the context carries on; a product or cast line does not.
                        key = before.key if before.key in _RESUMABLE else ""
                        sections.append(Section(key, before.title if key else "", [], page.number))
            else:
                if sections[-1].page is None:
                    sections[-1].page = page.number
                sections[-1].lines.append(line)
    return [s for s in sections if s.text or (s.key and s.key not in _ONE_LINE_KEYS)]


# -- the film's metadata --------------------------------------------------------------------------------------------

@dataclass
class Meta:
    title: str = ""
    language: str = "en"
    target_duration_s: float | None = None
    aspect_ratio: str = "16:9"
    aspect_explicit: bool = False
    style: str = ""
    tone: str = ""
    mandatories: list[str] = field(default_factory=list)
    vo_lines: list[SpokenLine] = field(default_factory=list)  # from VO sections and "VO:" lines outside the story
    end_card_s: float | None = None
    end_card_text: str = ""
    tagline: str = ""
    products: list[tuple[str, str]] = field(default_factory=list)  # (name, description)
    characters: list[tuple[str, str]] = field(default_factory=list)
    places: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")


def detect_language(text: str) -> str:
    """"zh" when Chinese characters outnumber Latin words, else "en"."""
    cjk = _cjk_count(text)
    latin_words = len(re.findall(r"[A-Za-z]{2,}", text))
    return "zh" if cjk > latin_words else "en"


_MEDIA_WORDS = ("spot", "film", "video", "ad", "advert", "commercial", "tvc", "cut", "cutdown", "version", "piece",
                "clip", "edit", "social", "teaser", "trailer", "master", "story", "reel", "短片", "视频", "广告", "片",
                "版", "tvc", "宣传片", "短视频", "影片", "内容", "vertical", "horizontal", "square", "online", "cinema",
                "broadcast", "竖屏", "横屏", "竖版", "横版", "贴片", "tv ", "tv,", "tv.", "television", "pre-roll", "preroll",
                "bumper", "hero", "youtube", "instagram", "tiktok", "电视", "信息流", "开屏", "前贴")
_KNOWN_RATIOS = re.compile(r"(?<![\d.])(?<!\d[:：])(?:16\s*[:：]\s*9|9\s*[:：]\s*16|1\s*[:：]\s*1|4\s*[:：]\s*5|4\s*[:：]\s*3|21\s*[:：]\s*9)(?![\d:])")
_SPEC_TITLES = {"deliverable", "deliverables", "format", "spec", "specs", "specification", "交付", "交付物", "交付内容",
                "规格", "版本", "输出规格"}
_MEDIA_BEFORE = ("spot", "film", "commercial", "video", "tvc", "ad", "广告", "视频", "短片", "影片", "宣传片", "全片", "成片",
                 "片长", "总长")
_HALF_MINUTE = re.compile(r"\bhalf[- ]a[- ]minute\b|\bhalf-minute\b|\bthirty[- ]second\b|半分钟")
_SHORT_CLOCK = re.compile(r"(?<![\d:])(?:0?:)(15|20|30|45|60|90)(?![\d:])")


def read_target(text: str, sections: list[Section]) -> float | None:
    """The film's length: a labelled line first, then "a 30-second film"/"15秒视频", then ":30"."""
    for s in sections:
        if s.key == "length":
            value = parse_seconds(s.text.split("\n")[0]) if s.text else None
            if value:
                return value
    for s in sections:  # "Deliverable: 15s, 9:16, Reels": the first length in a spec line
        if s.key in ("context", "aspect") and s.title.lower() in _SPEC_TITLES and s.text:
            found = find_seconds(_KNOWN_RATIOS.sub(" ", s.text.split("\n")[0]))
            if found and 3 <= found[0] <= 300:
                return found[0]
    low = _KNOWN_RATIOS.sub(lambda m: " " * len(m.group()), text.lower())  # "9:16" is a frame, not 9 min 16 s
    for m in re.finditer(r"\d|[一二两三四五六七八九十半]", low):
        found = find_seconds(low[m.start():m.start() + 16])
        if not found or found[1][0] != 0:
            continue
        end = m.start() + found[1][1]
        after = low[end:end + 14].lstrip(" -–\n\t")
        if any(after.startswith(w) for w in _MEDIA_WORDS) or re.match(r"^(?:long|length|in length|tv)\b", after):
            return found[0]
        before = low[max(0, m.start() - 12):m.start()].rstrip(" ，,:：-–(（")
        if any(before.endswith(w) and (not w.isascii() or not before[:-len(w)][-1:].isalnum()) for w in _MEDIA_BEFORE):
            return found[0]  # "TVC 30s", "广告15秒"; not "GRANDAD (70s)"
    m = _SHORT_CLOCK.search(low)
    if m:
        return float(m.group(1))
    m = _HALF_MINUTE.search(low)
    if m:
        return 30.0
    head = [line.strip() for line in low.lstrip().split("\n\n", 1)[0].split("\n")[:2]]
    first = head[0] if head else ""
    if len(head) == 2 and len(first) >= 30 and not first.endswith((".", "。", "!", "！", "?", "？", ":", "：")):
        first = first + " " + head[1]  # the title wrapped at the page's edge
    found = find_seconds(first)  # "雨 · 30秒": a length in the title line counts
    if found and 3 <= found[0] <= 300:
        return found[0]
    return None


_RATIO = re.compile(r"(?<![\d.:])(\d{1,2}(?:\.\d+)?)\s*[:：x×]\s*(\d{1,2})(?![\d:])")
_ASPECT_WORDS = [
    ("9:16", ["竖屏", "竖版", "竖幅", "竖画幅", "vertical", "portrait"]),
    ("16:9", ["横屏", "横版", "横幅", "横画幅", "landscape", "horizontal", "widescreen"]),
    ("1:1", ["方形", "正方形", "方屏", "square"]),
]
_VERTICAL_PLATFORMS = ["tiktok", "reels", "instagram stories", "shorts", "抖音", "快手", "视频号", "小红书"]


def _ratio_to_enum(a: float, b: float) -> str | None:
    if b == 0:
        return None
    r = a / b
    if 1.2 < r < 3.0:
        return "16:9"
    if 0.85 <= r <= 1.2:
        return "1:1"
    if 0.4 < r < 0.85:
        return "9:16" if r < 0.7 else "1:1"  # 4:5 feed posts are closest to square
    return None


def read_aspect(text: str, sections: list[Section]) -> tuple[str, bool]:
    """("16:9" | "9:16" | "1:1", stated?) — a labelled line first, then the first ratio, then words, then platforms."""
    labelled = [s.text for s in sections if s.key == "aspect" and s.text]
    for chunk in labelled + [text]:
        for m in _RATIO.finditer(chunk):
            value = _ratio_to_enum(float(m.group(1)), float(m.group(2)))
            if value and (m.group(1), m.group(2)) in {("16", "9"), ("9", "16"), ("1", "1"), ("4", "5"), ("4", "3"),
                                                       ("3", "4"), ("21", "9"), ("2.39", "1"), ("2.35", "1")}:
                return value, True
    low = text.lower()
    best: tuple[int, str] | None = None
    for value, words in _ASPECT_WORDS:
        for w in words:
            i = low.find(w)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, value)
    if best:
        return best[1], True
    if any(p in low for p in _VERTICAL_PLATFORMS):
        return "9:16", False
    return "16:9", False


_END_CARD = ["end card", "endcard", "end-card", "end frame", "end slate", "end plate", "logo card", "closing card",
             "final card", "brand card", "end super", "packshot", "pack shot", "落版", "片尾", "尾板", "定版", "标版", "结尾画面",
             "logo定帧", "品牌定帧", "结尾定帧", "收尾画面", "结束画面", "尾帧", "品牌落版"]


_POINT = r"(\d{1,2}:\d{2}|\d+(?:\.\d+)?)\s*(?:s|sec|秒|''|\"|″)?"
_SPAN_BEFORE = re.compile(r"第?" + _POINT + r"\s*(?:-|–|—|~|～|至|到)\s*" + _POINT + r"\s*[\]】)）]?\s*[:：|｜\-–—]?\s*$")


def _span_point(token: str) -> float:
    if ":" in token:
        m, s = token.split(":")
        return int(m) * 60 + float(s)
    return float(token)


def read_end_card(text: str) -> tuple[float | None, str]:
    """(seconds, wording) of a mandated end card, e.g. "3-second end card with logo", "落版3秒"."""
    low = text.lower()
    for word, i in ((w, m.start()) for w in _END_CARD for m in re.finditer(re.escape(w), low)):
        line_start = low.rfind("\n", 0, i) + 1
        line_end = low.find("\n", i)
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        rel = i - line_start
        seconds = None
        span = _SPAN_BEFORE.search(line[max(0, rel - 24):rel])
        if span:  # "8''–10'' End card: …": a span on the film's clock, the card lasts its length
            a, b = (_span_point(x) for x in span.groups())
            seconds = round(b - a, 3) if b > a else None
        for lo, hi in ((max(0, rel - 16), rel), (rel + len(word), rel + len(word) + 26)):
            if seconds is not None:
                break
            found = find_seconds(line[lo:hi])
            if found:
                seconds = found[0]
                break
        if seconds is None or seconds > 10:
            continue
        quote = re.search(r"[\"“「『]([^\"”」』]{1,80})[\"”」』]", line[rel:])  # the card's own words, after it
        return seconds, quote.group(1).strip() if quote else ""
    return None, ""


def _items(section: Section) -> list[str]:
    out = []
    for line in section.lines:
        line = _LEAD.sub("", line.strip(), count=1).strip()
        if line:
            out.append(line)
    if len(out) == 1 and (";" in out[0] or "；" in out[0]):
        out = [p.strip() for p in re.split(r"[;；]", out[0]) if p.strip()]
    return out


def _entities(section: Section, limit: int, max_name: int = 12) -> list[tuple[str, str]]:
    """(name, description) items of a cast/product/location section: its inline value ("人物：巴特尔（…）；小雨（…）")
    or its first block of lines, never the rest of the brief."""
    lines = []
    for line in section.lines:
        if not line.strip():
            if lines:
                break
            continue
        lines.append(_LEAD.sub("", line.strip(), count=1).strip())
        if len(section.lines) and section.lines[0].strip() and len(lines) == 1 and section.lines[0] == line:
            break  # an inline value is the whole entry
    items = [p.strip() for line in lines for p in re.split(r"[;；]", line) if p.strip()]
    out = []
    for item in items[:limit]:
        name, description = _named(item)
        if 0 < len(name) <= (max_name if _cjk_count(name) else 40) and not any(ch in name for ch in "。，!?！？"):
            out.append((name, description))
    return out


def _named(item: str) -> tuple[str, str]:
    """ "Mia (28), a courier in a yellow jacket" → ("Mia", "Mia (28), a courier in a yellow jacket")."""
    m = re.match(r"^\s*([^:：,，(（—–]{1,30}?)\s*(?:[:：,，—–]|\s-\s|[(（])", item)
    name = m.group(1).strip() if m else item.strip()
    return name, item.strip().rstrip("。.")


def read_meta(brief) -> Meta:
    """Everything about the film as a whole that the brief states. Pure: reads ``brief``, changes nothing."""
    text = brief.text
    sections = split_sections(brief)
    meta = Meta(language=detect_language(text), sections=sections)
    meta.title = _title(brief, sections)
    meta.target_duration_s = read_target(text, sections)
    meta.aspect_ratio, meta.aspect_explicit = read_aspect(text, sections)
    for s in sections:
        if s.key == "style" and not meta.style:
            meta.style = s.text.split("\n")[0].strip()
        elif s.key == "tone" and not meta.tone:
            meta.tone = s.text.split("\n")[0].strip()
        elif s.key == "mandatories":
            meta.mandatories.extend(_items(s))
        elif s.key == "tagline" and not meta.tagline:
            meta.tagline = strip_quotes(s.text.split("\n")[0]) if s.text else ""
        elif s.key == "product":
            meta.products.extend(_entities(s, 3, max_name=30))
        elif s.key == "cast":
            meta.characters.extend(_entities(s, 8))
        elif s.key == "place":
            meta.places.extend(_entities(s, 4))
        elif s.key == "vo":
            # Scene, shot and time marks ("【场景四】", "Shot 3:", "0:05") and parentheticals are not spoken.
            meta.vo_lines.extend(c.line for c in read_cues(s.lines) if not c.sfx and c.line.text)
    meta.end_card_s, meta.end_card_text = read_end_card("\n".join(meta.mandatories) or text)
    if meta.end_card_s is None:
        meta.end_card_s, meta.end_card_text = read_end_card(text)
    if not meta.end_card_text and meta.tagline:
        meta.end_card_text = meta.tagline
    return meta


_GENERIC_TITLES = {"creative brief", "brief", "briefing", "the brief", "production brief", "创意简报", "创意brief",
                   "项目简报", "简报", "brief 简报", "创意需求", "需求简报"}


_TITLE_LABELS = ("brief", "storyboard", "script", "shot list", "treatment", "脚本", "分镜", "简报", "提案")


def _is_script_line(line: str) -> bool:
    return is_heading(line) or line.upper().startswith(("FADE IN", "FADE OUT"))


def _title(brief, sections: list[Section]) -> str:
    for s in sections:
        if s.key == "title" and s.text:
            return s.text.split("\n")[0].strip()
    title = (brief.metadata or {}).get("title", "").strip() if hasattr(brief, "metadata") else ""
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title)
    if title and title.lower() not in ("untitled", "untitled document") and not re.search(r"\.(docx?|pdf|pptx?)$", title, re.I):
        return title
    for page in brief.pages[:1]:
        for line in page.text.split("\n"):
            line = line.strip()
            if not line:
                continue
            if line.lower().strip("#*【】 ") in _GENERIC_TITLES or line.endswith((":", "：")) or _is_script_line(line):
                continue
            book = re.search(r"《([^》]{1,40})》", line)
            if book:
                return book.group(1)
            m = re.match(r"^(.{1,24}?)\s*[:：]\s*(.{1,60})$", line)
            if m and any(w in m.group(1).lower() for w in _TITLE_LABELS):
                return m.group(2).strip().strip("“”\"")
            if len(line) <= 80 and not heading_key(line) and not line.endswith((".", "。", "!", "！")):
                return line.strip("#*【】 ")
            break
    return (getattr(brief, "filename", "") or "").rsplit(".", 1)[0]
