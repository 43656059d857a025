"""Check a storyboard against the contract and against its brief; both planners call this.

    from briefreel.storyboard.validate import validate_board
    problems = validate_board(board, brief=brief, target=30.0)   # [] when the board is good

Each problem is one human-readable sentence naming the shot, so it can be shown to a user or handed back to an
LLM as the reason to try again ("S03: duration 0.8 s is under 1.5 s"). ``board`` may be a
:class:`~storyboard.schema.Storyboard` or a plain dict (an LLM's raw answer): a dict that does not even fit the
schema gives the schema's complaints, worded for a reader, and no further checks.

What is checked:

- enums (size, angle, movement, ...) valid, shot ids unique, prompts and descriptions non-empty;
- durations positive, summing to ``target`` (or the board's ``target_duration_s``) within 0.05 s, none under
  1.5 s unless the brief itself gave that duration;
- every voice-over/dialogue line of the brief in exactly one shot's ``dialogue`` (when the lines are known:
  ``lines=`` or the brief's metadata, see :func:`brief_lines`), and no shot speaking words the brief never had
  (when the brief's text is given);
- bible ids unique, shot references resolving, and each bible description pasted verbatim in the prompt of every
  shot that refers to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from briefreel.storyboard.meta import read_meta
from briefreel.storyboard.schema import MIN_SHOT_S, Storyboard

SUM_TOLERANCE_S = 0.05

__all__ = ["validate_board", "brief_lines", "brief_text", "stated_durations", "norm_line", "SUM_TOLERANCE_S", "MIN_SHOT_S"]


def validate_board(
    board: Storyboard | dict,
    brief: Any = None,
    target: float | None = None,
    *,
    lines: Iterable[str] | None = None,
) -> list[str]:
    """Return the board's problems as sentences (an empty list when it is good).

    ``brief`` is the :class:`parsers.Brief` (or its text) the board was planned from: it supplies the VO/dialogue
    lines (unless ``lines`` is given) and the durations the brief states, which may go under 1.5 s.
    ``target`` overrides the board's ``target_duration_s``.
    """
    if isinstance(board, dict):
        try:
            board = Storyboard.model_validate(board)
        except ValidationError as exc:
            return schema_problems(exc)
    problems: list[str] = []
    shots = board.shots

    # -- ids, text ------------------------------------------------------------------------------------------------
    seen: dict[str, int] = {}
    for shot in shots:
        seen[shot.id] = seen.get(shot.id, 0) + 1
    for sid, n in seen.items():
        if n > 1:
            problems.append(f"shot id {sid} is used {n} times; ids must be unique")
    for shot in shots:
        if not shot.description.strip():
            problems.append(f"{shot.id}: the description is empty")
        if not shot.prompt.strip():
            problems.append(f"{shot.id}: the prompt is empty")

    # -- durations ------------------------------------------------------------------------------------------------
    stated = stated_durations(brief_text(brief))
    for shot in shots:
        d = shot.duration_s
        if not d > 0:
            problems.append(f"{shot.id}: duration {d:g} s is not positive")
        elif d < MIN_SHOT_S - 1e-9 and not any(abs(d - s) < 0.01 for s in stated):
            problems.append(f"{shot.id}: duration {d:g} s is under {MIN_SHOT_S:g} s (the brief does not ask for it)")
    goal = target if target is not None else board.target_duration_s
    if goal is not None:
        total = sum(s.duration_s for s in shots)
        if abs(total - goal) > SUM_TOLERANCE_S:
            problems.append(
                f"durations sum to {total:.2f} s but the target is {goal:g} s "
                f"({'over' if total > goal else 'short'} by {abs(total - goal):.2f} s)"
            )

    # -- VO / dialogue coverage -----------------------------------------------------------------------------------
    known = list(lines) if lines is not None else brief_lines(brief)
    if known:
        problems += _coverage(board, known)
    text = brief_text(brief)
    if text:
        problems += _invented(board, text)
    problems += _repeated(board, text, known or [])

    # -- bible ----------------------------------------------------------------------------------------------------
    by_id: dict[str, Any] = {}
    for entry in board.bible:
        if entry.id in by_id:
            problems.append(f"bible id {entry.id} is used twice")
        by_id[entry.id] = entry
        if not entry.description.strip():
            problems.append(f"bible {entry.id} ({entry.name}) has an empty description")
    for shot in shots:
        for ref in shot.characters:
            entry = by_id.get(ref)
            if entry is None:
                problems.append(f"{shot.id}: refers to bible id {ref}, which is not in the bible")
            elif entry.description.strip() and entry.description not in shot.prompt:
                problems.append(
                    f"{shot.id}: the prompt must contain the bible description of {ref} ({entry.name}) word for word"
                )
    return problems


# -- VO lines -----------------------------------------------------------------------------------------------------

def _coverage(board: Storyboard, known: list[str]) -> list[str]:
    problems: list[str] = []
    spoken = {s.id: "" if s.dialogue_kind == "super" else norm_line(s.dialogue) for s in board.shots}
    wanted = [(line, norm_line(line)) for line in known]
    wanted = [(line, n) for line, n in wanted if n]
    for line, n in wanted:
        where = [sid for sid, text in spoken.items() if n in text]
        if not where:
            problems.append(f"the line {_quote(line)} is not in any shot's dialogue")
        elif len(where) > 1:
            # A short line inside a longer one ("Yes." in "Yes. We did.") is only a repeat if the longer is not
            # itself a brief line containing it.
            longer = [m for _, m in wanted if m != n and n in m]
            real = [sid for sid in where if not any(m in spoken[sid] for m in longer)]
            if len(real) > 1:
                problems.append(f"the line {_quote(line)} is in shots {', '.join(real)}; it must be in exactly one")
    return problems


_SENTENCE = re.compile(r"(?<=[.!?…。！？])\s*|\n+")
_SPEAKER = re.compile(r"^\s*[^:：\s][^:：]{0,24}[:：]\s*")


def _sentences(dialogue: str) -> list[str]:
    parts = [norm_line(_SPEAKER.sub("", p, count=1)) for p in _SENTENCE.split(dialogue)]
    return [p for p in parts if len(p) >= 2]


def _repeated(board: Storyboard, source_text: str, known: list[str]) -> list[str]:
    """A spoken sentence heard in two shots, though the brief says it once (lines the caller listed are
    checked by _coverage already)."""
    listed = {norm_line(k) for k in known}
    where: dict[str, list[str]] = {}
    for shot in board.shots:
        if shot.dialogue_kind == "super":
            continue
        for sentence in dict.fromkeys(_sentences(shot.dialogue)):
            where.setdefault(sentence, []).append(shot.id)
    corpus = norm_line(source_text) if source_text else ""
    problems = []
    for sentence, ids in where.items():
        if len(ids) < 2 or len(sentence) < 4 or any(sentence in k for k in listed):
            continue
        if corpus and corpus.count(sentence) >= len(ids):
            continue  # the brief itself repeats it
        shot = board.shot(ids[0])
        text = next(p for p in _SENTENCE.split(shot.dialogue) if norm_line(_SPEAKER.sub("", p, count=1)) == sentence)
        problems.append(f"the line {_quote(text)} is in shots {', '.join(ids)}; it must be in exactly one")
    return problems


def _invented(board: Storyboard, source_text: str) -> list[str]:
    """Dialogue no sentence of which is in the brief: the planner made it up."""
    corpus = norm_line(source_text)
    problems = []
    for shot in board.shots:
        if not shot.dialogue.strip() or shot.dialogue_kind == "super":
            continue
        parts = _sentences(shot.dialogue)
        missing = [p for p in parts if p not in corpus]
        if parts and missing:
            problems.append(f"{shot.id}: the dialogue {_quote(shot.dialogue)} is not in the brief; use its lines "
                            "word for word and invent none")
    return problems


def brief_lines(brief: Any) -> list[str] | None:
    """The brief's VO/dialogue lines, when they can be known: a ``lines``/``vo_lines`` attribute or key of
    ``brief``, or what ``storyboard.meta.read_meta`` finds in a :class:`parsers.Brief`. ``None`` when unknown."""
    if brief is None or isinstance(brief, str):
        return None
    for key in ("lines", "vo_lines", "voiceover_lines", "dialogue_lines"):
        got = brief.get(key) if isinstance(brief, dict) else getattr(brief, key, None)
        if got is not None:
            # supers are on-screen text: they may sit in on_screen_text rather than dialogue
            return [_line_text(x) for x in got if _line_kind(x) != "super"]
    if hasattr(brief, "pages"):
        return brief_lines(read_meta(brief))
    return None


def _line_kind(item: Any) -> str:
    return str(item.get("kind", "") if isinstance(item, dict) else getattr(item, "kind", ""))


def _line_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return str(item.get("text", ""))
    return str(getattr(item, "text", item))


_KEEP = re.compile(r"[\W_]+", re.UNICODE)


def norm_line(text: str) -> str:
    """Letters, digits and CJK only, case-folded: punctuation, quotes and spacing do not decide a match."""
    return _KEEP.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


# -- durations the brief states -----------------------------------------------------------------------------------

_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:s\b|secs?\b|seconds?\b|sek\b|\"|″|秒)|:(\d{2})\b|(\d+(?:\.\d+)?)\s*(?:f\b|frames?\b|帧)",
    re.IGNORECASE,
)


def stated_durations(text: str) -> set[float]:
    """Every duration written in ``text`` ("1s", "0.5 sec", "1秒", ":01", "12 frames" at 24 fps), in seconds."""
    out: set[float] = set()
    for m in _DURATION.finditer(text or ""):
        if m.group(1):
            out.add(float(m.group(1)))
        elif m.group(2):
            out.add(float(m.group(2)))
        elif m.group(3):
            out.add(round(float(m.group(3)) / 24.0, 3))
    for m in _SPAN.finditer(text or ""):  # "5–6s", "0:05–0:06", "第5-6秒": a span on the clock states its length
        a, b = (_span_seconds(x) for x in m.groups() if x is not None)
        if b > a:
            out.add(round(b - a, 3))
    return out


_POINT = r"(\d{1,2}:\d{2}(?:\.\d+)?|\d+(?:\.\d+)?)"
_SPAN = re.compile(r"(?<![A-Za-z] )(?<![A-Za-z0-9_.:])(?:(\d{1,2}:\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2}:\d{2})(?!\d)|" +
                   _POINT + r"\s*(?:s|sec|秒|''|\"|″)?\s*(?:-|–|—|~|～|至|到)\s*" + _POINT +
                   r"(?=\s*(?:s\b|sec|秒|''|\"|″|[\]】)）:：])))")


def _span_seconds(token: str) -> float:
    if ":" in token:
        m, s = token.split(":")
        return int(m) * 60 + float(s)
    return float(token)


def brief_text(brief: Any) -> str:
    """The brief's whole text (a Brief, a dict with "text", or a string), with its table cells appended whole."""
    if brief is None:
        return ""
    if isinstance(brief, str):
        return brief
    if isinstance(brief, dict):
        return str(brief.get("text", ""))
    text = str(getattr(brief, "text", "") or "")
    # Wrapped table cells interleave in the page text; the cells themselves hold each line whole.
    cells = [cell for _, table in (getattr(brief, "tables", None) or []) for row in table for cell in row if cell]
    return text + ("\n\n" + "\n".join(cells) if cells else "")


# -- schema errors, worded for a reader ---------------------------------------------------------------------------

def schema_problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as sentences: ``shots[3] (S03).size: 'WIDE' is not allowed; use one of EWS, LS, ...``."""
    out = []
    for err in exc.errors(include_url=False):
        where = _loc(err.get("loc", ()))
        got = err.get("input")
        kind = err.get("type", "")
        if kind == "enum" or kind == "literal_error":
            allowed = (err.get("ctx") or {}).get("expected", "")
            out.append(f"{where}: {got!r} is not allowed; use one of {allowed}")
        elif kind == "missing":
            out.append(f"{where}: missing")
        else:
            out.append(f"{where}: {err.get('msg', 'invalid')} (got {_short(got)})")
    return out


def _loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part + 1}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "board"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
