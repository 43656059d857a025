"""What ``POST /v1/jobs`` does with a submission before a job exists: read the form, check the options against
the job contract, storyboard the brief (or load the shots.json), check the job's size, apply the safety filter.

Nothing is stored until every check has passed: an invalid option (``guidance=nan``), a wrong password, a job over
the size bounds or an unsafe prompt is answered with a 4xx and leaves no job row and no file behind.

``model`` names one of the operator's models (``BRIEFREEL_MODELS``, name -> folder or hub id); any other value,
or any value when none are listed, is refused with one message, whatever exists on the server's disk. The job
stores the name; the worker resolves it (``resolve_model``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from briefreel.errors import InvalidOptions
from briefreel.job import RenderOptions, check_planner, option_specs, storyboard_brief
from briefreel.render.errors import RendererUnavailable
from briefreel.service.errors import ApiError
from briefreel.service.settings import Settings
from briefreel.storyboard import PLANNERS

# Form fields that are not render options.
SERVICE_FIELDS = {
    "brief": {"type": "string", "format": "binary", "description": "the brief (PDF, encrypted or not)"},
    "password": {"type": "string", "format": "password",
                 "description": "the brief's password; used once, never stored"},
    "shots": {"type": "string", "format": "binary", "description": "a shots.json instead of a brief"},
    "planner": {"type": "string", "enum": list(PLANNERS), "default": "rules", "description": "shot planner for a brief"},
    "priority": {"type": "integer", "minimum": 0, "maximum": 9, "default": 5, "description": "0-9, 9 most urgent"},
    "variants": {"type": "string", "description": "an A/B matrix for the board's {{placeholders}}: JSON "
                 "({\"city\": [\"Shanghai\", \"Chengdu\"]}) or 'city=Shanghai,Chengdu; offer=Free shipping,20% off'; "
                 "one job per variant, grouped (briefreel variants)"},
}


def submit_openapi() -> dict:
    """The multipart form of ``POST /v1/jobs`` for the OpenAPI schema: the service's fields, then every render
    option of the job contract."""
    properties = dict(SERVICE_FIELDS)
    properties.update({spec.name: spec.json_schema() for spec in option_specs()})
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": properties}}}},
        "responses": {"202": {"description": "queued: the job, with its id"}},
    }


@dataclass
class Submission:
    """A checked submission: its storyboard, the options to store with the job, and the input files."""

    board: object
    options: dict
    priority: int
    inputs: dict[str, bytes] = field(default_factory=dict)


def form_text(form: FormData, key: str) -> str | None:
    value = form.get(key)
    if value is None or isinstance(value, UploadFile) or value.strip() == "":
        return None
    return value.strip()


_PRIORITY = re.compile(r"[0-9]", re.ASCII)


def read_options(form: FormData, settings: Settings, kid: str = "anonymous") -> tuple[RenderOptions, str, int]:
    """The render options, planner and priority of a submission; :class:`InvalidOptions` for any bad one."""
    options = RenderOptions.build({spec.name: form_text(form, spec.name) for spec in option_specs()})
    if options.model is not None:
        check_model(options.model, settings)
    if options.lora is not None:
        check_lora(options.lora, settings)
    planner = check_planner(form_text(form, "planner") or "rules")
    priority = form_text(form, "priority") or "5"
    if not _PRIORITY.fullmatch(priority):  # ASCII digits only: "²".isdigit() is True and int("²") fails
        raise InvalidOptions("priority must be an integer from 0 to 9 (9 is the most urgent)")
    ceiling = settings.priority_ceiling(kid)
    if int(priority) > ceiling:
        raise InvalidOptions(f"priority: at most {ceiling} for this API key")
    return options, planner, int(priority)


MODEL_REFUSED = "model: not one of the models this service renders with (ask its operator for their names)"


def check_model(name: str, settings: Settings) -> None:
    """``name`` must be one of the operator's model names. One message for every refusal: it says nothing about
    what exists on the server."""
    if name not in settings.models:
        raise InvalidOptions(MODEL_REFUSED)


LORA_REFUSED = "lora: not one of the LoRAs this service renders with (ask its operator for their names)"


def check_lora(value: str, settings: Settings) -> None:
    """``NAME[:scale]``: NAME must be one of the operator's LoRA names (BRIEFREEL_LORAS), never a path on the server."""
    from briefreel.render.wan import split_lora

    if split_lora(value)[0] not in settings.loras:
        raise InvalidOptions(LORA_REFUSED)


def resolve_model(options: dict, settings: Settings) -> dict:
    """A stored job's options with ``model`` (a name) replaced by the operator's folder or hub id; a wan job with no
    model gets the first listed one. :class:`RendererUnavailable` when this worker does not list the name."""
    if options.get("renderer") != "wan":
        return options
    name = options.get("model")
    if name is None:
        if not settings.models:
            return options  # the renderer says it needs a model
        name = next(iter(settings.models))
    if name not in settings.models:
        raise RendererUnavailable(f"model {name!r} is not listed on this worker (BRIEFREEL_MODELS)")
    options = {**options, "model": settings.models[name]}
    if options.get("lora"):  # NAME[:scale] -> the operator's file, at the scale asked for
        from briefreel.render.wan import split_lora

        lora, scale = split_lora(options["lora"])
        if lora not in settings.loras:
            raise RendererUnavailable(f"LoRA {lora!r} is not listed on this worker (BRIEFREEL_LORAS)")
        options["lora"] = f"{settings.loras[lora]}:{scale:g}"
    return options


def check_size(board, settings: Settings) -> None:
    """The job-size bounds (shots, seconds per shot, seconds in all): 413 ``job_too_large`` naming the bound."""
    shots = board.shots
    problem = None
    if len(shots) > settings.max_shots:
        problem = f"{len(shots)} shots; this service takes at most {settings.max_shots} per job"
    else:
        longest = max(shots, key=lambda s: s.duration_s, default=None)
        total = sum(s.duration_s for s in shots)
        if longest is not None and longest.duration_s > settings.max_shot_s:
            problem = (f"shot {longest.id} lasts {longest.duration_s:g} s; this service takes at most "
                       f"{settings.max_shot_s:g} s per shot")
        elif total > settings.max_total_s:
            problem = f"the shots last {total:g} s in all; this service takes at most {settings.max_total_s:g} s per job"
    if problem:
        raise ApiError(413, "job_too_large", problem)


async def read_submission(form: FormData, settings: Settings, kid: str = "anonymous") -> Submission:
    """Check the options first (cheap), then storyboard the brief or load the shots file, then its size."""
    options, planner, priority = read_options(form, settings, kid)
    brief_file, shots_file = form.get("brief"), form.get("shots")
    if isinstance(brief_file, UploadFile) == isinstance(shots_file, UploadFile):
        raise ApiError(422, "invalid_request", "send exactly one of the files 'brief' (PDF) or 'shots'")
    stored = {**options.to_dict(), "planner": planner}
    if isinstance(brief_file, UploadFile):
        pdf = await brief_file.read()
        filename = clean_filename(brief_file.filename or "brief.pdf")
        planned = await run_in_threadpool(storyboard_brief, pdf, form_text(form, "password"), planner=planner,
                                          filename=filename)  # the password is used here, once, and not kept
        check_size(planned.board, settings)
        return Submission(planned.board, {**stored, "source": filename}, priority, {"brief.pdf": pdf})
    board = await run_in_threadpool(load_board, await shots_file.read())
    check_size(board, settings)
    return Submission(board, {**stored, "source": clean_filename(shots_file.filename or "shots.json")}, priority)


def expand_variants(text: str | None, submission: Submission) -> list[tuple[dict, object]]:
    """The ``variants`` form field as ``[(variant, board)]``, one per combination of values (``briefreel.variants``);
    ``[]`` when the field is not given. A matrix that names no placeholder of the board, or leaves one unfilled, is
    an :class:`InvalidOptions`."""
    import json

    from briefreel.errors import UsageError
    from briefreel.variants import fill, matrix, parse_set, placeholders, slug

    if not text:
        return []
    try:
        if text.lstrip().startswith("{"):
            raw = json.loads(text)
            if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
                raise UsageError("variants: a JSON object of lists of values")
            sets = parse_set([f"{k}=" + ",".join(str(x).replace(",", "\\,") for x in v) for k, v in raw.items()])
        else:
            sets = parse_set([part.strip() for part in text.split(";") if part.strip()])
        used = placeholders(submission.board)
        if set(sets) != set(used):
            raise UsageError(f"variants: the board's placeholders are {', '.join(used) or 'none'}; "
                             f"the matrix gives {', '.join(sets)}")
        combos = matrix(sets)
    except ValueError as exc:
        raise InvalidOptions(f"variants: not valid JSON ({exc})") from None
    except UsageError as exc:
        raise InvalidOptions(str(exc.message if hasattr(exc, "message") else exc).removeprefix("--set ")) from None
    taken: set[str] = set()
    return [({"slug": slug(values, taken), "values": values}, fill(submission.board, values)) for values in combos]


def clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:200] or "upload"


def load_board(raw: bytes):
    """A shots.json upload as a Storyboard; :class:`~briefreel.storyboard.errors.InvalidShots` when it is not."""
    from pydantic import ValidationError

    from briefreel.storyboard.errors import InvalidShots
    from briefreel.storyboard.schema import Storyboard

    try:
        return Storyboard.from_json(raw.decode("utf-8-sig"))
    except RecursionError:  # json.loads on thousands of nested brackets
        raise InvalidShots("not a valid shots.json: nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidShots("shots.json must be UTF-8 text") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidShots(f"not a valid shots.json: {where}: {first.get('msg')}") from None
    except ValueError as exc:
        raise InvalidShots(f"not a valid shots.json: {str(exc).splitlines()[0]}") from None
