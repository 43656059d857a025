"""The job contract: what a render job is, written once for the command line, the render service and the plugin.

    opts = RenderOptions.build({"renderer": "wan", "steps": "8", "guidance": "4.5"})   # strings are fine
    opts.renderer_kwargs()        # {"steps": 8, "guidance": 4.5}: what WanRenderer(**...) takes
    planned = storyboard_brief(pdf_bytes, password, planner="rules", filename="brief.pdf")
    planned.board, planned.brief, planned.notes

What lives here, and every surface uses:

* :class:`RenderOptions`, a validated pydantic model holding every render option. Each field carries its metadata
  (help text, which renderers it applies to, its CLI flag) through :func:`option`; :func:`option_specs` reads them
  back as :class:`OptionSpec` rows, from which ``briefreel/cli.py`` makes its argparse flags, the service its form
  fields and OpenAPI schema, and the plugin its parameter handling. NaN, inf, negative or zero sizes and steps,
  unknown renderers, devices, dtypes and memory plans, and options that do not apply to the chosen renderer are
  refused by :meth:`RenderOptions.build` with one message, as :class:`~briefreel.errors.InvalidOptions`.
* :func:`storyboard_brief`: intake and planning (open the PDF with its password, plan with the rules or an LLM; the
  planners validate the board and record problems in ``board.source``).
* :func:`check_pdf` (the one ``%PDF`` check), :func:`clamp` (numbers from a form, NaN-safe), :data:`SHOT_STATES`
  (a render event's status as a job's per-shot progress state).

Errors map to what a surface shows through :func:`briefreel.errors.error_payload`.

Adding a render option
----------------------
One field in :class:`RenderOptions`, plus its documentation::

    lora: str | None = option(None, help="a LoRA fused into Wan: PATH[:scale] (a .safetensors file)", renderers=WAN)

* A renderer option is named as the renderer's ``__init__`` parameter that receives it
  (``tests/test_job_contract.py`` fails while ``WanRenderer``/``PanelRenderer`` take a parameter the contract does
  not carry, or the contract carries one a listed renderer does not take).
* Constraints go on the field (``ge=``, ``gt=``, ``le=``, ``Literal[...]`` for a closed set, a ``field_validator``
  for anything else); floats are finite by :class:`RenderOptions`'s config.
* ``renderers=`` names the renderers it applies to; ``flag=`` only when the CLI flag is not ``--the-name``.
* Documentation: a parameter in ``plugin/tools/render_animatic.yaml`` (Dify reads the manifest as a file; the
  contract test fails until it is there) and the README's option list.

The Wan fast-mode options are such fields, with ``renderers=WAN`` and named as ``WanRenderer.__init__`` names
them: ``preset: Literal["fast", "quality"] | None``, ``lora: str | None`` ("PATH[:scale]"), ``t5_cpu: bool = False``,
``compile: bool = False``, ``attention: Literal[...] | None`` and the denoising cache ``cache: str | None``
("fbc[:threshold]", "mag[:threshold]"), the last with ``flag="--step-cache"`` so that it is not mistaken for
``--no-cache`` (the shot cache: field ``use_cache``, a job option, not a renderer's). A renderer parameter that is
not a job option (a ready ``pipeline=`` object, progress bars) goes in :data:`RENDERER_INTERNAL` with the reason.
A boolean whose default is ``False`` gets ``--name``/``--no-name`` on the CLI and a boolean in the plugin's yaml.

This module imports no torch and no diffusers; parsers and storyboard are imported when a brief is read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from briefreel.errors import InvalidOptions
from briefreel.parsers.errors import DamagedPDF, PasswordRequired
from briefreel.render.errors import RenderError
from briefreel.render.wan import ATTENTION_ALIASES, ATTENTION_BACKENDS, MEMORY_PLANS, PRESETS, parse_cache, split_lora

__all__ = [
    "RENDERERS", "WAN", "DTYPES", "SHOT_STATES", "FINISHED_SHOT_STATES", "RENDERER_INTERNAL",
    "OptionSpec", "RenderOptions", "PlannedBrief",
    "option", "option_specs", "spec_for", "parse_size",
    "storyboard_brief", "read_brief", "check_planner", "check_pdf", "clamp", "shot_state", "shots_finished",
]

RENDERERS = ("panel", "wan")  # render.pipeline.RENDERERS, by name (tests check they agree)
WAN = ("wan",)
DTYPES = ("bfloat16", "float16", "float32")
SIZE_STEP = 16  # Wan sizes: multiples of the VAE scale x patch size
_DEVICE = re.compile(r"^(cpu|mps|(cuda|xpu)(:\d+)?)$")

# Renderer __init__ parameters that are not job options, and why (the contract test reads this).
RENDERER_INTERNAL = {
    "pipeline": "a ready WanPipeline object handed in from Python (benchmarks, random real-size builds): not a value "
                "a form or a flag can carry",
    "progress": "progress bars are the surface's choice (a terminal shows them; the service and plugin do not)",
    "max_sequence_length": "the text encoder's token limit, a constant of every Wan release (512)",
}


# -- the options -----------------------------------------------------------------------------------------------------

def option(default: Any, *, help: str, renderers: Iterable[str] = RENDERERS, flag: str | None = None,
           scope: Literal["renderer", "job"] = "renderer", metavar: str | None = None, **constraints: Any) -> Any:
    """A :class:`RenderOptions` field with its metadata: ``help`` (CLI help, OpenAPI description, plugin hint),
    ``renderers`` it applies to, the CLI ``flag`` (default ``--name-with-dashes``) and ``metavar`` (default the
    name in capitals), and its ``scope``: ``renderer`` (passed to the renderer's ``__init__``) or ``job`` (used by
    the job itself: which renderer, the shot cache)."""
    extra = {"x-renderers": list(renderers), "x-scope": scope}
    if flag:
        extra["x-flag"] = flag
    if metavar:
        extra["x-metavar"] = metavar
    return Field(default, description=help, json_schema_extra=extra, **constraints)


class RenderOptions(BaseModel):
    """Every option of a render job. Build one with :meth:`build` (one :class:`InvalidOptions` for any problem);
    ``None`` means "the renderer's (or the model's) default"."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True, frozen=True)

    renderer: Literal["panel", "wan"] = option(
        "panel", help="shot renderer: panel (drawn panels, CPU) or wan (Wan text-to-video)", scope="job")
    seed: int | None = option(
        None, ge=0, le=2**63 - 1, help="base seed; each shot derives its own (recorded in render.json)")
    use_cache: bool = option(
        True, scope="job", flag="--no-cache",
        help="reuse the clips of unchanged shots from the shot cache; off (--no-cache): render every shot again")
    model: str | None = option(
        None, min_length=1, renderers=WAN, help="Wan weights: a diffusers folder or a hub id")
    revision: str | None = option(
        None, min_length=1, renderers=WAN, help="hub revision (branch, tag or commit) for a hub id")
    steps: int | None = option(
        None, ge=1, le=1000, renderers=WAN, help="denoising steps (default: the model's)")
    guidance: float | None = option(
        None, ge=0, le=100, renderers=WAN, help="guidance scale (default: the model's)")
    guidance_2: float | None = option(
        None, ge=0, le=100, renderers=WAN,
        help="guidance of the low-noise expert (Wan2.2-T2V-A14B; default: the model's)")
    flow_shift: float | None = option(
        None, gt=0, le=100, renderers=WAN, help="scheduler flow shift (default: the model's)")
    width: int | None = option(
        None, gt=0, le=8192, renderers=WAN, flag="--size",
        help="generation width, with height (default: the model's native size nearest the brief's aspect ratio)")
    height: int | None = option(
        None, gt=0, le=8192, renderers=WAN, flag="--size",
        help="generation height, with width (default: the model's native size nearest the brief's aspect ratio)")
    memory: Literal[MEMORY_PLANS] | None = option(  # type: ignore[valid-type]
        None, renderers=WAN, help="memory plan (default: auto, from free VRAM)")
    device: str | None = option(
        None, renderers=WAN, help="torch device: cpu, cuda, cuda:N, mps, xpu (default: cuda if available, else cpu)")
    dtype: Literal["bfloat16", "float16", "float32"] | None = option(
        None, renderers=WAN, help="weights dtype (default: bfloat16 on GPU, float32 on CPU)")
    vae_tiling: bool | None = option(
        None, renderers=WAN, help="decode the video in tiles, to save memory (default: on when memory is short)")
    # -- Wan fast modes (README, "Text-to-video with Wan")
    preset: Literal[tuple(PRESETS)] | None = option(  # type: ignore[valid-type]
        None, renderers=WAN,
        help="sampling preset: fast (4 steps, guidance 1 so no CFG pass, Euler, shift 5: for a step-distilled LoRA) "
             "or quality (the model's own steps and guidance); explicit steps/guidance/flow shift win")
    lora: str | None = option(
        None, min_length=1, max_length=1000, renderers=WAN, metavar="PATH[:SCALE]",
        help="a LoRA (.safetensors) fused into both experts at SCALE (default 1.0), e.g. a Wan2.2-Lightning / "
             "LightX2V step-distilled one with preset fast; the render service takes a name its operator lists")
    cache: str | None = option(
        None, renderers=WAN, flag="--step-cache", metavar="fbc|mag[:THRESHOLD]",
        help="denoising-step cache: fbc (First-Block-Cache, threshold 0.05) or mag (MagCache, calibrated once per "
             "setup, 0.06); faster, slightly different pictures (default: none). Not the shot cache (--no-cache)")
    t5_cpu: bool = option(
        False, renderers=WAN, help="keep the UMT5 text encoder on the CPU (saves ~11 GB of VRAM; each distinct "
                                   "prompt is encoded once per job either way)")
    compile: bool = option(
        False, renderers=WAN, help="torch.compile the transformer's repeated blocks (regional; the first shot pays "
                                   "the compile)")
    attention: Literal[ATTENTION_BACKENDS] | None = option(  # type: ignore[valid-type]
        None, renderers=WAN,
        help="attention backend: native (PyTorch SDPA, default), flash (FlashAttention 2), _flash_3 "
             "(FlashAttention 3), sage (SageAttention); the package must be installed where the render runs")

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_16(cls, value: int | None) -> int | None:
        if value is not None and value % SIZE_STEP:
            raise ValueError(f"width and height must be positive multiples of {SIZE_STEP}")
        return value

    @field_validator("lora")
    @classmethod
    def _lora_text(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                split_lora(value)
            except RenderError as exc:
                raise ValueError(exc.message.removeprefix("lora ")) from None
        return value

    @field_validator("cache")
    @classmethod
    def _step_cache(cls, value: str | None) -> str | None:
        try:
            parsed = parse_cache(value)
        except RenderError as exc:
            raise ValueError(exc.message.replace("unknown cache", "unknown step cache")) from None
        return None if parsed is None else value.lower()

    @field_validator("attention", mode="before")
    @classmethod
    def _attention_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower()
            return ATTENTION_ALIASES.get(key, key)
        return value

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str | None) -> str | None:
        if value is not None and not _DEVICE.match(value):
            raise ValueError(f"unknown device {value[:40]!r}: use cpu, cuda, cuda:N, mps, xpu or xpu:N")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "RenderOptions":
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither (the model's native size)")
        # a value other than the default, for a renderer the option does not apply to (a form that sends every
        # field with its default, as Dify's does, is not refused for it)
        elsewhere = [name for name in self.model_fields_set if self.renderer not in spec_for(name).renderers
                     and getattr(self, name) != type(self).model_fields[name].default]
        if elsewhere:
            raise PydanticCustomError("not_for_renderer", "{fields}: only with another renderer",
                                      {"fields": sorted(elsewhere), "renderer": self.renderer})
        return self

    # -- building and reading -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, values: Mapping[str, Any], *, spell: Callable[[str], str] | None = None) -> "RenderOptions":
        """Validated options from ``values`` (form strings or typed values; ``None`` and ``""`` mean unset).

        Any problem raises one :class:`InvalidOptions` naming each option as ``spell(name)`` spells it (the CLI
        passes its flags, so the message says ``--guidance-2`` where the service says ``guidance_2``)."""
        spell = spell or (lambda name: name)
        given = {k: v for k, v in values.items() if v is not None and not (isinstance(v, str) and not v.strip())}
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            raise InvalidOptions(_describe(exc, spell)) from None

    @classmethod
    def from_job(cls, stored: Mapping[str, Any]) -> "RenderOptions":
        """The options of a job stored by the service (its row also holds planner, source...: ignored here)."""
        return cls.build({k: v for k, v in stored.items() if k in cls.model_fields})

    def renderer_kwargs(self) -> dict[str, Any]:
        """The options the renderer's ``__init__`` takes (unset ones left out, so the renderer's defaults hold)."""
        return {spec.name: getattr(self, spec.name) for spec in option_specs()
                if spec.scope == "renderer" and getattr(self, spec.name) is not None
                and self.renderer in spec.renderers}

    def to_dict(self) -> dict[str, Any]:
        """The set options, JSON-ready (what the service stores with the job); an option at its default that does
        not apply to the chosen renderer (``t5_cpu: false`` on a panel job) is left out."""
        data = self.model_dump(mode="json", exclude_none=True)
        fields = type(self).model_fields
        return {k: v for k, v in data.items()
                if self.renderer in spec_for(k).renderers or v != fields[k].default}


def _describe(exc: ValidationError, spell: Callable[[str], str]) -> str:
    """One line for every problem pydantic found, each option named as the surface spells it."""
    parts: list[str] = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else ""
        if error["type"] == "not_for_renderer":
            fields = error["ctx"]["fields"]
            where = sorted({r for f in fields for r in spec_for(f).renderers})
            names = sorted({spell(f) for f in fields})
            text = f"{', '.join(names)}: only with {spell('renderer')} {' or '.join(where)}"
        elif error["type"] == "extra_forbidden":
            text = f"{spell(name) if name in RenderOptions.model_fields else name}: unknown option"
        else:
            message = error["msg"].removeprefix("Value error, ")
            text = f"{spell(name)}: {message}" if name else message
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)


@dataclass(frozen=True)
class OptionSpec:
    """One render option as the surfaces see it (read from the field and its JSON Schema)."""

    name: str
    kind: str  # JSON Schema type: "integer", "number", "string" or "boolean"
    help: str
    renderers: tuple[str, ...]
    scope: str
    flag: str
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    metavar: str | None = None

    def json_schema(self) -> dict[str, Any]:
        """The option as one JSON Schema property (a form field of the service's OpenAPI)."""
        schema: dict[str, Any] = {"type": self.kind, "description": self.help}
        for key, value in (("enum", list(self.choices)), ("minimum", self.minimum), ("maximum", self.maximum),
                           ("exclusiveMinimum", self.exclusive_minimum), ("default", self.default)):
            if value not in (None, []):
                schema[key] = value
        schema["x-renderers"] = list(self.renderers)
        return schema


@cache
def option_specs() -> tuple[OptionSpec, ...]:
    """Every render option, in the model's field order."""
    properties = RenderOptions.model_json_schema()["properties"]
    return tuple(_spec(name, properties[name]) for name in RenderOptions.model_fields)


def _spec(name: str, prop: dict[str, Any]) -> OptionSpec:
    value = next((p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"), prop)
    return OptionSpec(
        name=name, kind=value.get("type", "string"), help=prop.get("description", ""),
        renderers=tuple(prop["x-renderers"]), scope=prop["x-scope"],
        flag=prop.get("x-flag") or "--" + name.replace("_", "-"), default=prop.get("default"),
        choices=tuple(value.get("enum", ())), minimum=value.get("minimum"), maximum=value.get("maximum"),
        exclusive_minimum=value.get("exclusiveMinimum"), metavar=prop.get("x-metavar"),
    )


def spec_for(name: str) -> OptionSpec:
    for spec in option_specs():
        if spec.name == name:
            return spec
    raise KeyError(name)


def parse_size(text: str, name: str = "size") -> dict[str, int]:
    """``"832x480"`` as ``{"width": 832, "height": 480}`` (the CLI's ``--size``); the values are checked by
    :meth:`RenderOptions.build`."""
    try:
        width, height = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise InvalidOptions(f"{name}: expected WIDTHxHEIGHT, e.g. 832x480") from None
    return {"width": width, "height": height}


# -- intake and planning ---------------------------------------------------------------------------------------------

@dataclass
class PlannedBrief:
    """A brief and its storyboard."""

    brief: Any  # parsers.Brief
    board: Any  # storyboard.schema.Storyboard

    @property
    def notes(self) -> list[str]:
        """What a user should hear, one line each: the LLM planner's fallback ("note: ..."), and up to five
        problems the validator found ("check: ...")."""
        source = self.board.source or {}
        notes = []
        if source.get("llm_fallback_reason"):
            notes.append(f"note: the LLM planner's answer was not used ({source['llm_fallback_reason']}); "
                         "these are the rules planner's shots")
        notes += [f"check: {problem}" for problem in (source.get("problems") or [])[:5]]
        return notes


def check_pdf(data: bytes, name: str = "brief.pdf") -> None:
    """The one ``%PDF`` check: refuse, before any work, an upload that is not a PDF at all."""
    if b"%PDF" not in bytes(data[:1024]):
        raise DamagedPDF(f'"{name}" is not a PDF. Give the brief as a PDF file.')


def read_brief(source: str | Path | bytes, password: str | None = None, *, filename: str | None = None,
               ask_password: Callable[[], str | None] | None = None, **open_options: Any):
    """Decrypt and extract a brief (``parsers.open_brief``). Bytes are checked with :func:`check_pdf` first. When
    the PDF needs a password and none was given, ``ask_password()`` (a terminal prompt) is asked once."""
    from briefreel.parsers import open_brief

    if isinstance(source, (bytes, bytearray, memoryview)):
        source = bytes(source)
        check_pdf(source, filename or "brief.pdf")
    try:
        brief = open_brief(source, password=password, **open_options)
    except PasswordRequired:
        if password is not None or ask_password is None:
            raise
        brief = open_brief(source, password=ask_password(), **open_options)
    if filename and not brief.filename:
        brief.filename = filename
    return brief


def check_planner(planner: str) -> str:
    from briefreel.storyboard import PLANNERS

    if planner not in PLANNERS:
        raise InvalidOptions(f"planner: must be one of {', '.join(PLANNERS)}")
    return planner


def storyboard_brief(source: str | Path | bytes, password: str | None = None, *, planner: str = "rules",
                     filename: str | None = None, ask_password: Callable[[], str | None] | None = None,
                     **open_options: Any) -> PlannedBrief:
    """Intake and planning, as every surface does them: read the brief (:func:`read_brief`), then plan it with
    ``planner`` ("rules" or "llm"; both run ``storyboard.validate.validate_board`` and record what fails)."""
    from briefreel.storyboard import plan

    check_planner(planner)
    brief = read_brief(source, password, filename=filename, ask_password=ask_password, **open_options)
    password = None  # used once
    return PlannedBrief(brief=brief, board=plan(brief, planner=planner))


# -- small shared rules ----------------------------------------------------------------------------------------------

def clamp(value: Any, default: float, low: float, high: float) -> float:
    """``value`` as a number within ``[low, high]``; ``default`` when it is missing, not a number, or NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if math.isnan(number):
        return default
    return min(max(number, low), high)


# A render event's status (render.pipeline.ShotEvent.status) as the per-shot state a job reports.
# "step" (a denoising step inside a running shot, render_board(step_events=True)) leaves the shot rendering.
SHOT_STATES = {"started": "rendering", "step": "rendering", "rendered": "done", "reused": "reused", "failed": "failed"}
FINISHED_SHOT_STATES = ("done", "reused")


def shot_state(status: str) -> str:
    return SHOT_STATES.get(status, status)


def shots_finished(states: Iterable[str]) -> int:
    return sum(1 for state in states if state in FINISHED_SHOT_STATES)
