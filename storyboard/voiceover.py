"""A separate voice-over or dialogue section, aligned onto the shots, and shot times that leave room to say it.

    cues = read_cues(block_lines)            # [Cue(line, scene=2, shot=None, start=None), ...]
    align(cues, drafts, starts)              # each cue's line goes into one draft's ``lines``
    durations = fit_speech(durations, drafts, target, fixed)

A VO script marks where its lines go in one of three ways, tried in this order:

1. **shot markers** ("Shot 3:", "镜头3：", "#3") → the draft with that number;
2. **scene markers** ("【场景二】", "[Scene 2]", "SCENE 2 — KITCHEN", "第二场") → the shots of that scene (the drafts'
   ``scene`` when the shots carry scenes; else the k-th marker goes to the k-th stretch of shots);
3. **timecodes** ("00:05", "0:05–0:08", "5–8s") → the shot playing at that time;

and, where it marks nothing, **order**: the lines are spread over the shots from first to last, one per shot where
there are enough. Within a scene, a character's line goes to the shot that shows the speaker where one does.
Parentheticals ("(quietly)", "（轻声）") are notes, never spoken; "MUSIC:"/"SFX:" lines are sound, not lines.

Durations then respect the spoken length (:func:`storyboard.durations.speech_seconds`: ~2.5 words/s in English,
~4.5 characters/s in Chinese): a shot shorter than its lines takes what it needs from the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefreel.storyboard.draft import Draft, SpokenLine, parse_spoken, spoken_line, strip_quotes
from briefreel.storyboard.durations import speech_seconds, spread, zh_number
from briefreel.storyboard.enumerations import line_marker
from briefreel.storyboard.items import SOUND_TAGS, strip_parenthetical


@dataclass
class Cue:
    line: SpokenLine
    scene: int | None = None  # the scene marker above it (1-based)
    shot: str | None = None  # a shot number ("3") from "Shot 3:" / "镜头3："
    start: float | None = None  # seconds on the film's clock
    sfx: bool = False  # a sound cue, not a line


_ZH = "一二三四五六七八九十"
_SCENE = re.compile(r"^\s*[【\[(（]?\s*(?:scene|sc\.?|场景|第)\s*(?P<n>\d{1,3}|[" + _ZH + r"]{1,3})\s*(?:场)?\s*[】\])）]?"
                    r"\s*(?:[:：\-–—.]\s*)?(?P<rest>.*)$", re.I)
_SHOT = re.compile(r"^\s*[【\[(（#]?\s*(?:shot|镜头|镜号|#)\s*(?P<n>\d{1,3}[A-Za-z]?|[" + _ZH + r"]{1,3})\s*[】\])）]?"
                   r"\s*(?:[:：\-–—.]\s*)?(?P<rest>.*)$", re.I)
_TIME = re.compile(r"^\s*[\[【(（]?\s*(?P<t>\d{1,2}:\d{2}|\d+(?:\.\d+)?(?=\s*(?:s|秒|''|″)?\s*[-–—~～至]))")
_SOUND_LINE = re.compile(r"^\s*(?:" + "|".join(re.escape(t) for t in SOUND_TAGS) + r")\s*[:：]", re.I)


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    value = zh_number(token)
    return int(value) if value else None


def _clock(token: str) -> float:
    if ":" in token:
        m, s = token.split(":")
        return int(m) * 60 + float(s)
    return float(token)


def read_cues(lines: list[str]) -> list[Cue]:
    """The lines of a VO/dialogue section as cues, each with the marker above it (scene, shot or time)."""
    cues: list[Cue] = []
    scene: int | None = None
    shot: str | None = None
    start: float | None = None
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        m = _SCENE.match(text)
        if m and _number(m.group("n")) and (len(text) <= 40 or text[:1] in "【[(（"):
            scene, shot, start = _number(m.group("n")), None, None
            text = m.group("rest").strip()
            if not text or len(text) <= 20 and not (":" in text or "：" in text):
                continue  # "【场景二】" or "SCENE 2 — KITCHEN": a marker only
        m = _SHOT.match(text)
        if m and _number(m.group("n").rstrip("ABCDEFGHabcdefgh")) is not None:
            shot = str(_number(m.group("n").rstrip("ABCDEFGHabcdefgh")))
            text = m.group("rest").strip()
            if not text:
                continue
        marker = line_marker(text)
        if marker is not None and marker.start is not None:
            start = marker.start
            text = marker.rest
        else:
            t = _TIME.match(text)
            if t and ":" in t.group("t"):
                start = _clock(t.group("t"))
                text = text[t.end():].strip().lstrip(")）]】 -–—:：").strip()
        if not text:
            continue
        if _SOUND_LINE.match(text) or (text[:1] in "(（" and text[-1:] in ")）"):
            cues.append(Cue(SpokenLine(text.split(":", 1)[-1].split("：", 1)[-1].strip(" ()（）"), "sfx", ""),
                            scene, shot, start, sfx=True))
            continue
        tagged = spoken_line(text)
        said = [tagged] if tagged else parse_spoken(text, "vo")
        for ln in said:
            if ln.kind == "sfx":
                cues.append(Cue(ln, scene, shot, start, sfx=True))
                continue
            body, _ = strip_parenthetical(ln.text)
            body = strip_quotes(body)
            if body:
                cues.append(Cue(SpokenLine(body, ln.kind, ln.speaker or ("VO" if ln.kind == "vo" else "")), scene, shot,
                                start))
    return cues


def _spread_onto(lines: list[SpokenLine], targets: list[int], drafts: list[Draft]) -> None:
    """Lines in order over the drafts ``targets`` (indices, in order): a character's line to a shot that names the
    speaker when one does, else the k-th line to the (k·n/m)-th shot."""
    if not targets:
        return
    for k, line in enumerate(lines):
        at = targets[min(len(targets) - 1, k * len(targets) // len(lines))]
        if line.kind == "dialogue" and line.speaker:
            named = [i for i in targets if line.speaker.split(" (")[0].lower() in drafts[i].description.lower()]
            free = [i for i in named if not any(ln.kind != "super" for ln in drafts[i].lines)]
            if free or named:
                at = (free or named)[0]
        drafts[at].lines.append(line)


def _slots(drafts: list[Draft]) -> list[int]:
    """The shots a line may go to: not the end card, not a shot that already speaks (unless none is free)."""
    free = [i for i, d in enumerate(drafts) if d.role != "endcard" and not any(ln.kind != "super" for ln in d.lines)]
    return free or [i for i, d in enumerate(drafts) if d.role != "endcard"] or list(range(len(drafts)))


def align(cues: list[Cue], drafts: list[Draft], starts: list[float] | None = None) -> str:
    """Put each cue's line into one draft; returns how they were aligned ("shot", "scene", "time", "order" or "")."""
    spoken = [c for c in cues if not c.sfx]
    if not spoken or not drafts:
        return ""
    numbers = {d.number: i for i, d in enumerate(drafts) if d.number}
    if numbers and all(c.shot in numbers for c in spoken):
        for c in spoken:
            drafts[numbers[c.shot]].lines.append(c.line)
        return "shot"
    if all(c.scene is not None for c in spoken):
        scenes = sorted({c.scene for c in spoken})
        draft_scenes = sorted({d.scene for d in drafts})
        if set(scenes) <= set(draft_scenes) and len(draft_scenes) > 1:
            groups = {s: [i for i, d in enumerate(drafts) if d.scene == s and d.role != "endcard"] or
                      [i for i, d in enumerate(drafts) if d.scene == s] for s in scenes}
        else:  # the shots carry no scenes: the k-th marked scene is the k-th stretch of shots
            slots = [i for i, d in enumerate(drafts) if d.role != "endcard"] or list(range(len(drafts)))
            n = len(scenes)
            groups = {s: slots[k * len(slots) // n:(k + 1) * len(slots) // n] or [slots[min(len(slots) - 1, k)]]
                      for k, s in enumerate(scenes)}
        for s in scenes:
            _spread_onto([c.line for c in spoken if c.scene == s], groups[s], drafts)
        return "scene"
    if starts is not None and all(c.start is not None for c in spoken):
        for c in spoken:
            at = max((i for i, t in enumerate(starts) if t <= c.start + 1e-6), default=0)
            drafts[at].lines.append(c.line)
        return "time"
    _spread_onto([c.line for c in spoken], _slots(drafts), drafts)
    return "order"


def sound_for(cues: list[Cue], drafts: list[Draft]) -> None:
    """Sound cues of a marked VO script onto the first shot of their scene (unmarked ones stay with the brief)."""
    scenes = {}
    for i, d in enumerate(drafts):
        scenes.setdefault(d.scene, i)
    for c in cues:
        if c.sfx and c.scene in scenes:
            d = drafts[scenes[c.scene]]
            d.sfx = (d.sfx + "; " + c.line.text).strip("; ") if c.line.text not in d.sfx else d.sfx


def speech_floor(draft: Draft) -> float:
    """Seconds the draft's spoken lines take to say (supers are read, not said)."""
    said = " ".join(ln.text for ln in draft.lines if ln.kind in ("vo", "dialogue"))
    return speech_seconds(said) if said else 0.0


def fit_speech(durations: list[float], drafts: list[Draft], target: float | None, fixed: dict[int, float],
               weights: list[float] | None = None, step: float = 0.1) -> list[float]:
    """Durations where no unstated shot is shorter than its lines: such a shot is pinned at its speaking time
    (rounded up to ``step``) and the other unstated shots share the rest of the target again."""
    if target is None:
        return [max(d, round(-(-speech_floor(dr) // step) * step, 3)) if i not in fixed else d
                for i, (d, dr) in enumerate(zip(durations, drafts))]
    pinned = dict(fixed)
    out = list(durations)
    for _ in range(len(drafts)):
        short = [i for i, dr in enumerate(drafts) if i not in pinned and out[i] + 1e-9 < speech_floor(dr)]
        if not short:
            return out
        for i in short:
            pinned[i] = round(-(-speech_floor(drafts[i]) // step) * step, 3)
        if len(pinned) == len(drafts) or target - sum(pinned.values()) < 1.5 * (len(drafts) - len(pinned)):
            return out  # the target cannot hold the lines: the stated target wins, as before
        out = spread(weights or durations, target, pinned)
    return out
