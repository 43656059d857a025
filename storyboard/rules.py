"""The offline rules planner, top to bottom: detect the brief's format, read its shots, fill what it left open the way
a director would, place the voice-over, time the shots, name them, describe the bible, write the prompts.

    board = plan_rules(brief)        # storyboard.schema.Storyboard
    fmt, drafts = read_shots(brief)  # "table" | "shotlist" | "screenplay" | "prose", [Draft, ...]
"""

from __future__ import annotations

import re

from briefreel.storyboard.blocks import Block, has_visual_content, segment
from briefreel.storyboard.cast import mentions_person
from briefreel.storyboard.cutdown import select_cutdown
from briefreel.storyboard.draft import Draft, SpokenLine
from briefreel.storyboard.enumerated import read_enumerated
from briefreel.storyboard.durations import MIN_SHOT_S, natural_seconds, spread
from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.fallback import collapse_reason, last_resort_blocks, sentence_reading
from briefreel.storyboard.meta import Meta, read_meta
from briefreel.storyboard.prompts import build_bible, build_prompt, negative_prompt
from briefreel.storyboard.prose import read_prose
from briefreel.storyboard.schema import Angle, Movement, Scene, Shot, ShotSize, Storyboard
from briefreel.storyboard.screenplay import count_headings, read_screenplay
from briefreel.storyboard.shotlist import take_duration
from briefreel.storyboard.shot_table import read_tables
from briefreel.storyboard.validate import validate_board
from briefreel.storyboard.voiceover import Cue, align, fit_speech, read_cues, sound_for
from briefreel.text import has_words

# -- 1. format ------------------------------------------------------------------------------------------------------

def read_shots(brief, meta: Meta | None = None, blocks: list[Block] | None = None,
               warnings: list[str] | None = None) -> tuple[str, list[Draft]]:
    """The brief's format and its shots as drafts. Readings are tried in order: a storyboard table, an enumeration
    of shot material (``storyboard.enumerated``), a screenplay (scene headings), prose, prose one sentence per
    picture. A reading that collapses (``storyboard.fallback``) gives way to the next; why is added to
    ``warnings``; when every reading collapses the first is kept."""
    meta = meta or read_meta(brief)
    blocks = segment(brief) if blocks is None else blocks
    readings = (
        ("table", lambda: read_tables(brief)),
        ("shotlist", lambda: read_enumerated(brief, meta, blocks)),
        ("screenplay", lambda: read_screenplay(brief) if count_headings(brief.text) >= 1 else []),
        ("prose", lambda: read_prose(brief, meta, blocks)),
    )
    first: tuple[str, list[Draft]] | None = None
    for fmt, read in readings:
        drafts = read()
        if not drafts:
            continue
        candidates = [(fmt, drafts)]
        if fmt == "prose":
            candidates.append(("prose", sentence_reading(drafts, meta.language)))
        for name, found in candidates:
            reason = collapse_reason(found, meta)
            if reason is None:
                return name, found
            if warnings is not None and not any(reason in w for w in warnings):
                warnings.append(f"{name} reading set aside: {reason}")
            first = first or (name, found)
    if first is None and has_visual_content(blocks):
        # Nothing read as shots, yet something is a picture ("Client: Orto / Close-up of a radish."): every block but
        # front matter, specs, ledgers and the VO script is read as story. A real brief is never refused.
        drafts = read_prose(brief, meta, last_resort_blocks(blocks))
        if drafts:
            if warnings is not None:
                warnings.append("no shot material found: the brief's other text read as story")
            return "prose", drafts
    return first or ("prose", [])


# -- 2. what a director would choose where the brief is silent -------------------------------------------------------

WIDE_WORDS = ("city", "skyline", "landscape", "mountain", "mountains", "ocean", "sea", "horizon", "valley", "desert",
              "aerial", "drone", "panorama", "vista", "coast", "forest", "城市", "天际线", "群山", "山谷", "大海", "海面", "海边",
              "地平线", "全城", "航拍", "草原", "沙漠", "森林", "远山", "城市全貌", "雪山", "glen", "ridge", "moor", "moorland",
              "fjord", "peaks")
# Places and vehicles on the move are framed wide by default.
PLACE_WORDS = WIDE_WORDS + ("road", "highway", "motorway", "lake", "river", "beach", "field", "fields", "bay",
                            "lighthouse", "harbour", "harbor", "bridge", "square", "stadium", "canyon", "cliff", "cliffs",
                            "platform", "station", "airport", "pier", "jetty", "dock", "quay", "marina", "公路", "湖边", "湖面", "河滩", "河边", "海滩", "田野", "广场", "桥", "球场",
                            "峡谷", "悬崖", "山路", "站台", "车站", "机场")
STANDING_WORDS = ("stand", "stands", "standing", "full length", "head to toe", "climbs", "jumps", "leaps", "rappels",
                  "dances", "cartwheels", "站在", "站着", "靠在", "全身", "跳起", "跃起", "攀爬", "跳舞")
GROUP_WORDS = ("family", "everyone", "the group", "the team", "whole family", "一家人", "一家三口", "全家", "大家", "众人",
               "家人们")
REACTION_WORDS = ("looks at", "looks down", "looks up", "looking up", "looking down", "glances", "stares", "reacts",
                  "看向", "望向", "盯着", "看了", "抬头", "低头看")
HIGH_WORDS = ("from the roof", "from the rooftop", "from high above", "high above", "high wide", "high and wide", "looking down on", "down at the", "从楼顶",
              "从高处", "居高临下")
DETAIL_WORDS = ("lips", "drop", "droplet", "droplets", "texture", "label", "logo", "detail", "fingertip", "button",
                "嘴唇", "水珠", "纹理", "细节", "标签", "按键", "指尖")
FACE_HAND_WORDS = ("face", "hand", "hands", "feet", "foot", "boots", "双脚", "smile", "tear", "tears", "fingers", "expression", "eyes", "eye", "cheek",
                   "skin", "palm", "脸", "双手", "手部", "手掌", "的手", "笑脸", "微笑", "笑容", "表情", "泪", "手指",
                   "眼睛", "眼神", "脸颊", "皮肤", "掌心")
FOLLOW_WORDS = ("rides", "riding", "runs", "running", "sprints", "cycles", "cycling", "races", "skates", "jogs",
                "pedals", "骑车", "奔跑", "跑步", "飞奔", "冲过", "滑板")


# Words match whole in English and anywhere in Chinese (briefreel.text); whether a shot has anyone in it is
# storyboard.cast's question, shared with the panel renderer.
_has = has_words
_has_person = mentions_person


def direct(drafts: list[Draft], meta: Meta, fmt: str) -> None:
    """Fill size, angle and movement the brief left open: establishing wide first, product close-ups, end card
    static, dialogue in medium close-up, moving subjects followed."""
    names = {n for n, _ in meta.characters} | {ln.speaker for d in drafts for ln in d.lines if ln.speaker}
    names |= {w for d in drafts for w in re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][^\W\d_A-Z]{2,}\b", d.description)}
    for i, d in enumerate(drafts):
        if d.role == "" and fmt in ("table", "shotlist", "prose"):
            d.role = "establishing" if i == 0 else "action"
        if d.role != "endcard" and i == len(drafts) - 1 and _is_end_card(d):
            d.role = "endcard"
        text = d.description
        if d.size == ShotSize.LS and _has(text, ("establishing", "establisher")) and _has(text, WIDE_WORDS) and \
                not _has_person(text, set()):
            d.size = ShotSize.EWS  # "Wide establishing shot: a long Highland ridge…": the whole landscape
        if d.size is None and fmt in ("table", "shotlist"):
            d.size_inferred = True  # recorded in board.source["sizes_inferred"]
        if d.size is None:
            if d.role == "endcard":
                d.size = ShotSize.INSERT
            elif d.movement == Movement.aerial:
                d.size = ShotSize.EWS  # a drone shot shows the land
            elif d.role == "establishing":
                d.size = ShotSize.EWS if _has(text, WIDE_WORDS) else ShotSize.LS
            elif d.angle == Angle.overhead:
                # Straight down on someone is a wide frame around them; on a landscape it is the whole place.
                d.size = ShotSize.EWS if _has(text, WIDE_WORDS) and not _has_person(text, names) else ShotSize.LS
            elif _has(text, DETAIL_WORDS):
                d.size = ShotSize.ECU if d.role != "product" or _has(text, ("drop", "droplet", "水珠", "纹理")) else ShotSize.CU
            elif d.role == "product":
                d.size = ShotSize.CU
            elif d.role == "dialogue":
                d.size = ShotSize.MCU
            elif any(ln.kind == "dialogue" for ln in d.lines) and _two_named(text, names):
                d.size = ShotSize.MS  # two characters in the frame while one speaks: a two-shot
            elif any(ln.kind == "dialogue" for ln in d.lines) and _has(text, FACE_HAND_WORDS):
                d.size = ShotSize.MCU  # a line with a reaction: medium close-up on the speaker
            elif _has(text, REACTION_WORDS):
                d.size = ShotSize.MCU  # a reaction plays on the face, with a little of the body
            elif d.movement in (Movement.pull_out, Movement.dolly_out, Movement.zoom_out, Movement.crane_up):
                d.size = ShotSize.LS  # a move that reveals ends wide
            elif _has(text[:60], FACE_HAND_WORDS):
                d.size = ShotSize.CU  # the face or a hand is what the shot is about
            elif _has(text, STANDING_WORDS) or _has(text, GROUP_WORDS):
                d.size = ShotSize.FS
            elif d.movement == Movement.follow and _has_person(text, names):
                d.size = ShotSize.MS  # a camera that follows someone keeps them medium, wherever they go
            elif _has(text, PLACE_WORDS) and (not _has_person(text, names) or _opens_scene(drafts, i)):
                d.size = ShotSize.LS  # a new place is shown wide; someone busy in a place we know is a medium
            elif not _has_person(text, names):
                d.size = ShotSize.CU  # no one in the picture: the shot is about a thing
            else:
                d.size = ShotSize.MS
        if d.movement is None:
            if d.role == "endcard":
                d.movement = Movement.static
            elif fmt != "shotlist" and d.role not in ("product", "dialogue", "establishing") and _has(text, FOLLOW_WORDS) and d.size in (
                    ShotSize.FS, ShotSize.MS, ShotSize.MLS, ShotSize.LS):
                d.movement = Movement.follow
            else:
                d.movement = Movement.static
        if d.angle is None:
            d.angle = Angle.high if d.movement == Movement.aerial or _has(text, HIGH_WORDS) else Angle.eye_level


def _two_named(text: str, names: set[str]) -> bool:
    """Does the shot's text name two characters or more ("GRANDAD (70s) and MIA (8) at the workbench")?"""
    low = text.lower()
    return len({n.lower() for n in names if len(n) >= 2 and re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", low)}) >= 2


def _opens_scene(drafts: list[Draft], i: int) -> bool:
    """Is shot ``i`` the first in its place: the film's first, a new scene, or a place word no shot before named?"""
    if i == 0 or drafts[i - 1].scene != drafts[i].scene or (drafts[i].heading and drafts[i - 1].heading != drafts[i].heading):
        return True
    seen = " ".join(d.description for d in drafts[:i])
    return any(_has(drafts[i].description, (w,)) and not _has(seen, (w,)) for w in PLACE_WORDS)


_END_CARD_WORDS = ("end card", "endcard", "end frame", "end slate", "logo", "tagline", "落版", "定版", "标版", "片尾", "品牌标志",
                   "口号", "广告语", "slogan")


def _is_end_card(d: Draft) -> bool:
    return _has(d.description, _END_CARD_WORDS) and len(d.description) < 140


# -- 3. voice-over and mandatories ---------------------------------------------------------------------------------

def voice_cues(blocks: list[Block]) -> list[Cue]:
    """The cues of the brief's own VO / 旁白 / dialogue sections (by heading), with their scene, shot or time marks."""
    return [c for b in blocks if b.key == "vo" and b.role == "voiceover" for c in read_cues(b.lines)]


def _starts(drafts: list[Draft]) -> list[float] | None:
    if not drafts or any(d.duration is None for d in drafts):
        return None
    out, t = [], 0.0
    for d in drafts:
        out.append(t)
        t += d.duration
    return out


_LEFT_OVER = re.compile(r"\s+(?:for|over|in)\s+the\s+(?:final|last|closing|first)\s*[.。]?$", re.I)  # "…logo for the final ."


def place_lines(drafts: list[Draft], meta: Meta, fmt: str, cues: list[Cue] | None = None) -> None:
    """Voice-over lines from the brief's VO section go onto the shots: by the scene, shot or time marks of the
    section where it has them (``storyboard.voiceover``), else in order, one each (none to two shots); a mandated
    end card is added where the story has none."""
    if meta.end_card_s is not None and fmt == "prose" and not any(d.role == "endcard" for d in drafts):
        zh = meta.language == "zh"
        text = meta.end_card_text or meta.tagline
        desc = ("品牌落版：logo居中" + (f"，口号“{text}”" if text else "")) if zh else (
            "End card: the brand logo centred" + (f", with the line \u201c{text}\u201d" if text else ""))
        drafts.append(Draft(description=desc, role="endcard", scene=drafts[-1].scene if drafts else 1,
                            lines=[SpokenLine(text, "super", "")] if text else []))
    for d in drafts:
        if d.role == "endcard":
            if d.duration is None:
                rest, seconds = take_duration(d.description)
                if seconds:
                    d.description, d.duration = _LEFT_OVER.sub(".", rest).strip(), seconds
                elif meta.end_card_s:
                    d.duration = meta.end_card_s
            card = meta.end_card_text or meta.tagline
            if card and not any(ln.text == card for ln in d.lines):
                d.lines.append(SpokenLine(card, "super", ""))
        elif fmt == "prose" and d.duration is None:
            rest, seconds = take_duration(d.description)
            if seconds and rest:
                d.description, d.duration = _LEFT_OVER.sub(".", rest).strip(), seconds
    already = {ln.text for d in drafts for ln in d.lines}
    spoken = [c for c in cues or [] if not c.sfx]
    if spoken and all(c.scene is not None or c.shot is not None or c.start is not None for c in spoken):
        align([c for c in spoken if c.line.text not in already], drafts, _starts(drafts))
        sound_for(cues, drafts)
        return
    vo = [ln for ln in meta.vo_lines if ln.text not in already]
    if not vo or not drafts:
        return
    slots = [i for i, d in enumerate(drafts) if d.role != "endcard" and not any(ln.kind != "super" for ln in d.lines)]
    if not slots:
        slots = list(range(len(drafts)))
    for k, line in enumerate(vo):
        if meta.tagline and line.text.strip() == meta.tagline.strip() and drafts[-1].role == "endcard":
            drafts[-1].lines.append(line)
            continue
        target = slots[min(len(slots) - 1, k * len(slots) // len(vo))]
        drafts[target].lines.append(line)


# -- 4. durations ------------------------------------------------------------------------------------------------------

def time_shots(drafts: list[Draft], target: float | None) -> list[float]:
    """Explicit durations kept exactly; the rest spread by content over what the target leaves (≥ 1.5 s each)."""
    natural = [natural_seconds(d.description, d.dialogue, d.size.value if d.size else None) for d in drafts]
    fixed = {i: d.duration for i, d in enumerate(drafts) if d.duration}
    if target is None:
        return [fixed.get(i, round(max(n, MIN_SHOT_S) * 2) / 2) for i, n in enumerate(natural)]
    return fit_speech(spread(natural, target, fixed), drafts, target, fixed, natural)  # lines fit their shots


# -- 5. ids -----------------------------------------------------------------------------------------------------------

def _format_id(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    suffix = number[len(digits):] if number.startswith(digits) else ""
    return f"S{int(digits):02d}{suffix}" if digits else f"S{number}"


def shot_ids(drafts: list[Draft]) -> list[str]:
    """ "S01", "S02"…; the brief's own numbers where it has them (镜号 3 → "S03", "12A" → "S12A")."""
    numbered = [d.number for d in drafts if d.number]
    if not numbered or len(set(numbered)) != len(numbered):
        return [f"S{i + 1:02d}" for i in range(len(drafts))]
    ids: list[str] = []
    taken = {_format_id(n) for n in numbered}
    last = 0
    for d in drafts:
        if d.number:
            ids.append(_format_id(d.number))
            digits = "".join(ch for ch in d.number if ch.isdigit())
            last = int(digits) if digits else last
            continue
        candidate = f"S{last + 1:02d}"
        k = 0
        while candidate in taken:
            candidate = f"S{last:02d}{chr(ord('A') + k)}"
            k += 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


# -- 6. assembly ------------------------------------------------------------------------------------------------------

def _dialogue(d: Draft) -> tuple[str, str, str]:
    """(dialogue text, kind, speaker) of a shot: spoken lines first; a shot with only a super shows the super."""
    spoken = [ln for ln in d.lines if ln.kind in ("vo", "dialogue")]
    if spoken:
        speakers = {ln.speaker for ln in spoken}
        if len(spoken) > 1 and len(speakers) > 1:
            text = " ".join(f"{ln.speaker}: {ln.text}" if ln.speaker and ln.speaker != "VO" else ln.text for ln in spoken)
        else:
            text = " ".join(ln.text for ln in spoken)
        return text, spoken[0].kind, spoken[0].speaker
    supers = [ln.text for ln in d.lines if ln.kind == "super"]
    if supers:
        return " ".join(supers), "super", ""
    return "", "", ""


def build_board(brief, meta: Meta, fmt: str, drafts: list[Draft], planner: str = "rules") -> Storyboard:
    """Drafts (as read, directed and timed) → a validated Storyboard with bible and prompts."""
    durations = time_shots(drafts, meta.target_duration_s)
    ids = shot_ids(drafts)
    bible, members = build_bible(drafts, meta)
    shots = []
    for d, sid, seconds, chars in zip(drafts, ids, durations, members):
        text, kind, speaker = _dialogue(d)
        supers = " ".join(ln.text for ln in d.lines if ln.kind == "super")
        shots.append(Shot(
            id=sid, scene=max(1, d.scene), size=d.size, angle=d.angle, movement=d.movement,
            duration_s=seconds, description=d.description.strip() or text, dialogue=text, dialogue_kind=kind,
            speaker=speaker, movement_speed=d.speed, movement_note=d.note, characters=chars,
            on_screen_text=d.on_screen_text or supers, sfx=d.sfx, transition=d.transition or "cut",
            source_page=d.page,
        ))
    scenes: dict[int, str] = {}
    for d in drafts:
        scenes.setdefault(max(1, d.scene), d.heading)
    board = Storyboard(
        title=meta.title, language=meta.language, target_duration_s=meta.target_duration_s,
        aspect_ratio=meta.aspect_ratio, style=meta.style, tone=meta.tone, negative_prompt=negative_prompt(meta.language),
        mandatories=meta.mandatories, bible=bible, scenes=[Scene(number=n, heading=h) for n, h in scenes.items()],
        shots=shots,
        source={"planner": planner, "format": fmt, "filename": getattr(brief, "filename", "") or "",
                "pages": getattr(brief, "page_count", None), "sha256": getattr(brief, "sha256", "") or ""},
    )
    for shot in board.shots:
        shot.prompt = build_prompt(shot, board, scenes.get(shot.scene, ""))
    return board


def plan_rules(brief) -> Storyboard:
    """The brief → a Storyboard, offline and deterministic. What the board could not satisfy of the checks the LLM
    planner must pass (:func:`storyboard.validate.validate_board`) is recorded in ``board.source["problems"]``."""
    meta = read_meta(brief)
    blocks = segment(brief)
    warnings: list[str] = []
    fmt, drafts = read_shots(brief, meta, blocks, warnings)
    drafts = select_cutdown(drafts, getattr(brief, "text", "") or "", meta.target_duration_s, warnings)
    name = getattr(brief, "filename", "") or "the brief"
    if not drafts:
        raise StoryboardError(f"{name}: no shots found (no storyboard table, shot list, screenplay scene or story text)")
    if fmt == "prose" and not has_visual_content(blocks):
        raise StoryboardError(f"{name}: no visual content: nothing in it describes a picture (it reads as front "
                              "matter, specs, prices or an invoice, not a brief)")
    direct(drafts, meta, fmt)
    place_lines(drafts, meta, fmt, voice_cues(blocks))
    direct(drafts, meta, fmt)  # an end card added for a mandatory gets its camera too
    board = build_board(brief, meta, fmt, drafts)
    inferred = [s.id for s, d in zip(board.shots, drafts) if d.size_inferred]
    if inferred:
        board.source = {**board.source, "sizes_inferred": inferred}
    if warnings:
        board.source = {**board.source, "warnings": warnings}
    problems = validate_board(board, brief=brief)  # recorded, not hidden
    if problems:
        board.source = {**board.source, "problems": problems}
    return board
