"""What ``POST /v1/jobs`` does with a submission before a job exists: read the form, check the options against
the job contract, storyboard the brief (or load the shots.json), apply the safety filter.

Nothing is stored until every check has passed: an invalid option (``guidance=nan``), a wrong password or an
unsafe prompt is answered with a 422 and leaves no job row and no file behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from briefreel.errors import InvalidOptions
from briefreel.job import RenderOptions, check_planner, option_specs, storyboard_brief
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


def read_options(form: FormData, settings: Settings) -> tuple[RenderOptions, str, int]:
    """The render options, planner and priority of a submission; :class:`InvalidOptions` for any bad one."""
    options = RenderOptions.build({spec.name: form_text(form, spec.name) for spec in option_specs()})
    if settings.models and options.model and options.model not in settings.models:
        raise InvalidOptions("this service renders only with the models: " + ", ".join(settings.models))
    planner = check_planner(form_text(form, "planner") or "rules")
    priority = form_text(form, "priority") or "5"
    if not priority.isdigit() or not 0 <= int(priority) <= 9:
        raise InvalidOptions("priority must be an integer from 0 to 9 (9 is the most urgent)")
    return options, planner, int(priority)


async def read_submission(form: FormData, settings: Settings) -> Submission:
    """Check the options first (cheap), then storyboard the brief or load the shots file."""
    options, planner, priority = read_options(form, settings)
    brief_file, shots_file = form.get("brief"), form.get("shots")
    if isinstance(brief_file, UploadFile) == isinstance(shots_file, UploadFile):
        raise ApiError(422, "invalid_request", "send exactly one of the files 'brief' (PDF) or 'shots'")
    stored = {**options.to_dict(), "planner": planner}
    if isinstance(brief_file, UploadFile):
        pdf = await brief_file.read()
        filename = clean_filename(brief_file.filename or "brief.pdf")
        planned = await run_in_threadpool(storyboard_brief, pdf, form_text(form, "password"), planner=planner,
                                          filename=filename)  # the password is used here, once, and not kept
        return Submission(planned.board, {**stored, "source": filename}, priority, {"brief.pdf": pdf})
    board = load_board(await shots_file.read())
    return Submission(board, {**stored, "source": clean_filename(shots_file.filename or "shots.json")}, priority)


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
    except UnicodeDecodeError:
        raise InvalidShots("shots.json must be UTF-8 text") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidShots(f"not a valid shots.json: {where}: {first.get('msg')}") from None
    except ValueError as exc:
        raise InvalidShots(f"not a valid shots.json: {str(exc).splitlines()[0]}") from None
