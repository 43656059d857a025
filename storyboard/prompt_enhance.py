"""The prompt enhancer: a shot becomes a Wan prompt in the shape Wan's published guidance gives.

Wan's prompt guidance (Alibaba's formula for Wan 2.x, and the rewriting instructions of Wan's own prompt extension,
``wan/utils/prompt_extend.py``) reads a prompt as: **subject and its look**, **scene**, **motion**, **camera
language**, **lighting / atmosphere**, **style**; in the language the model is prompted in; the original's quoted
text kept as written; about 80-100 words. Two modes:

- ``rules`` (offline, deterministic; ``storyboard.wan_prompt``): those six parts from the shot's own fields, the bible's words verbatim,
  the board's style, tone and aspect. ``storyboard.provenance`` re-makes such a prompt when its fields change.
- ``llm`` (when a chat model is configured, ``BRIEFREEL_LLM`` or a LangChain model): the model rewrites the rules
  prompt by the same guidance; its answer must pass :func:`validate_prompt` (length, language, every named bible
  description verbatim, no quoted text and no brand or model name that the board does not hold) or the rules
  prompt is used, and the reason is kept.

    board, report = enhance_board(board, mode="rules")   # or mode="llm", model=chat_model
    problems = validate_prompt(text, shot, board)        # [] when it passes
"""

from __future__ import annotations

import re
from typing import Any

from briefreel.storyboard.prompts import visual_tone
from briefreel.storyboard.provenance import effective_prompt, prompt_basis, source_for
from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.storyboard.vocabulary import label
from briefreel.storyboard.wan_prompt import board_lang, enhance_rules

__all__ = ["MODES", "enhance_rules", "enhance_llm", "enhance_board", "validate_prompt"]

MODES = ("rules", "llm")
# Lengths a Wan prompt should keep: the guidance asks for ~80-100 words; the text encoder reads 512 tokens.
MIN_WORDS, MAX_WORDS = 8, 160
MIN_CHARS_ZH, MAX_CHARS_ZH = 15, 320
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUOTED = re.compile(r'"([^"]{1,200})"|“([^”]{1,200})”|「([^」]{1,200})」|‘([^’]{1,200})’')
_NAME = re.compile(r"(?<![\w'])([A-Z][A-Za-z0-9&'-]*[A-Za-z0-9]|[A-Za-z]*\d[\w-]*)(?![\w'])")

SYSTEM = {
    "en": ("You rewrite one storyboard shot into a prompt for the Wan text-to-video model. Follow Wan's prompt "
           "guidance: subject and its look, then the scene, the motion, the camera language (shot size, angle, "
           "move), the lighting and the style, as one paragraph of plain English of {lo}-{hi} words. Keep every "
           "character, product and place description given under 'Keep verbatim' word for word. Do not add "
           "products, brands, logos, on-screen text, quotes or people that are not in the shot. Keep the shot's "
           "own camera move. Answer with the prompt only."),
    "zh": ("你把一个分镜镜头改写成万相（Wan）文生视频模型的提示词。按万相的提示词指南：主体及其外观、场景、运动、"
           "镜头语言（景别、角度、运镜）、光线、风格，写成一段{lo}到{hi}字的中文。“保持原文”下列出的人物、产品、"
           "场景描述必须逐字保留。不要加入镜头里没有的产品、品牌、标志、画面文字、引号或人物。保持镜头自己的运镜。"
           "只回答提示词本身。"),
}


# -- the validator ----------------------------------------------------------------------------------------------------

def _source_text(shot: Shot, board: Storyboard) -> str:
    """Everything a prompt may draw words from: the shot's fields, its scene, the board's bible, title, style,
    tone, mandatories, and the rules prompt itself (its vocabulary)."""
    heading = next((s.heading for s in board.scenes if s.number == shot.scene), "")
    fields = [shot.description, shot.dialogue, shot.on_screen_text, shot.movement_note, shot.prompt, heading,
              board.title, board.style, board.tone, *board.mandatories, enhance_rules(shot, board)]
    fields += [f"{b.name} {b.description}" for b in board.bible]
    return "\n".join(f for f in fields if f)


def _words(text: str) -> int:
    return len(re.findall(r"[\w'-]+", text))


def validate_prompt(text: str, shot: Shot, board: Storyboard) -> list[str]:
    """Problems of a prompt for ``shot``; [] when it is fit to render: its length, its language, the bible's
    descriptions of the shot's entries verbatim, no quoted text and no brand/model name the board does not hold."""
    problems: list[str] = []
    zh = board_lang(board) == "zh"
    text = (text or "").strip()
    if not text:
        return ["empty prompt"]
    if zh:
        n = len(_CJK.findall(text))
        if n < MIN_CHARS_ZH or len(text) > MAX_CHARS_ZH:
            problems.append(f"length: {len(text)} characters ({n} Chinese); keep {MIN_CHARS_ZH}-{MAX_CHARS_ZH}")
        letters = len(re.findall(r"[A-Za-z]", text))
        if n < letters:
            problems.append("language: the board is Chinese, the prompt is mostly not")
    else:
        n = _words(text)
        if n < MIN_WORDS or n > MAX_WORDS:
            problems.append(f"length: {n} words; keep {MIN_WORDS}-{MAX_WORDS}")
        source_cjk = len(_CJK.findall(_source_text(shot, board)))
        if len(_CJK.findall(text)) > source_cjk:
            problems.append("language: the board is English, the prompt has Chinese the shot does not")
    bible = {b.id: b for b in board.bible}
    for cid in shot.characters:
        entry = bible.get(cid)
        if entry and entry.description.strip() and entry.description not in text:
            problems.append(f"bible: {entry.id} ({entry.name}) is not in its own words: {entry.description!r}")
    source = _source_text(shot, board)
    low = source.lower()
    for m in _QUOTED.finditer(text):
        quoted = next(g for g in m.groups() if g)
        if quoted.lower() not in low:
            problems.append(f"invented text: {quoted!r} is not in the shot")
    known = {w.lower() for w in re.findall(r"[\w'&-]+", source)}
    invented = []
    for m in _NAME.finditer(text):
        word = m.group(1)
        start = m.start()
        before = text[:start].rstrip()
        sentence_start = not before or before[-1] in ".!?:;。！？：；\"“"
        if word.lower() in known or (sentence_start and not any(ch.isdigit() for ch in word) and not word.isupper()):
            continue
        invented.append(word)
    if invented:
        problems.append(f"invented names: {', '.join(dict.fromkeys(invented))} (not in the board)")
    return problems


# -- the LLM mode -----------------------------------------------------------------------------------------------------

def _request(shot: Shot, board: Storyboard, draft: str) -> str:
    zh = board_lang(board) == "zh"
    bible = {b.id: b for b in board.bible}
    keep = [bible[c].description for c in shot.characters if c in bible and bible[c].description]
    heading = next((s.heading for s in board.scenes if s.number == shot.scene), "")
    rows = [("Shot", f"{shot.id}, {label(shot.size, 'en')}, {label(shot.angle, 'en')}, "
                     f"{shot.movement.value}{', ' + shot.movement_speed if shot.movement_speed else ''}, "
                     f"{shot.duration_s:g} s"),
            ("Scene", heading), ("Description", shot.description), ("On screen", shot.on_screen_text),
            ("Style", board.style), ("Tone", visual_tone(board.tone)), ("Aspect", board.aspect_ratio),
            ("Keep verbatim", " | ".join(keep)), ("Draft prompt", draft),
            ("Language", "Chinese" if zh else "English")]
    return "\n".join(f"{k}: {v}" for k, v in rows if v)


def _reply_text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        content = "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    text = str(content).strip()
    text = re.sub(r"^```\w*\s*|\s*```$", "", text).strip()
    text = re.sub(r"^(?:prompt|提示词)\s*[:：]\s*", "", text, flags=re.I)
    return text.strip().strip('"“”').strip()


def enhance_llm(shot: Shot, board: Storyboard, model: Any, *, repairs: int = 1) -> tuple[str, str, list[str]]:
    """(prompt, mode used, problems of the model's answers). The model's answer when it passes
    :func:`validate_prompt` (after up to ``repairs`` retries told what was wrong); else the rules prompt."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    lang = board_lang(board)
    lo, hi = (60, 120) if lang == "zh" else (50, 100)
    draft = enhance_rules(shot, board)
    messages = [SystemMessage(SYSTEM[lang].format(lo=lo, hi=hi)), HumanMessage(_request(shot, board, draft))]
    seen: list[str] = []
    for attempt in range(repairs + 1):
        try:
            answer = model.invoke(messages)
        except Exception as exc:  # noqa: BLE001 - a model that fails falls back to the rules
            seen.append(f"model error: {type(exc).__name__}: {str(exc)[:160]}")
            break
        text = _reply_text(answer)
        problems = validate_prompt(text, shot, board)
        if not problems:
            return text, "llm", seen
        seen += problems
        messages += [AIMessage(text), HumanMessage("Fix these and answer with the prompt only: " + "; ".join(problems))]
    return draft, "rules", seen


def enhance_board(board: Storyboard, mode: str = "rules", model: Any = None,
                  keep_manual: bool = True) -> tuple[Storyboard, dict[str, dict[str, Any]]]:
    """A copy of ``board`` whose prompts are the enhancer's, each stamped (``made``: ``enhancer`` for the rules
    mode, ``llm`` for an accepted model answer); and per shot what happened. Hand-written prompts are kept
    (``keep_manual``). ``mode="llm"`` with no model configured raises ``NoModelConfigured``."""
    if mode not in MODES:
        raise ValueError(f"unknown enhancer mode {mode!r} (choose one of {', '.join(MODES)})")
    chat = None
    if mode == "llm":
        from briefreel.storyboard.llm_models import resolve_model

        chat, _ = resolve_model(model)
    new = board.model_copy(deep=True)
    report: dict[str, dict[str, Any]] = {}
    for shot, orig in zip(new.shots, board.shots):
        how = effective_prompt(orig, board)[1]
        if keep_manual and how in ("manual", "edited"):
            report[shot.id] = {"mode": "kept", "why": f"hand-written prompt ({how})"}
            continue
        if chat is not None:
            text, used, problems = enhance_llm(orig, board, chat)
        else:
            text, used, problems = enhance_rules(orig, board), "rules", []
        shot.prompt = text
        shot.prompt_source = source_for("llm" if used == "llm" else "enhancer", text, prompt_basis(orig, board))
        report[shot.id] = {"mode": used, **({"problems": problems} if problems else {})}
    return new, report
