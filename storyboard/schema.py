"""The storyboard contract: what ``shots.json`` holds.

Every part of briefreel speaks this schema: the rules and the LLM planner write it, the renderers read it, the
exports and the Dify plugin return it. The keys listed in the README are a public interface; add fields, never
rename or remove them.

``Shot.image`` (optional) is the shot's own picture, e.g. the panel of a drawn storyboard (``storyboard/drawn.py``):
a path relative to shots.json (``keyframes/S01.png``). A board that has no folder yet (just planned, or sent as
JSON) holds it as a ``data:image/png;base64,...`` URI; ``Storyboard.save(path)`` writes such pictures to
``keyframes/`` beside the file (and copies a loaded board's keyframes when saved elsewhere) and stores the path.
The panel renderer animates the picture instead of drawing the shot (``storyboard/keyframes.py`` reads it).
"""

from __future__ import annotations

import json
import math
import re
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from briefreel.storyboard.ids import clip_stem  # noqa: F401  (the one sanitising rule; re-exported)

SCHEMA_VERSION = 1
# The shortest shot a planner makes on its own (a brief may ask for shorter): durations and validate use it.
MIN_SHOT_S = 1.5


class ShotSize(str, Enum):
    EWS = "EWS"
    LS = "LS"
    FS = "FS"
    MLS = "MLS"
    MS = "MS"
    MCU = "MCU"
    CU = "CU"
    ECU = "ECU"
    OTS = "OTS"
    POV = "POV"
    INSERT = "INSERT"


class Angle(str, Enum):
    eye_level = "eye_level"
    high = "high"
    low = "low"
    overhead = "overhead"
    worms_eye = "worms_eye"
    dutch = "dutch"


class Movement(str, Enum):
    static = "static"
    push_in = "push_in"
    pull_out = "pull_out"
    dolly_in = "dolly_in"
    dolly_out = "dolly_out"
    zoom_in = "zoom_in"
    zoom_out = "zoom_out"
    pan = "pan"
    pan_left = "pan_left"
    pan_right = "pan_right"
    tilt = "tilt"
    tilt_up = "tilt_up"
    tilt_down = "tilt_down"
    truck_left = "truck_left"
    truck_right = "truck_right"
    pedestal_up = "pedestal_up"
    pedestal_down = "pedestal_down"
    crane_up = "crane_up"
    crane_down = "crane_down"
    follow = "follow"
    arc = "arc"
    whip_pan = "whip_pan"
    handheld = "handheld"
    aerial = "aerial"
    roll = "roll"
    dolly_zoom = "dolly_zoom"


# Families group moves that a renderer (or an evaluator) treats alike.
MOVEMENT_FAMILY: dict[Movement, str] = {
    Movement.static: "static",
    Movement.push_in: "push", Movement.dolly_in: "push", Movement.zoom_in: "push",
    Movement.pull_out: "pull", Movement.dolly_out: "pull", Movement.zoom_out: "pull",
    Movement.pan: "pan", Movement.pan_left: "pan", Movement.pan_right: "pan", Movement.whip_pan: "pan",
    Movement.truck_left: "truck", Movement.truck_right: "truck", Movement.follow: "truck",
    Movement.tilt: "tilt", Movement.tilt_up: "tilt", Movement.tilt_down: "tilt",
    Movement.pedestal_up: "vertical", Movement.pedestal_down: "vertical",
    Movement.crane_up: "vertical", Movement.crane_down: "vertical",
    Movement.arc: "arc", Movement.roll: "roll", Movement.handheld: "handheld",
    Movement.aerial: "aerial", Movement.dolly_zoom: "dolly_zoom",
}

Language = Literal["zh", "en"]
AspectRatio = Literal["16:9", "9:16", "1:1"]
Speed = Literal["slow", "medium", "fast"]
DialogueKind = Literal["dialogue", "vo", "super", ""]
BibleKind = Literal["character", "product", "place", "prop"]


class _Model(BaseModel):
    # Unknown keys are kept: a later version's shots.json still loads, and hand-added notes survive a round trip.
    model_config = ConfigDict(extra="allow", use_enum_values=False, validate_assignment=True)


class BibleEntry(_Model):
    """A recurring character, product or place, described once and repeated verbatim in every prompt it is in."""

    id: str = Field(description="Stable reference used by shots, e.g. 'C1', 'P1', 'L1'.")
    kind: BibleKind
    name: str
    description: str = Field(description="The exact words pasted into each prompt where this entry appears.")


class PromptSource(_Model):
    """How a prompt was made (``Shot.prompt_source``, ``Storyboard.negative_prompt_source``).

    ``made``: ``rules`` (``storyboard.prompts.build_prompt``), ``llm`` (the LLM planner wrote it), ``enhancer``
    (``storyboard.prompt_enhance``), ``default`` (a negative prompt: the language's default list) or ``manual``
    (written by hand: always kept). ``basis``: a digest of the fields it was made from (for a shot prompt: the
    shot's size, angle, move, speed, note, description, characters and scene heading, the named bible entries,
    the board's language, style, tone and aspect ratio; for the negative prompt: the language). ``sha``: a digest
    of the text as made, so a prompt edited by hand in shots.json counts as ``manual``. At render a made prompt
    whose basis changed is made again from the current fields (``storyboard.provenance``)."""

    made: str = "rules"
    basis: str = ""
    sha: str = ""


class Scene(_Model):
    number: int = Field(ge=1)
    heading: str = Field(default="", description="Scene heading or location, e.g. 'EXT. HARBOUR - DAWN'.")


class Shot(_Model):
    id: str = Field(min_length=1, description="Shot id as printed on the storyboard, e.g. 'S01' or 'S12A'.")
    scene: int = Field(default=1, ge=1)
    size: ShotSize
    angle: Angle = Angle.eye_level
    movement: Movement = Movement.static
    duration_s: float = Field(gt=0, le=600)
    description: str = Field(min_length=1)
    dialogue: str = Field(default="", description="Spoken line, voice-over or super shown/heard in this shot.")
    prompt: str = Field(default="", description="Text-to-video prompt for this shot.")
    prompt_source: PromptSource | None = Field(
        default=None, description="How `prompt` was made; None: unknown (kept when set, built when empty).")
    # Optional detail; every renderer and export must cope with the defaults.
    dialogue_kind: DialogueKind = ""
    speaker: str = ""
    movement_speed: Speed | None = None
    movement_note: str = Field(default="", description="Secondary moves and camera remarks beyond the primary move.")
    negative_prompt: str = ""
    characters: list[str] = Field(default_factory=list, description="Bible ids that appear in this shot.")
    on_screen_text: str = ""
    sfx: str = ""
    transition: str = "cut"
    seed: int | None = Field(default=None, description="Render seed; fixed per shot so renders reproduce.")
    source_page: int | None = None
    image: str | None = Field(default=None, description="The shot's picture (a drawn panel): a path relative to "
                              "shots.json, e.g. 'keyframes/S01.png', or a data:image/png;base64 URI until saved.")

    @field_validator("duration_s")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("duration_s must be a finite number of seconds")
        return round(float(v), 3)

    @property
    def family(self) -> str:
        return MOVEMENT_FAMILY[self.movement]


class Storyboard(_Model):
    schema_version: int = SCHEMA_VERSION
    title: str = ""
    language: Language = "en"
    target_duration_s: float | None = Field(default=None, gt=0)
    aspect_ratio: AspectRatio = "16:9"
    style: str = ""
    tone: str = ""
    negative_prompt: str = ""
    negative_prompt_source: PromptSource | None = None
    mandatories: list[str] = Field(default_factory=list)
    bible: list[BibleEntry] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    shots: list[Shot] = Field(min_length=1)
    source: dict = Field(default_factory=dict, description="Where the board came from: file name, pages, planner.")
    _folder: Path | None = PrivateAttr(default=None)  # where shots.json was loaded from / saved to (Shot.image)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Storyboard":
        seen: set[str] = set()
        for shot in self.shots:
            if shot.id in seen:
                raise ValueError(f"duplicate shot id {shot.id!r}")
            seen.add(shot.id)
        stems: dict[str, str] = {}
        for shot in self.shots:
            other = stems.setdefault(clip_stem(shot.id).casefold(), shot.id)
            if other != shot.id:
                raise ValueError(f"shot ids {other!r} and {shot.id!r} both become clips/{clip_stem(shot.id)}.mp4; "
                                 "rename one")
        known = {b.id for b in self.bible}
        for shot in self.shots:
            missing = [c for c in shot.characters if c not in known]
            if missing:
                raise ValueError(f"shot {shot.id} refers to unknown bible ids {missing}")
        return self

    @property
    def duration_s(self) -> float:
        return round(sum(s.duration_s for s in self.shots), 3)

    def shot(self, shot_id: str) -> Shot:
        for s in self.shots:
            if s.id == shot_id:
                return s
        raise KeyError(shot_id)

    # -- files --------------------------------------------------------------------------------------------------
    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=False)

    def save(self, path: str | Path) -> Path:
        """Write atomically: a reader never sees half a shots.json."""
        path = Path(path)
        if any(s.image for s in self.shots):
            from briefreel.storyboard.keyframes import externalise

            externalise(self, path.parent)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(self.to_json() + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Storyboard":
        board = cls.from_json(Path(path).read_text(encoding="utf-8"))
        board._folder = Path(path).resolve().parent
        return board

    @classmethod
    def from_json(cls, text: str) -> "Storyboard":
        return cls.model_validate(json.loads(text))


def json_schema() -> dict:
    """The JSON Schema of shots.json (for LLM structured output and for users' own tooling)."""
    return Storyboard.model_json_schema()
