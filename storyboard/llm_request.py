"""What the LLM planner tells the model: the system prompt, the lines to place, the brief cut into parts, the
request for each part and the repair message.

    lines = spoken_lines(brief, draft)                       # every VO/dialogue line an answer must place once
    parts = split_brief(brief, draft, lines, chunk_chars)    # [{"text", "shots", "lines", "target"}, ...]
    request_text(draft, parts[0], 0, len(parts), meta_facts(brief))

A short brief is one part. A long one is cut with langchain-text-splitters' ``RecursiveCharacterTextSplitter``;
each part gets the draft shots and the lines found in its text, and its share of the running time.
"""

from __future__ import annotations

import bisect
import json
import re

from briefreel.storyboard.llm_schema import planner_view
from briefreel.storyboard.meta import read_meta
from briefreel.storyboard.schema import Storyboard
from briefreel.storyboard.validate import brief_lines, brief_text, norm_line

# -- the system prompt ---------------------------------------------------------------------------------------------

SYSTEM = """You are a commercial film director and storyboard artist. You turn a client's brief into the shot \
list you would hand your crew. A rules-based planner already drafted it; start from that draft and improve it.

Rules:
- One shot = one camera set-up and one action. Keep the brief's own shots: if the brief numbers or tabulates \
shots, keep the same shots in the same order; keep every size, angle, move and duration the brief states.
- size: EWS LS FS MLS MS MCU CU ECU OTS POV INSERT (中景 MLS/MS, 近景 MCU, 特写 CU, 大特写 ECU, 全景 FS, 远景 LS).
- angle: eye_level high low overhead worms_eye dutch (俯拍 high, 仰拍 low, 鸟瞰/顶拍 overhead).
- movement (the primary move; put secondary moves in movement_note): static push_in pull_out dolly_in \
dolly_out zoom_in zoom_out pan pan_left pan_right tilt tilt_up tilt_down truck_left truck_right pedestal_up \
pedestal_down crane_up crane_down follow arc whip_pan handheld aerial roll dolly_zoom. "Drone tracking" is \
aerial with follow in the note; 推 push_in, 拉 pull_out, 左摇/右摇 pan_left/pan_right, 移 truck, 跟 follow.
- Where the brief gives no camera cue, choose as a director would: open on an establishing wide, product \
close-ups on the product, a static end card.
- duration_s: seconds per shot; the shots must add up exactly to the running time you are given; no shot \
under 1.5 s unless the brief says so. Use null to let the software spread the time.
- Every voice-over/dialogue line you are given goes, word for word, into the dialogue of exactly one shot; \
never invent dialogue. dialogue_kind: vo, dialogue or super.
- bible: each recurring character, product or place once, with a fixed visual description; list the ids \
in each shot's characters. Reuse the draft's bible ids.
- Write description in the brief's language. Leave prompt empty unless you can write a better text-to-video \
prompt (subject, action, setting, light, camera move in words, style).
Answer with the storyboard only."""


# -- the lines each answer must place ----------------------------------------------------------------------------

def spoken_lines(brief, draft: Storyboard) -> list[str]:
    """The lines each answer must place once: the VO section the rules' metadata reader found, and what the
    draft's shots speak, cleaned of what the rules may have caught with it: only the quoted words where there are
    quotes, no speaker labels, no bracketed sounds, nothing the brief tags as SFX or music."""
    try:
        lines = list(brief_lines(brief) or [])
    except Exception:
        lines = []
    text = brief_text(brief)
    for shot in draft.shots:
        if shot.dialogue.strip() and shot.dialogue_kind != "super":
            for piece in _speech(shot.dialogue):
                if not _tagged_sound(piece, text):
                    # sentence by sentence: where the rules put two speakers' lines in one shot, the model may
                    # split them into shot and reverse shot
                    lines += [m.strip() for m in _SENTENCE_END.findall(piece) if _long_enough(m)]
    out, seen = [], set()
    for line in lines:
        key = norm_line(line)
        if len(key) >= 2 and key not in seen and not any(key in k for k in seen):
            seen.add(key)
            out.append(line)
    return out


_SENTENCE_END = re.compile(r"[^.!?。！？…]+(?:[.!?。！？…]+[”\"」』]?|$)")


def _long_enough(sentence: str) -> bool:
    key = norm_line(sentence)
    return len(key) >= (2 if re.search(r"[\u3400-\u9fff]", key) else 4)


_SPEAKER_SPLIT = re.compile(r"\s+(?=[^\s:：]{1,20}[:：]\s)")
_SPEAKER_LABEL = re.compile(r"^[^\s:：]{1,20}[:：]\s*")
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|「([^」]+)」|『([^』]+)』")
_BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]|^[^(（]*[)）]|[(（][^)）]*$")
_ON_SCREEN = re.compile(r"(?:SUPER|TITLE|CAPTION|ON[- ]SCREEN|字幕|标题)(?![a-z])", re.IGNORECASE)
_SOUND_TAG = r"(?:SFX|FX|Music|Sound|Audio|Ambience|音效|音乐|音响|配乐|声音|环境音)\s*[:：]?\s*"


def _speech(dialogue: str) -> list[str]:
    out = []
    for part in _SPEAKER_SPLIT.split(dialogue.strip()):
        if _ON_SCREEN.match(part.strip()):
            continue  # a super the rules took for speech
        part = _SPEAKER_LABEL.sub("", part.strip(), count=1)
        quoted = ["".join(g) for g in _QUOTED.findall(part)]
        for piece in quoted or [part]:
            piece = _BRACKETED.sub("", piece).strip(" —-–")
            if piece:
                out.append(piece)
    return out


def _tagged_sound(line: str, text: str) -> bool:
    head = re.escape(line.strip()[:12])
    return bool(head and re.search(_SOUND_TAG + head, text, re.IGNORECASE))


# -- parts of a long brief ---------------------------------------------------------------------------------------

def split_brief(brief, draft: Storyboard, lines: list[str], chunk_chars: int) -> list[dict]:
    """Cut the brief's text and hand each piece its draft shots, its VO lines and its share of time."""
    text = _text(brief)
    if len(text) <= chunk_chars:
        return [{"text": text, "shots": list(draft.shots), "lines": list(lines),
                 "target": draft.target_duration_s}]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_chars, chunk_overlap=0, add_start_index=True, keep_separator=True,
        separators=["\n\n\n", "\nINT.", "\nEXT.", "\n\n", "\n", "。", ". ", " ", ""],
    )
    docs = splitter.create_documents([text])
    starts = [d.metadata.get("start_index", 0) for d in docs]
    parts = [{"text": d.page_content, "shots": [], "lines": [], "target": None} for d in docs]

    def part_of(offset: int) -> int:
        return max(0, bisect.bisect_right(starts, offset) - 1)

    norm_text, index = _norm_with_index(text)
    cursor = 0  # shots and lines come in brief order: search forward from the last match
    for shot in draft.shots:
        at = _find(norm_text, index, shot.dialogue or shot.description, cursor)
        if at is None and shot.source_page:
            at = _page_offset(brief, shot.source_page)
        if at is None:
            at = cursor
        cursor = max(cursor, at)
        parts[part_of(at)]["shots"].append(shot)
    spoken = ["\n".join(norm_line(s.dialogue) for s in p["shots"]) for p in parts]
    for line in lines:
        # a line goes with the part whose draft shot speaks it, else with the text it is in
        key = norm_line(line)
        owner = next((k for k, said in enumerate(spoken) if key in said), None)
        if owner is None:
            owner = part_of(_find(norm_text, index, line, 0) or 0)
        parts[owner]["lines"].append(line)
    for p in parts:
        if p["shots"]:
            p["target"] = round(sum(s.duration_s for s in p["shots"]), 1)
    _fit_budgets([p for p in parts if p["shots"]], draft.target_duration_s)
    return parts


def _fit_budgets(parts: list[dict], target: float | None) -> None:
    """Scale the parts' shares of time so they add up to the target even where the draft's timing does not."""
    total = sum(p["target"] for p in parts)
    if not parts or target is None or abs(total - target) <= 0.05 or total <= 0:
        return
    for p in parts:
        p["target"] = round(p["target"] * target / total, 1)
    parts[-1]["target"] = round(target - sum(p["target"] for p in parts[:-1]), 1)


def _text(brief) -> str:
    return brief if isinstance(brief, str) else str(getattr(brief, "text", "") or "")


def _norm_with_index(text: str) -> tuple[str, list[int]]:
    """``norm_line(text)`` and, for each of its characters, the offset in ``text`` it came from."""
    out, index = [], []
    for m in re.finditer(r"[^\W_]+", text):
        for i, ch in enumerate(m.group(), m.start()):
            n = norm_line(ch)
            out.append(n)
            index.extend([i] * len(n))
    return "".join(out), index


def _find(norm_text: str, index: list[int], needle: str, start_offset: int) -> int | None:
    n = norm_line(needle)[:40]
    if len(n) < 4:
        return None
    start = bisect.bisect_left(index, start_offset)
    at = norm_text.find(n, start)
    if at < 0:
        at = norm_text.find(n)
    return index[at] if at >= 0 else None


def _page_offset(brief, page: int) -> int | None:
    pages = getattr(brief, "pages", None)
    if not pages:
        return None
    offset = 0
    for p in pages:
        if p.number == page:
            return offset
        if p.text:
            offset += len(p.text) + 2
    return None


# -- the request and the repair -----------------------------------------------------------------------------------

def request_text(draft: Storyboard, part: dict, i: int, n: int, meta: dict | None = None) -> str:
    facts = {
        "title": draft.title,
        "language": draft.language,
        "aspect_ratio": draft.aspect_ratio,
        "running_time_s": part["target"],
        "style": draft.style,
        "tone": draft.tone,
        "mandatories": draft.mandatories,
        **(meta or {}),
        "voice_over_and_dialogue_lines": part["lines"],
    }
    sketch = {
        "bible": [b.model_dump(include={"id", "kind", "name", "description"}) for b in draft.bible],
        "shots": [planner_view(s) for s in part["shots"]],
    }
    head = f"Part {i + 1} of {n} of a long brief. " if n > 1 else ""
    return (
        f"{head}Facts read from the brief:\n{json.dumps(facts, ensure_ascii=False, indent=1)}\n\n"
        f"The rules planner's draft for this part:\n{json.dumps(sketch, ensure_ascii=False, indent=1)}\n\n"
        f"The brief{' (this part)' if n > 1 else ''}:\n<<<\n{part['text']}\n>>>\n\n"
        f"Return the improved storyboard{' for this part' if n > 1 else ''}: "
        f"{'the shots must add up to ' + format(part['target'], 'g') + ' s. ' if part['target'] else ''}"
        f"Keep the bible ids of the draft."
    )


def meta_facts(brief) -> dict:
    """What else the rules' metadata reader found: end card, tagline, named products, characters and places."""
    if not hasattr(brief, "pages"):
        return {}
    try:
        meta = read_meta(brief)
    except Exception:
        return {}
    out = {"end_card_s": getattr(meta, "end_card_s", None), "end_card_text": getattr(meta, "end_card_text", ""),
           "tagline": getattr(meta, "tagline", "")}
    for key in ("products", "characters", "places"):
        items = getattr(meta, key, None) or []
        out[key] = [item[1] if isinstance(item, (tuple, list)) and len(item) > 1 else str(item) for item in items]
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def repair_text(problems: list[str]) -> str:
    """The message that sends a failed answer back: its problems, and the ask for the whole board again."""
    listed = "\n".join(f"- {p}" for p in problems[:30])
    return (f"That storyboard does not pass validation:\n{listed}\n\n"
            "Fix every problem and return the complete corrected storyboard (all shots, not only the changed ones).")
