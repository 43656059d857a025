"""Render animatic: hand the storyboard (or the brief) to the render service and wait while there is time.

Its render settings are the job contract's options (``briefreel.job.RenderOptions``), read by
``plugin.service.render_options``; ``render_animatic.yaml`` declares one parameter per option. Where the service is
(``render_service_url``, ``render_service_api_key``) is a setting of this tool too, not a provider credential."""

from __future__ import annotations

import json
from collections.abc import Generator

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from briefreel.job import check_pdf, clamp
from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.files import as_file, file_name, read_file
from briefreel.plugin.follow import follow
from briefreel.plugin.service import RenderService, render_options

MIB = 1024 * 1024


class RenderAnimaticTool(Tool):
    def _invoke(self, tool_parameters: dict) -> Generator[ToolInvokeMessage, None, None]:
        password = tool_parameters.get("password") or None
        secrets = [password, tool_parameters.get("render_service_api_key")]
        try:
            svc = RenderService.from_parameters(tool_parameters)  # its own settings: the provider has no credentials
            options = render_options(tool_parameters)
            shots = shots_json(tool_parameters.get("shots"))
            variants = str(tool_parameters.get("variants") or "").strip() or None
            if shots is not None and variants:
                yield from self._variants(svc.submit(shots=shots, options=options, variants=variants))
                return
            if shots is not None:
                job = svc.submit(shots=shots, options=options)
            else:
                brief = as_file(tool_parameters.get("brief"))
                pdf = read_file(brief)
                check_pdf(pdf, file_name(brief))  # before the upload: the service would refuse it too
                job = svc.submit(brief=pdf, password=password, filename=file_name(brief), options=options)
            wait_s = clamp(tool_parameters.get("wait_s"), 420, 0, 3600)
            max_bytes = int(clamp(tool_parameters.get("max_file_mb"), 15, 1, 200) * MIB)
            yield from follow(self, svc, job, wait_s, max_bytes)
        except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
            error = ToolUserError.from_error(exc, secrets)
            for key, value in {"ok": False, "error_code": error.code, "error": error.message, "done": False}.items():
                yield self.create_variable_message(key, value)
            yield self.create_text_message(error.message)


    def _variants(self, group: dict) -> Generator[ToolInvokeMessage, None, None]:
        """An A/B matrix was queued: one job per variant. Their ids come back at once (Animatic status follows
        each); the summary names each variant's values."""
        jobs = group.get("jobs") or []
        lines = [f"{(j.get('options') or {}).get('variant', {}).get('slug', '?')}: {j['id']}" for j in jobs]
        summary = f"{len(jobs)} variants queued (group {group.get('group')}): " + "; ".join(lines)
        for key, value in {"ok": True, "group": group.get("group", ""), "job_ids": [j["id"] for j in jobs],
                           "status": "queued", "done": False, "progress": 0.0, "summary": summary}.items():
            yield self.create_variable_message(key, value)
        yield self.create_text_message(summary + ". Follow each job with Animatic status.")


def shots_json(value) -> bytes | None:
    """The storyboard to send, from the Storyboard JSON input: a shots.json object, or Dify's json output (a list
    holding it), as text or as data. None when the input is empty (the brief is sent instead)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ToolUserError("invalid_shots", "The Storyboard JSON input is not JSON: connect the json output "
                                "of Brief to storyboard, or a shots.json text.") from None
    if isinstance(value, list):
        boards = [v for v in value if isinstance(v, dict) and "shots" in v]
        if len(boards) != 1:
            raise ToolUserError("invalid_shots", "The Storyboard JSON input must hold one storyboard (with 'shots').")
        value = boards[0]
    if not isinstance(value, dict) or "shots" not in value:
        raise ToolUserError("invalid_shots", "The Storyboard JSON input has no 'shots': it is not a shots.json.")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")

