"""Animatic status: a render job's progress, and the animatic once it is done. The render service's URL and key are
this tool's own settings (``render_service_url``, ``render_service_api_key``), as in Render animatic."""

from __future__ import annotations

from collections.abc import Generator

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from briefreel.job import clamp
from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.follow import follow
from briefreel.plugin.service import RenderService

MIB = 1024 * 1024


class AnimaticStatusTool(Tool):
    def _invoke(self, tool_parameters: dict) -> Generator[ToolInvokeMessage, None, None]:
        secrets = [tool_parameters.get("render_service_api_key")]
        try:
            svc = RenderService.from_parameters(tool_parameters)  # its own settings: the provider has no credentials
            job_id = str(tool_parameters.get("job_id") or "").strip()
            if not job_id:
                raise ToolUserError("usage", "Give the job id (the job_id output of Render animatic).")
            wait_s = clamp(tool_parameters.get("wait_s"), 0, 0, 3600)
            max_bytes = int(clamp(tool_parameters.get("max_file_mb"), 15, 1, 200) * MIB)
            yield from follow(self, svc, svc.job(job_id), wait_s, max_bytes)
        except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
            error = ToolUserError.from_error(exc, secrets)
            for key, value in {"ok": False, "error_code": error.code, "error": error.message, "done": False}.items():
                yield self.create_variable_message(key, value)
            yield self.create_text_message(error.message)

