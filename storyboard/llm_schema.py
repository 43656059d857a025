"""The LLM planner's answer: the schema the model fills in, and how a reply is read into it.

    planner_schema()               # JSON Schema of PlannerBoard, named "storyboard" for tool calling
    PlannerBoard.model_validate(tidy_answer(reply))

:class:`PlannerBoard` holds the shot fields an LLM should decide, with the enums spelled out; code does the rest
(``storyboard/llm.py``). :func:`tidy_answer` forgives how an enum value is written ("Push In", "close-up", "推镜头").
``InvokeStructured`` is the one function a model provider has to supply; :class:`PlannerAnswerError` is what it
raises for a reply that cannot be read (the message is sent back to the model).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.schema import Angle, Movement, Shot, ShotSize
from briefreel.storyboard.vocabulary import CELL, parse_angle, parse_movement, parse_size

# ``invoke_structured(messages, schema) -> dict``: messages are {"role": "system"|"user"|"assistant", "content"}.
InvokeStructured = Callable[[list[dict], dict], dict]


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


def planner_view(shot: Shot) -> dict:
    """A draft shot as the model sees it: the planner fields it has set (size, duration and description always)."""
    d = shot.model_dump(mode="json", include=set(PlannerShot.model_fields) - {"prompt", "scene_heading"})
    return {k: v for k, v in d.items() if v not in ("", [], None) or k in ("size", "duration_s", "description")}


# -- reading the reply ---------------------------------------------------------------------------------------------

def tidy_answer(answer: dict) -> dict:
    """Forgive how an enum value is written: "Push In", "push-in", "close-up", "bird's eye", "推镜头" become
    push_in, CU, overhead, push_in through the rules' camera vocabulary. A value that names nothing is left for the
    validator to report."""
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
