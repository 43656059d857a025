"""The LLM planner: a chat model improves the rules planner's draft, checked by the same validator.

    from briefreel.storyboard.llm import plan_llm
    board = plan_llm(brief)                         # model from BRIEFREEL_LLM, e.g. "openai:gpt-4o-mini"
    board = plan_llm(brief, model=my_chat_model)    # any LangChain BaseChatModel
    board.source["planner"]                         # "llm", or "rules" with "llm_fallback_reason"

How a board is made, top to bottom:

1. The rules planner writes a draft (:func:`storyboard.plan_rules`): target length, aspect, VO lines, the shots
   it found, their durations and the bible. The model starts from it, so it can only improve it.
2. The brief's text is cut with langchain-text-splitters' ``RecursiveCharacterTextSplitter`` into chunks of
   ``chunk_chars``; a short brief is one chunk. Each chunk is asked for with its share of the draft shots, of the
   VO lines and of the running time.
3. The model answers in a planner-facing schema (:class:`PlannerBoard`: the shot fields an LLM should decide, with
   the enums spelled out) through structured output: ``with_structured_output`` (tool calling) where the model
   has it, else a JSON-only reply parsed here.
4. Code does the rest: missing durations are spread by the rules' :func:`storyboard.durations.spread`, ids are
   renumbered S01.., missing prompts are written by the rules' prompt builder, bible descriptions are pasted
   verbatim into the prompts that refer to them.
5. Every answer goes through :func:`storyboard.validate.validate_board`; a failing answer is sent back with the
   problems listed ("S03: duration 0.8 s is under 1.5 s") up to ``max_repairs`` times. A model that still fails,
   raises, or is not configured gives the rules' board (``fallback=True``) with the reason in
   ``board.source["llm_fallback_reason"]``, or a :class:`~storyboard.errors.StoryboardError`.

The model is configuration, never a requirement: ``BRIEFREEL_LLM`` holds a spec ``provider:model``
("openai:gpt-4o-mini", "ollama:qwen2.5", "anthropic:claude-3-5-haiku-latest"); ``langchain``'s
``init_chat_model`` reads it when installed, otherwise the provider package (langchain-openai, langchain-ollama,
langchain-anthropic) is used directly. OpenAI-compatible endpoints take ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

Provider-agnostic core: :func:`plan_with` takes any function ``invoke_structured(messages, schema) -> dict``, where
``messages`` is a list of ``{"role": "system"|"user"|"assistant", "content": str}`` and ``schema`` a JSON Schema
dict; the Dify plugin wraps the workspace model's ``session.model.llm_structured_output.invoke(...)`` in it.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.schema import Angle, BibleEntry, Movement, Scene, Shot, ShotSize, Storyboard
from briefreel.storyboard.validate import brief_lines, brief_text, norm_line, schema_problems, validate_board

DEFAULT_CHUNK_CHARS = 12_000
ENV_MODEL = "BRIEFREEL_LLM"

InvokeStructured = Callable[[list[dict], dict], dict]

__all__ = [
    "plan_llm", "plan_with", "langchain_invoker", "resolve_model", "planner_schema", "PlannerBoard",
    "PlannerShot", "NoModelConfigured", "PlannerAnswerError", "DEFAULT_CHUNK_CHARS",
]


class NoModelConfigured(StoryboardError):
    """``planner="llm"`` with no chat model given and ``BRIEFREEL_LLM`` unset (or its provider not installed)."""

    code = "llm_unavailable"


class PlannerAnswerError(Exception):
    """The model's reply was not a JSON object of the asked-for shape; the message says why (fed back to it)."""


# -- what the model fills in --------------------------------------------------------------------------------------

SizeName = Literal[tuple(m.value for m in ShotSize)]  # type: ignore[valid-type]
AngleName = Literal[tuple(m.value for m in Angle)]  # type: ignore[valid-type]
MoveName = Literal[tuple(m.value for m in Movement)]  # type: ignore[valid-type]


class PlannerBibleEntry(BaseModel):
    id: str = Field(description="C1, C2 for characters; P1 for products; L1 for places; R1 for props.")
    kind: Literal["character", "product", "place", "prop"]
    name: str
    description: str = Field(description="One fixed visual description (look, clothes, colours, materials).")


class PlannerShot(BaseModel):
    scene: int = Field(default=1, ge=1, description="Scene number, 1-based.")
    scene_heading: str = Field(default="", description="Location/time of the scene, e.g. 'EXT. HARBOUR - DAWN'.")
    size: SizeName = Field(description="Shot size.")
    angle: AngleName = "eye_level"
    movement: MoveName = Field(default="static", description="The primary camera move.")
    movement_speed: Literal["slow", "medium", "fast"] | None = None
    movement_note: str = Field(default="", description="Secondary moves and camera remarks.")
    duration_s: float | None = Field(default=None, gt=0, description="Seconds; null to let code spread time.")
    description: str = Field(min_length=1, description="What we see: subject, action, setting (one action).")
    dialogue: str = Field(default="", description="The brief's VO/dialogue line heard in this shot, verbatim.")
    dialogue_kind: Literal["dialogue", "vo", "super", ""] = ""
    speaker: str = ""
    characters: list[str] = Field(default_factory=list, description="Bible ids visible in this shot.")
    on_screen_text: str = ""
    prompt: str = Field(default="", description="Text-to-video prompt; empty to let code write it.")


class PlannerBoard(BaseModel):
    """A storyboard: the shots of the brief, in order, and the bible of recurring characters/products/places."""

    title: str = ""
    style: str = ""
    tone: str = ""
    bible: list[PlannerBibleEntry] = Field(default_factory=list)
    shots: list[PlannerShot] = Field(default_factory=list)


def planner_schema() -> dict:
    """The JSON Schema the model answers in (named ``storyboard`` for tool calling)."""
    schema = PlannerBoard.model_json_schema()
    schema["title"] = "storyboard"
    return schema


# -- entry points -------------------------------------------------------------------------------------------------

def plan_llm(
    brief,
    *,
    model: Any = None,
    max_repairs: int = 2,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    fallback: bool = True,
) -> Storyboard:
    """Plan ``brief`` with a LangChain chat model (``model``, or the ``BRIEFREEL_LLM`` spec); see the module doc."""
    try:
        chat, name = resolve_model(model)
    except NoModelConfigured as exc:
        if not fallback:
            raise
        return _fallback(_draft(brief), str(exc), model_name="")
    return plan_with(
        brief, langchain_invoker(chat), max_repairs=max_repairs, chunk_chars=chunk_chars, fallback=fallback,
        model_name=name,
    )


def plan_with(
    brief,
    invoke_structured: InvokeStructured,
    *,
    max_repairs: int = 2,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    fallback: bool = True,
    model_name: str = "custom",
    draft: Storyboard | None = None,
) -> Storyboard:
    """Plan ``brief`` with any structured-output function; the core that :func:`plan_llm` and the plugin share.

    ``invoke_structured(messages, schema) -> dict`` gets chat messages as ``{"role", "content"}`` dicts (roles
    ``system``, ``user``, ``assistant``) and the JSON Schema of :class:`PlannerBoard`, and returns the model's
    answer as a dict. It may raise :class:`PlannerAnswerError` for an unusable reply (that counts as a failed
    attempt and is repaired); any other exception ends the LLM run (rules fallback, or
    :class:`StoryboardError` when ``fallback`` is false). For Dify::

        def invoke(messages, schema):
            prompt = [{"system": SystemPromptMessage, "user": UserPromptMessage,
                       "assistant": AssistantPromptMessage}[m["role"]](content=m["content"]) for m in messages]
            res = session.model.llm_structured_output.invoke(model_config, prompt,
                                                             structured_output_schema=schema, stream=False)
            return res.structured_output

        board = plan_with(brief, invoke, model_name=model_config["model"])
    """
    draft = draft if draft is not None else _draft(brief)
    lines = _lines(brief, draft)
    stats = {"attempts": 0, "repairs": 0, "chunks": 0}
    try:
        parts = _chunks(brief, draft, lines, chunk_chars)
        stats["chunks"] = len(parts)
        answers = []
        for i, part in enumerate(parts):
            if not part["shots"]:
                continue  # context only (background, objective...): nothing to storyboard here
            answers.append(_ask(invoke_structured, brief, draft, part, i, len(parts), max_repairs, stats))
        if not answers:
            raise _Failed("the rules draft has no shots to improve")
        board = _merge(answers, draft)
        problems = validate_board(board, brief=brief, target=draft.target_duration_s, lines=lines)
        if problems:
            raise _Failed("the merged board is invalid: " + "; ".join(problems[:5]))
    except _Failed as exc:
        if not fallback:
            raise StoryboardError(f"the LLM planner failed: {exc}") from None
        return _fallback(draft, str(exc), model_name, stats)
    except Exception as exc:  # the model raised: network, quota, provider bug
        if not fallback:
            raise StoryboardError(f"the LLM planner failed: {type(exc).__name__}: {_clip(str(exc))}") from exc
        return _fallback(draft, f"the model raised {type(exc).__name__}: {_clip(str(exc))}", model_name, stats)
    board.source = {**draft.source, "planner": "llm", "model": model_name, "llm": stats}
    return board


class _Failed(Exception):
    pass


def _fallback(draft: Storyboard, reason: str, model_name: str, stats: dict | None = None) -> Storyboard:
    board = draft.model_copy(deep=True)
    source = {**draft.source, "planner": "rules", "llm_fallback_reason": reason}
    if model_name:
        source["model"] = model_name
    if stats:
        source["llm"] = stats
    board.source = source
    return board


# -- the rules planner's part -------------------------------------------------------------------------------------

def _draft(brief) -> Storyboard:
    from briefreel.storyboard import plan_rules

    return plan_rules(brief)


def _lines(brief, draft: Storyboard) -> list[str]:
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


def _spread(shots: list["PlannerShot"], target: float | None) -> list[float]:
    """Durations for the shots the model left open (``None``), with the rules' spread: the model's numbers are
    kept, the rest share what is left of ``target`` by content (none under 1.5 s)."""
    from briefreel.storyboard.durations import natural_seconds, spread

    weights = [natural_seconds(s.description, s.dialogue, s.size) for s in shots]
    fixed = {i: float(s.duration_s) for i, s in enumerate(shots) if s.duration_s is not None}
    if target is None:
        target = sum(fixed.values()) + sum(w for i, w in enumerate(weights) if i not in fixed)
    return spread(weights, target, fixed)


def _build_prompt(shot: Shot, board: Storyboard) -> str:
    from briefreel.storyboard.prompts import build_prompt

    return build_prompt(shot, board)


# -- chunks -------------------------------------------------------------------------------------------------------

def _chunks(brief, draft: Storyboard, lines: list[str], chunk_chars: int) -> list[dict]:
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


# -- asking -------------------------------------------------------------------------------------------------------

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


def _ask(invoke: InvokeStructured, brief, draft: Storyboard, part: dict, i: int, n: int, max_repairs: int,
         stats: dict) -> Storyboard:
    schema = planner_schema()
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": _request(draft, part, i, n, _meta_facts(brief))}]
    problems: list[str] = []
    for attempt in range(max_repairs + 1):
        stats["attempts"] += 1
        if attempt:
            stats["repairs"] += 1
        try:
            answer = invoke(messages, schema)
            if not isinstance(answer, dict):
                raise PlannerAnswerError(f"the answer must be a JSON object, not {type(answer).__name__}")
        except PlannerAnswerError as exc:
            answer, problems = None, [str(exc)]
        else:
            board, problems = _check(answer, brief, draft, part)
            if not problems:
                return board
        messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)
                         if answer is not None else "(no usable answer)"})
        messages.append({"role": "user", "content": _repair(problems)})
    where = f" (part {i + 1} of {n})" if n > 1 else ""
    raise _Failed(f"still invalid after {max_repairs} repairs{where}: " + "; ".join(problems[:5]))


def _request(draft: Storyboard, part: dict, i: int, n: int, meta: dict | None = None) -> str:
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
        "shots": [_planner_view(s) for s in part["shots"]],
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


def _meta_facts(brief) -> dict:
    """What else the rules' metadata reader found: end card, tagline, named products, characters and places."""
    if not hasattr(brief, "pages"):
        return {}
    try:
        from briefreel.storyboard.meta import read_meta

        meta = read_meta(brief)
    except Exception:
        return {}
    out = {"end_card_s": getattr(meta, "end_card_s", None), "end_card_text": getattr(meta, "end_card_text", ""),
           "tagline": getattr(meta, "tagline", "")}
    for key in ("products", "characters", "places"):
        items = getattr(meta, key, None) or []
        out[key] = [item[1] if isinstance(item, (tuple, list)) and len(item) > 1 else str(item) for item in items]
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def _planner_view(shot: Shot) -> dict:
    d = shot.model_dump(mode="json", include=set(PlannerShot.model_fields) - {"prompt", "scene_heading"})
    return {k: v for k, v in d.items() if v not in ("", [], None) or k in ("size", "duration_s", "description")}


def _repair(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems[:30])
    return (f"That storyboard does not pass validation:\n{listed}\n\n"
            "Fix every problem and return the complete corrected storyboard (all shots, not only the changed ones).")


def _check(answer: dict, brief, draft: Storyboard, part: dict) -> tuple[Storyboard | None, list[str]]:
    """Turn an answer into a board (code does durations, ids, prompts) and list what is wrong with it."""
    try:
        plan = PlannerBoard.model_validate(_tidy(answer))
    except ValidationError as exc:
        return None, schema_problems(exc)
    if not plan.shots:
        return None, ["the storyboard has no shots"]
    try:
        board = _to_board(plan, draft, part["target"])
    except (ValidationError, ValueError) as exc:
        problems = schema_problems(exc) if isinstance(exc, ValidationError) else [str(exc)]
        return None, problems
    return board, validate_board(board, brief=brief, target=part["target"], lines=part["lines"])


def _tidy(answer: dict) -> dict:
    """Forgive how an enum value is written: "Push In", "push-in", "close-up", "bird's eye", "推镜头" become
    push_in, CU, overhead, push_in through the rules' camera vocabulary. A value that names nothing is left for the
    validator to report."""
    from briefreel.storyboard.vocabulary import CELL, parse_angle, parse_movement, parse_size

    answer = dict(answer)
    if "shots" not in answer and len(answer) == 1:  # {"storyboard": {...}}: some models wrap their answer
        inner = next(iter(answer.values()))
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except ValueError:
                pass
        if isinstance(inner, dict) and "shots" in inner:
            answer = dict(inner)
    if isinstance(answer.get("shots"), str):
        try:
            answer["shots"] = json.loads(answer["shots"])
        except ValueError:
            pass
    shots = []
    for s in answer.get("shots") or []:
        if isinstance(s, dict):
            s = dict(s)
            for key, enum, parse in (("size", ShotSize, parse_size), ("angle", Angle, parse_angle),
                                     ("movement", Movement, lambda t, m: parse_movement(t, m)[0])):
                value = s.get(key)
                if not isinstance(value, str) or value in enum._value2member_map_:
                    continue
                plain = re.sub(r"[\s\-]+", "_", value.strip())
                for guess in (plain.upper(), plain.lower()):
                    if guess in enum._value2member_map_:
                        s[key] = guess
                        break
                else:
                    try:
                        found = parse(value.replace("_", " "), CELL)
                    except Exception:
                        found = None
                    if found is not None:
                        s[key] = found.value
        shots.append(s)
    if "shots" in answer:
        answer["shots"] = shots
    return answer


def _to_board(plan: PlannerBoard, draft: Storyboard, target: float | None) -> Storyboard:
    shots = plan.shots
    durations = [s.duration_s for s in shots]
    if any(d is None for d in durations):
        durations = _spread(shots, target)
    bible = [BibleEntry(**b.model_dump()) for b in plan.bible] or [b.model_copy() for b in draft.bible]
    board = Storyboard(
        title=plan.title or draft.title,
        language=draft.language,
        target_duration_s=draft.target_duration_s,
        aspect_ratio=draft.aspect_ratio,
        style=plan.style or draft.style,
        tone=plan.tone or draft.tone,
        negative_prompt=draft.negative_prompt,
        mandatories=list(draft.mandatories),
        bible=bible,
        scenes=_scenes(shots, draft),
        shots=[_shot(s, k, d, draft) for k, (s, d) in enumerate(zip(shots, durations))],
        source=dict(draft.source),
    )
    _write_prompts(board, [s.prompt for s in shots])
    return board


def _shot(s: PlannerShot, k: int, duration: float, draft: Storyboard) -> Shot:
    return Shot(
        id=f"S{k + 1:02d}",
        scene=s.scene,
        size=s.size,
        angle=s.angle,
        movement=s.movement,
        duration_s=duration,
        description=s.description.strip(),
        dialogue=s.dialogue.strip(),
        dialogue_kind=s.dialogue_kind or ("vo" if s.dialogue.strip() else ""),
        speaker=s.speaker,
        movement_speed=s.movement_speed,
        movement_note=s.movement_note,
        negative_prompt=draft.negative_prompt,
        characters=list(dict.fromkeys(s.characters)),
        on_screen_text=s.on_screen_text,
        prompt="",
    )


def _scenes(shots: list[PlannerShot], draft: Storyboard) -> list[Scene]:
    headings: dict[int, str] = {sc.number: sc.heading for sc in draft.scenes}
    for s in shots:
        if s.scene_heading and s.scene not in headings:
            headings[s.scene] = s.scene_heading
    return [Scene(number=n, heading=headings.get(n, "")) for n in sorted({s.scene for s in shots})]


def _write_prompts(board: Storyboard, given: list[str]) -> None:
    """The model's prompt when it wrote one, else the rules' builder; then every bible description verbatim."""
    known = {b.id: b for b in board.bible}
    for shot, prompt in zip(board.shots, given):
        text = prompt.strip() or _build_prompt(shot, board)
        missing = [known[c].description for c in shot.characters
                   if c in known and known[c].description and known[c].description not in text]
        if missing:
            text = " ".join(missing) + " " + text
        shot.prompt = text.strip()


# -- merging chunks -----------------------------------------------------------------------------------------------

def _merge(boards: list[Storyboard], draft: Storyboard) -> Storyboard:
    """One board from the parts' boards: bibles united (same name, same id), shots renumbered S01.., scenes
    numbered in order of appearance."""
    if len(boards) == 1:
        return boards[0]
    bible: dict[str, BibleEntry] = {}
    by_name: dict[str, str] = {}
    shots: list[Shot] = []
    scene_base = 0
    scenes: list[Scene] = []
    for board in boards:
        remap: dict[str, str] = {}
        for entry in board.bible:
            key = norm_line(entry.name)
            if key in by_name:
                remap[entry.id] = by_name[key]
                continue
            new_id = entry.id
            while new_id in bible:
                new_id = _next_id(new_id, bible)
            remap[entry.id] = new_id
            bible[new_id] = entry.model_copy(update={"id": new_id})
            by_name[key] = new_id
        numbers = {}
        for shot in board.shots:
            if shot.scene not in numbers:
                numbers[shot.scene] = scene_base + len(numbers) + 1
                heading = next((sc.heading for sc in board.scenes if sc.number == shot.scene), "")
                scenes.append(Scene(number=numbers[shot.scene], heading=heading))
            refs = [remap.get(c, c) for c in shot.characters]
            new = shot.model_copy(update={"scene": numbers[shot.scene], "characters": list(dict.fromkeys(refs))})
            new.prompt = _repaste(shot.prompt, board, bible, shot.characters, remap)
            shots.append(new)
        scene_base += len(numbers)
    for k, shot in enumerate(shots):
        shot.id = f"S{k + 1:02d}"
    first = boards[0]
    return Storyboard(
        title=first.title, language=draft.language, target_duration_s=draft.target_duration_s,
        aspect_ratio=draft.aspect_ratio, style=first.style, tone=first.tone, negative_prompt=draft.negative_prompt,
        mandatories=list(draft.mandatories), bible=list(bible.values()), scenes=scenes, shots=shots,
        source=dict(draft.source),
    )


def _repaste(prompt: str, board: Storyboard, bible: dict[str, BibleEntry], refs: list[str], remap: dict) -> str:
    """When a part's bible entry merged into an earlier one, swap in the earlier (canonical) description."""
    local = {b.id: b for b in board.bible}
    for ref in refs:
        old, new = local.get(ref), bible.get(remap.get(ref, ref))
        if old and new and old.description != new.description:
            prompt = prompt.replace(old.description, new.description) if old.description in prompt \
                else new.description + " " + prompt
    return prompt


def _next_id(bid: str, taken: dict) -> str:
    m = re.match(r"^(.*?)(\d+)$", bid)
    stem, n = (m.group(1), int(m.group(2))) if m else (bid, 1)
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


# -- LangChain ----------------------------------------------------------------------------------------------------

def resolve_model(model: Any = None) -> tuple[Any, str]:
    """``(chat_model, name)`` from a BaseChatModel, a spec string, or ``BRIEFREEL_LLM``."""
    if model is not None and not isinstance(model, str):
        return model, getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    spec = (model or os.environ.get(ENV_MODEL, "")).strip()
    if not spec:
        raise NoModelConfigured(
            f"no LLM is configured: set {ENV_MODEL} (e.g. 'openai:gpt-4o-mini' or 'ollama:qwen2.5') or pass a "
            "LangChain chat model"
        )
    provider, _, name = spec.partition(":") if ":" in spec else ("", "", spec)
    try:
        from langchain.chat_models import init_chat_model  # type: ignore[import-not-found]
    except ImportError:
        init_chat_model = None
    try:
        if init_chat_model is not None:
            return init_chat_model(name, model_provider=provider or None, temperature=0), spec
        return _direct(provider or "openai", name), spec
    except ImportError as exc:
        raise NoModelConfigured(f"{ENV_MODEL}={spec!r} needs a provider package that is not installed ({exc.name}); "
                                f"pip install langchain-{provider or 'openai'}") from None
    except Exception as exc:
        raise NoModelConfigured(f"the model {spec!r} could not be set up: {type(exc).__name__}: {_clip(str(exc))}") \
            from None


def _direct(provider: str, name: str):
    if provider == "openai":
        from langchain_openai import ChatOpenAI  # type: ignore[import-not-found]

        return ChatOpenAI(model=name, temperature=0)
    if provider == "ollama":
        from langchain_ollama import ChatOllama  # type: ignore[import-not-found]

        return ChatOllama(model=name, temperature=0)
    if provider == "anthropic":
        from langchain_anthropic import ChatAnthropic  # type: ignore[import-not-found]

        return ChatAnthropic(model=name, temperature=0)
    raise NoModelConfigured(f"unknown provider {provider!r}: install 'langchain' for init_chat_model's providers, "
                            "or use openai:, ollama: or anthropic:")


def langchain_invoker(chat) -> InvokeStructured:
    """``invoke_structured`` for a LangChain chat model: tool-calling structured output where the model has it,
    else a JSON-only reply parsed here."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}

    def invoke(messages: list[dict], schema: dict) -> dict:
        lc = [kinds[m["role"]](content=m["content"]) for m in messages]
        try:
            runnable = chat.with_structured_output(schema, include_raw=True)
        except NotImplementedError:
            runnable = None
        if runnable is None:
            return _json_reply(chat.invoke(_with_schema(lc, schema)).content)
        out = runnable.invoke(lc)
        if out.get("parsed") is not None:
            return out["parsed"]
        raw = out.get("raw")
        content = getattr(raw, "content", "")
        if isinstance(content, str) and content.strip():
            return _json_reply(content)  # some models answer in text despite the tool
        raise PlannerAnswerError(f"the answer could not be read as the storyboard: {out.get('parsing_error')}")

    return invoke


def _with_schema(lc: list, schema: dict) -> list:
    from langchain_core.messages import SystemMessage

    note = ("\n\nReply with one JSON object and nothing else, matching this JSON Schema:\n"
            + json.dumps(schema, ensure_ascii=False))
    if lc and isinstance(lc[0], SystemMessage):
        return [SystemMessage(content=str(lc[0].content) + note), *lc[1:]]
    return [SystemMessage(content=note.strip()), *lc]


def _json_reply(content: Any) -> dict:
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = str(content).strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise PlannerAnswerError("the answer held no JSON object; reply with the storyboard as one JSON object")
    try:
        value = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise PlannerAnswerError(f"the answer was not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise PlannerAnswerError("the answer must be a JSON object")
    return value


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
