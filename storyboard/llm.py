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

This module is the planning loop (steps 1, 4, 5 and the merge of parts). The rest, one concern each:
``llm_schema`` (what the model fills in, and reading its reply), ``llm_request`` (what it is told: the system
prompt, the lines to place, the parts of a long brief, the request and repair texts) and ``llm_models``
(LangChain: resolving ``BRIEFREEL_LLM``, the structured-output invoker). Their public names are re-exported here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from briefreel.storyboard.durations import natural_seconds, spread
from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.llm_models import ENV_MODEL, clip, langchain_invoker, resolve_model
from briefreel.storyboard.llm_request import SYSTEM, meta_facts, repair_text, request_text, split_brief, spoken_lines
from briefreel.storyboard.llm_schema import (
    InvokeStructured,
    NoModelConfigured,
    PlannerAnswerError,
    PlannerBoard,
    PlannerShot,
    planner_schema,
    tidy_answer,
)
from briefreel.storyboard.prompts import build_prompt
from briefreel.storyboard.rules import plan_rules
from briefreel.storyboard.schema import BibleEntry, Scene, Shot, Storyboard
from briefreel.storyboard.validate import norm_line, schema_problems, validate_board

DEFAULT_CHUNK_CHARS = 12_000

__all__ = [
    "plan_llm", "plan_with", "langchain_invoker", "resolve_model", "planner_schema", "PlannerBoard",
    "PlannerShot", "NoModelConfigured", "PlannerAnswerError", "DEFAULT_CHUNK_CHARS", "ENV_MODEL", "InvokeStructured",
]


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
        return _fallback(plan_rules(brief), str(exc), model_name="")
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
    draft = draft if draft is not None else plan_rules(brief)
    lines = spoken_lines(brief, draft)
    stats = {"attempts": 0, "repairs": 0, "chunks": 0}
    try:
        parts = split_brief(brief, draft, lines, chunk_chars)
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
            raise StoryboardError(f"the LLM planner failed: {type(exc).__name__}: {clip(str(exc))}") from exc
        return _fallback(draft, f"the model raised {type(exc).__name__}: {clip(str(exc))}", model_name, stats)
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


# -- asking, checking, repairing -----------------------------------------------------------------------------------

def _ask(invoke: InvokeStructured, brief, draft: Storyboard, part: dict, i: int, n: int, max_repairs: int,
         stats: dict) -> Storyboard:
    schema = planner_schema()
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": request_text(draft, part, i, n, meta_facts(brief))}]
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
        messages.append({"role": "user", "content": repair_text(problems)})
    where = f" (part {i + 1} of {n})" if n > 1 else ""
    raise _Failed(f"still invalid after {max_repairs} repairs{where}: " + "; ".join(problems[:5]))


def _check(answer: dict, brief, draft: Storyboard, part: dict) -> tuple[Storyboard | None, list[str]]:
    """Turn an answer into a board (code does durations, ids, prompts) and list what is wrong with it."""
    try:
        plan = PlannerBoard.model_validate(tidy_answer(answer))
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


# -- an answer becomes a board ------------------------------------------------------------------------------------

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
        text = prompt.strip() or build_prompt(shot, board)
        missing = [known[c].description for c in shot.characters
                   if c in known and known[c].description and known[c].description not in text]
        if missing:
            text = " ".join(missing) + " " + text
        shot.prompt = text.strip()


def _spread(shots: list["PlannerShot"], target: float | None) -> list[float]:
    """Durations for the shots the model left open (``None``), with the rules' spread: the model's numbers are
    kept, the rest share what is left of ``target`` by content (none under 1.5 s)."""
    weights = [natural_seconds(s.description, s.dialogue, s.size) for s in shots]
    fixed = {i: float(s.duration_s) for i, s in enumerate(shots) if s.duration_s is not None}
    if target is None:
        target = sum(fixed.values()) + sum(w for i, w in enumerate(weights) if i not in fixed)
    return spread(weights, target, fixed)


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
