"""Brief to storyboard: a (password-protected) PDF brief in; shots.json, animatic.mp4 and storyboard.pdf out.

Top to bottom: download the brief at once (Dify's signed link expires) -> parse it, and plan it with the rules, in
a child process (briefreel.plugin.worker) -> or plan it here with the workspace model (reverse invocation, structured output)
-> render the animatic in the child within the time budget (panels), or on the render service (Wan: the storyboard
is submitted as Render animatic does and followed, denoising step by step, until it is done or the budget is spent;
a render that outlives the budget keeps going there and its ``job_id`` comes back for Animatic status) -> return
the JSON, the files (fitted under Dify's file limit), the output variables and a one-paragraph summary. A problem the user can fix comes back as ``ok: false``
with ``error_code`` and a clear line; never a traceback, never the password.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from briefreel.errors import BriefreelError
from briefreel.job import check_pdf, check_planner, clamp
from briefreel.plugin.child import ChildTimeout, run_job
from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.files import as_file, file_name, read_file
from briefreel.plugin.fit import fit_video, fits_message, too_large_note

Log = ToolInvokeMessage.LogMessage.LogStatus
MIB = 1024 * 1024
FETCH_S = 20.0  # of the time budget, kept for fetching a finished Wan render's files and sending them


class BriefToStoryboardTool(Tool):
    def _invoke(self, tool_parameters: dict) -> Generator[ToolInvokeMessage, None, None]:
        password = tool_parameters.get("password")
        password = str(password) if password not in (None, "") else None
        try:
            yield from self._run(tool_parameters, password)
        except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
            error = ToolUserError.from_error(exc, [password, tool_parameters.get("render_service_api_key")])
            yield from self._failed(error.code, error.message)

    # -- the run, top to bottom ---------------------------------------------------------------------------------
    def _run(self, params: dict, password: str | None) -> Generator[ToolInvokeMessage, None, None]:
        run = _settings(params)  # every setting checked before any work
        pdf_bytes = yield from self._download(params.get("brief"), run)
        with tempfile.TemporaryDirectory(prefix="briefreel-") as tmp:
            run.work = Path(tmp)
            (run.work / "brief.pdf").write_bytes(pdf_bytes)
            del pdf_bytes
            board = yield from self._storyboard(run, password)  # 1-2. read and plan
            files = yield from self._animatic(run, board)  # 3. render within the budget
            board_dict = yield from self._send_board(run, board)  # 4. what goes back to Dify
            yield from self._send_files(run, files)
        yield from self._send_variables(run, board, board_dict)

    def _download(self, brief_param, run: "_Run") -> Generator[ToolInvokeMessage, None, bytes]:
        brief_file = as_file(brief_param)
        run.name = file_name(brief_file)
        log = self.create_log_message("Download the brief", {"file": run.name}, status=Log.START)
        yield log
        try:
            pdf_bytes = read_file(brief_file)
            check_pdf(pdf_bytes, run.name)
        except BriefreelError as exc:  # said as the check says it: the Dify wording adds nothing here
            yield self.finish_log_message(log, status=Log.ERROR, error=exc.code)
            raise ToolUserError(exc.code, exc.message) from None
        yield self.finish_log_message(log, data={"file": run.name, "bytes": len(pdf_bytes)})
        return pdf_bytes

    def _storyboard(self, run: "_Run", password: str | None) -> Generator[ToolInvokeMessage, None, object]:
        """1. read the brief and plan it with the rules, in the child process; 2. with the LLM planner, improve the
        rules draft here (its work is waiting on the workspace model)."""
        from briefreel.storyboard.schema import Storyboard

        log = self.create_log_message("Read the brief", {"file": run.name}, status=Log.START)
        yield log
        job = {"op": "storyboard", "pdf": str(run.work / "brief.pdf"), "password": password, "filename": run.name,
               "planner": "rules", "shots_out": str(run.shots), "return_brief": run.planner == "llm"}
        try:
            result = yield from self._child(job, run.deadline, log)
        except ChildTimeout:
            raise ToolUserError("over_limit", "Reading the brief did not finish within the time budget.") from None
        yield self.finish_log_message(log, data={"file": run.name, **result.get("brief_info", {})})
        board = Storyboard.load(run.shots)
        if run.planner == "llm":
            board = yield from self._plan_llm(result["brief"], board, run.model)
            reason = board.source.get("llm_fallback_reason")
            if reason:
                run.notes.append(f"The LLM planner fell back to the rules planner: {reason}")
            board.save(run.shots)
        return board

    def _animatic(self, run: "_Run", board) -> Generator[ToolInvokeMessage, None, dict]:
        """3. the animatic and the storyboard PDF, in the child, within what is left of the budget."""
        if run.renderer == "none":
            return {}
        if run.renderer == "wan":
            return (yield from self._render_on_service(run, board))
        out = run.work / "out"
        log = self.create_log_message("Render the animatic", {"renderer": run.renderer, "shots": len(board.shots)},
                                      status=Log.START)
        yield log
        job = {"op": "render", "shots": str(run.shots), "out_dir": str(out), "renderer": run.renderer}
        try:
            rendered = yield from self._child(job, run.deadline, log)
        except ChildTimeout:
            run.notes.append(f"Rendering did not finish within the {run.budget_s:.0f} s time budget, so only the "
                             "shot list is returned. Raise the budget (below Dify's plugin timeout), or render on "
                             "the render service with the Render animatic tool.")
            yield self.finish_log_message(log, status=Log.ERROR, error="time budget reached")
            return {}
        except ToolUserError as exc:
            run.notes.append(exc.message)
            yield self.finish_log_message(log, status=Log.ERROR, error=exc.message)
            return {}
        yield self.finish_log_message(log, data={"renderer": run.renderer, "files": rendered.get("files")})
        files = {n: out / n for n in ("animatic.mp4", "storyboard.pdf") if (out / n).is_file()}
        run.frames = _frames(board) if "animatic.mp4" in files else 0
        return files

    def _render_on_service(self, run: "_Run", board) -> Generator[ToolInvokeMessage, None, dict]:
        """3 (Wan). Submit the storyboard to the render service and follow the job, each poll a log update (shots
        done, the shot rendering and its denoising step), until it is done or the budget is spent."""
        from briefreel.plugin.service import job_progress, poll

        job = run.svc.submit(shots=board.to_json(indent=None).encode("utf-8"), options=run.options)
        run.job_id = job["id"]
        log = self.create_log_message("Render on the service", job_progress(job), status=Log.START)
        yield log
        try:
            for job in poll(run.svc, job, run.deadline - FETCH_S):
                yield self.finish_log_message(log, status=Log.START, data=job_progress(job))
        except ToolUserError as exc:  # the service went away mid-render: the job may still finish there
            run.notes.append(f"{exc.message} The render job is {run.job_id}: ask Animatic status with it later.")
            yield self.finish_log_message(log, status=Log.ERROR, error=exc.code)
            return {}
        progress = job_progress(job)
        run.render_status, run.render_progress = job["status"], progress["fraction"]
        if job["status"] in ("failed", "cancelled"):
            error = job.get("error") or {}
            run.notes.append(f"The Wan render {job['status']} on the render service: "
                             f"{error.get('message') or 'no reason given'}.")
            yield self.finish_log_message(log, status=Log.ERROR, error=error.get("code") or job["status"])
            return {}
        yield self.finish_log_message(log, data=progress)
        if job["status"] != "done":
            run.notes.append(
                f"The Wan render is still {job['status']} on the render service ({progress['fraction']:.0%} done) "
                f"after the {run.budget_s:.0f} s time budget, and keeps going there: add an Animatic status node "
                f"with job_id {run.job_id} (and the same render service settings) to fetch the animatic.")
            return {}
        out = run.work / "out"
        out.mkdir(parents=True, exist_ok=True)
        names = {f.get("name") for f in job.get("files") or []}
        files = {}
        for name in ("animatic.mp4", "storyboard.pdf"):
            if name in names:
                try:  # a large animatic is re-encoded smaller here; a PDF over the limit is left out
                    (out / name).write_bytes(run.svc.file(run.job_id, name, (8 if name.endswith(".mp4") else 1)
                                                          * run.max_bytes))
                except ToolUserError as exc:
                    run.notes.append(exc.message)
                    continue
                files[name] = out / name
        run.frames = _frames(board) if "animatic.mp4" in files else 0
        return files

    def _send_board(self, run: "_Run", board) -> Generator[ToolInvokeMessage, None, dict]:
        board_dict = json.loads(board.to_json(indent=None))
        if fits_message(board_dict):
            yield self.create_json_message(board_dict)
        else:
            run.notes.append("The storyboard is too large for a JSON message (Dify's 5 MiB line limit); it is "
                             "returned as the file shots.json.")
            yield self.create_blob_message(board.to_json().encode("utf-8"),
                                           meta={"mime_type": "application/json", "filename": "shots.json"})
        return board_dict

    def _send_files(self, run: "_Run", files: dict[str, Path]) -> Generator[ToolInvokeMessage, None, None]:
        """The animatic (re-encoded smaller when over the file limit) and the storyboard PDF (left out when over)."""
        for fname, path in files.items():
            if fname.endswith(".mp4"):
                try:
                    path, note = fit_video(path, run.max_bytes, run.work)
                except ToolUserError as exc:
                    run.notes.append(exc.message)
                    run.frames = 0
                    continue
                if note:
                    run.notes.append(note)
            elif path.stat().st_size > run.max_bytes:
                run.notes.append(too_large_note(fname, path.stat().st_size, run.max_bytes))
                continue
            mime = "video/mp4" if fname.endswith(".mp4") else "application/pdf"
            yield self.create_blob_message(path.read_bytes(), meta={"mime_type": mime, "filename": fname})

    def _send_variables(self, run: "_Run", board, board_dict: dict) -> Generator[ToolInvokeMessage, None, None]:
        renderer = run.renderer if run.frames else ""
        summary = _summary(board, renderer, run.frames, run.notes)
        variables = {
            "ok": True, "error_code": "", "error": "",
            "title": board.title, "language": board.language, "aspect_ratio": board.aspect_ratio,
            "shot_count": len(board.shots), "scene_count": len({s.scene for s in board.shots}),
            "duration_s": board.duration_s, "target_duration_s": board.target_duration_s or 0.0,
            "planner": board.source.get("planner", run.planner), "renderer": renderer,
            "animatic_frames": run.frames, "warnings": " ".join(run.notes), "summary": summary,
            "job_id": run.job_id, "render_status": run.render_status, "render_progress": run.render_progress,
        }
        for key, value in variables.items():
            yield self.create_variable_message(key, value)
        if fits_message(board_dict, budget=2 * MIB):
            yield self.create_variable_message("storyboard", board_dict)
        yield self.create_text_message(summary)

    # -- helpers ------------------------------------------------------------------------------------------------
    def _child(self, job: dict, deadline: float, log) -> Generator[ToolInvokeMessage, None, dict]:
        """Run a worker job; progress and keep-alive become log updates. Returns the result event."""
        started = time.monotonic()
        for event in run_job(job, deadline=deadline):
            kind = event.get("event")
            if kind == "result":
                return event
            if kind == "error":
                error = ToolUserError.from_payload(event)
                yield self.finish_log_message(log, status=Log.ERROR, error=error.code)
                raise error
            data = {k: v for k, v in event.items() if k != "event"}
            data["elapsed_s"] = round(time.monotonic() - started, 1)
            yield self.finish_log_message(log, status=Log.START, data=data)
        raise ToolUserError("internal", "The worker process ended without a result.")

    def _plan_llm(self, brief_dict: dict, draft, model: dict) -> Generator[ToolInvokeMessage, None, object]:
        from briefreel.parsers.brief import Brief
        from briefreel.plugin.dify_llm import invoker
        from briefreel.storyboard.llm import plan_with

        log = self.create_log_message("Plan the shots with the workspace model", {"model": model["model"]},
                                      status=Log.START)
        yield log
        board = plan_with(Brief.from_dict(brief_dict), invoker(self.session, model), model_name=model["model"],
                          draft=draft)
        yield self.finish_log_message(log, data={"model": model["model"], "planner": board.source.get("planner"),
                                                 **{k: v for k, v in (board.source.get("llm") or {}).items()}})
        return board

    def _failed(self, code: str, message: str) -> Generator[ToolInvokeMessage, None, None]:
        yield self.create_variable_message("ok", False)
        yield self.create_variable_message("error_code", code)
        yield self.create_variable_message("error", message)
        yield self.create_text_message(message)


class _Run:
    """One invocation's settings and what it has gathered so far. (A plain class: the SDK loads this module from
    its source without registering it, which dataclasses cannot work with.)"""

    def __init__(self, *, planner: str, renderer: str, model: dict | None, budget_s: float, max_bytes: int,
                 svc=None, options=None):
        self.planner, self.renderer, self.model = planner, renderer, model
        self.svc, self.options = svc, options  # Wan: the render service and the job contract's options
        self.job_id, self.render_status, self.render_progress = "", "", 0.0
        self.budget_s, self.deadline, self.max_bytes = budget_s, time.monotonic() + budget_s, max_bytes
        self.name = "brief.pdf"
        self.work = Path(".")
        self.notes: list[str] = []
        self.frames = 0

    @property
    def shots(self) -> Path:
        return self.work / "shots.json"


def _settings(params: dict) -> _Run:
    """The tool's settings, each checked before any work (an LLM planner without a model says so at once)."""
    budget_s = clamp(params.get("time_budget_s"), 480, 30, 3600)
    planner = check_planner(params.get("planner") or "rules")
    renderer = params.get("renderer") or "panel"
    if renderer not in ("panel", "wan", "none"):
        raise ToolUserError("usage", f"Unknown renderer {renderer!r}: use panel, wan or none.")
    svc = options = None
    if renderer == "wan":  # rendered on the render service (GPUs), never inside the plugin: its settings first
        from briefreel.plugin.service import RenderService, render_options

        svc = RenderService.from_parameters(params)
        options = render_options({"renderer": "wan", "model": params.get("wan_model"),
                                  "preset": params.get("preset"), "lora": params.get("lora")})
    model = None
    if planner == "llm":
        from briefreel.plugin.dify_llm import model_config

        model = model_config(params.get("model"))
    return _Run(planner=planner, renderer=renderer, model=model, budget_s=budget_s,
                max_bytes=int(clamp(params.get("max_file_mb"), 15, 1, 200) * MIB), svc=svc, options=options)


def _frames(board) -> int:
    from briefreel.render.base import ANIMATIC_FPS, frame_spans

    spans = frame_spans([s.duration_s for s in board.shots], ANIMATIC_FPS)
    return spans[-1][1] if spans else 0


def _summary(board, renderer: str, frames: int, notes: list[str]) -> str:
    """One paragraph for the node's text output, in the brief's language."""
    scenes = len({s.scene for s in board.shots})
    planner = board.source.get("planner", "rules")
    if board.language == "zh":
        text = (f"《{board.title or '分镜'}》：{len(board.shots)} 个镜头，{scenes} 场，共 {board.duration_s:g} 秒"
                f"（{board.aspect_ratio}），由{'规则' if planner == 'rules' else '大模型'}规划。")
        if frames:
            text += f"动态分镜：{frames} 帧，24 帧/秒（{renderer} 渲染器），附分镜 PDF。"
        return text + (" " + " ".join(notes) if notes else "")
    title = f"\"{board.title}\"" if board.title else "Storyboard"
    text = (f"{title}: {len(board.shots)} shots in {scenes} scene{'s' if scenes != 1 else ''}, "
            f"{board.duration_s:g} s ({board.aspect_ratio}, {board.language}), planned by {planner}.")
    if frames:
        text += f" Animatic: {frames} frames at 24 fps ({renderer} renderer), with the storyboard PDF."
    if notes:
        text += " " + " ".join(notes)
    return text
