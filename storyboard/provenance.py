"""Prompts that follow edits: how each prompt was made, and the prompt a render actually uses.

A planner stamps every prompt it writes (:func:`stamp`): who made it (``rules``, ``llm``, ``enhancer``), a digest
of the fields it was made from (``basis``) and a digest of its text (``sha``). At render
(:func:`resolve_prompts`):

- a hand-written prompt (``made: manual``, or a made prompt whose text no longer matches its ``sha`` because
  someone edited it in shots.json) is kept word for word;
- a made prompt whose basis is unchanged is kept as made (an LLM's wording survives);
- a made prompt whose basis changed (the description, the camera, a named bible entry, the style...) is made
  again from the current fields, by the rules builder (or the enhancer's rules mode when the enhancer made it);
- a prompt with no record (a shots.json from before provenance) is kept when set and built when empty.

The board's negative prompt is the same: ``default`` (the language's list) follows the language; anything else is
kept. A shot's own ``negative_prompt`` is always the user's and wins over the board's.

    board, notes = resolve_prompts(board)   # a copy with the effective prompts; notes[shot_id] says what happened
"""

from __future__ import annotations

import hashlib
import json

from briefreel.storyboard.schema import PromptSource, Shot, Storyboard

# The fields build_prompt reads (storyboard.prompts.build_prompt): a change in any of them makes the prompt again.
SHOT_FIELDS = ("size", "angle", "movement", "movement_speed", "movement_note", "description", "characters", "scene")
BOARD_FIELDS = ("language", "style", "tone", "aspect_ratio")


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]


def text_sha(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


def prompt_basis(shot: Shot, board: Storyboard) -> str:
    """Digest of everything a shot's prompt is made from: its own fields, its scene heading, the bible entries it
    names (their words), the board's language, style, tone and aspect ratio. Other shots and other bible entries
    are not in it, so editing a character re-makes exactly the prompts of the shots that name them."""
    data = shot.model_dump(mode="json", include=set(SHOT_FIELDS))
    bible = {b.id: b for b in board.bible}
    data["bible"] = [[c, bible[c].kind, bible[c].description] for c in shot.characters if c in bible]
    data["heading"] = next((s.heading for s in board.scenes if s.number == shot.scene), "")
    data["board"] = board.model_dump(mode="json", include=set(BOARD_FIELDS))
    return digest(data)


def negative_basis(board: Storyboard) -> str:
    return digest({"language": board.language})


def source_for(made: str, text: str, basis: str) -> PromptSource:
    return PromptSource(made=made, basis=basis, sha=text_sha(text))


def make_prompt(shot: Shot, board: Storyboard, made: str = "rules") -> str:
    """A prompt made from the current fields: the enhancer's rules mode when the enhancer made it, else the rules
    builder (an LLM prompt whose fields changed is rebuilt by the rules: the model is not asked again at render)."""
    if made == "enhancer":
        from briefreel.storyboard.wan_prompt import enhance_rules

        return enhance_rules(shot, board)
    from briefreel.storyboard.prompts import build_prompt

    return build_prompt(shot, board)


def stamp(board: Storyboard, planner: str = "rules") -> Storyboard:
    """Record how the planner's prompts were made (in place; returns ``board``). A prompt equal to the rules
    builder's is ``rules``; another one is ``planner``'s (``llm``); the negative prompt equal to the language's
    default list is ``default``. Prompts that already carry a record keep it."""
    from briefreel.storyboard.prompts import build_prompt, negative_prompt

    for shot in board.shots:
        if shot.prompt_source is not None or not shot.prompt.strip():
            continue
        made = "rules" if shot.prompt == build_prompt(shot, board) else planner
        shot.prompt_source = source_for(made, shot.prompt, prompt_basis(shot, board))
    if board.negative_prompt_source is None and board.negative_prompt.strip():
        made = "default" if board.negative_prompt == negative_prompt(board.language) else "manual"
        board.negative_prompt_source = source_for(made, board.negative_prompt, negative_basis(board))
    return board


def effective_prompt(shot: Shot, board: Storyboard) -> tuple[str, str]:
    """(the prompt to render, what happened: ``manual`` | ``edited`` | ``kept`` | ``remade`` | ``built`` |
    ``unrecorded``)."""
    src = shot.prompt_source
    if src is None:
        if shot.prompt.strip():
            return shot.prompt, "unrecorded"
        return make_prompt(shot, board), "built"
    if src.made == "manual":
        return shot.prompt, "manual"
    if shot.prompt.strip() and src.sha and text_sha(shot.prompt) != src.sha:
        return shot.prompt, "edited"  # its text was changed by hand: the user's words win
    if shot.prompt.strip() and src.basis == prompt_basis(shot, board):
        return shot.prompt, "kept"
    return make_prompt(shot, board, src.made), "remade"


def effective_negative(board: Storyboard) -> tuple[str, str]:
    """(the board's negative prompt to render, what happened)."""
    from briefreel.storyboard.prompts import negative_prompt

    src = board.negative_prompt_source
    if src is None or src.made != "default":
        return board.negative_prompt, "manual" if src is not None else "unrecorded"
    if board.negative_prompt.strip() and src.sha and text_sha(board.negative_prompt) != src.sha:
        return board.negative_prompt, "edited"
    if src.basis == negative_basis(board):
        return board.negative_prompt, "kept"
    return negative_prompt(board.language), "remade"


def resolve_prompts(board: Storyboard) -> tuple[Storyboard, dict[str, dict[str, str]]]:
    """A copy of ``board`` whose prompts are the ones to render, and per shot id what happened:
    ``{"made": "rules", "prompt": "remade", "negative_prompt": "kept"}``. Remade prompts get a fresh record (as
    they would if the planner had made them from these fields). The board passed in is not changed."""
    new = board.model_copy(deep=True)
    negative, neg_how = effective_negative(board)
    if neg_how == "remade":
        new.negative_prompt = negative
        new.negative_prompt_source = source_for("default", negative, negative_basis(new))
    notes: dict[str, dict[str, str]] = {}
    for shot, orig in zip(new.shots, board.shots):
        text, how = effective_prompt(orig, board)
        made = orig.prompt_source.made if orig.prompt_source is not None else "unrecorded"
        if how == "edited":
            made = "manual"
        if how in ("remade", "built"):
            shot.prompt = text
            made = made if how == "remade" else "rules"
            shot.prompt_source = source_for(made, text, prompt_basis(orig, board))
        notes[shot.id] = {"made": made, "prompt": how,
                          "negative_prompt": "shot" if shot.negative_prompt.strip() else neg_how}
    return new, notes
