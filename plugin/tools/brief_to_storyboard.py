"""Brief to storyboard: a (password-protected) PDF brief in; shots.json, animatic.mp4 and storyboard.pdf out.

Top to bottom: download the brief at once (Dify's signed link expires) -> parse it, and plan it with the rules, in
a child process (plugin.worker) -> or plan it here with the workspace model (reverse invocation, structured output)
-> render the animatic in the child within the time budget -> return the JSON, the files (fitted under Dify's file
limit), the output variables and a one-paragraph summary. A problem the user can fix comes back as ``ok: false``
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

from briefreel.plugin.child import ChildTimeout, run_job
from briefreel.plugin.errors import ToolUserError, scrub, user_message
from briefreel.plugin.files import as_file, file_name, read_file
from briefreel.plugin.fit import fit_video, fits_message, too_large_note

Log = ToolInvokeMessage.LogMessage.LogStatus
MIB = 1024 * 1024


class BriefToStoryboardTool(Tool):
    def _invoke(self, tool_parameters: dict) -> Generator[ToolInvokeMessage, None, None]:
        password = tool_parameters.get("password")
        password = str(password) if password not in (None, "") else None
        try:
            yield from self._run(tool_parameters, password)
        except ToolUserError as exc:
            yield from self._failed(exc.code, scrub(exc.message, [password]))
        except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
            code = getattr(exc, "code", None)
            if isinstance(code, str) and hasattr(exc, "exit_code"):  # a typed briefreel error raised here
                detail = getattr(exc, "message", "") or str(exc)
                yield from self._failed(code, scrub(user_message(code, detail), [password]))
                return
            first = (str(exc).splitlines() or [""])[0][:300]
            yield from self._failed("internal", scrub(f"Something went wrong inside the plugin ({type(exc).__name__}: "
                                                      f"{first}).", [password]))

    # -- the run, top to bottom ---------------------------------------------------------------------------------
    def _run(self, params: dict, password: str | None) -> Generator[ToolInvokeMessage, None, object]:
        started = time.monotonic()
        deadline = started + _clamp(params.get("time_budget_s"), 480, 30, 3600)
        max_bytes = int(_clamp(params.get("max_file_mb"), 15, 1, 200) * MIB)
        planner = params.get("planner") or "rules"
        renderer = params.get("renderer") or "panel"
        if planner not in ("rules", "llm"):
            raise ToolUserError("usage", f"Unknown planner {planner!r}: use rules or llm.")
        if renderer == "wan":
            raise ToolUserError("renderer_unavailable", "Wan renders run on the render service, not inside the "
                                "plugin: use renderer panel (or none) here and the Render animatic tool for Wan.")
        if renderer not in ("panel", "none"):
            raise ToolUserError("usage", f"Unknown renderer {renderer!r}: use panel or none.")
        model = None
        if planner == "llm":
            from briefreel.plugin.dify_llm import model_config

            model = model_config(params.get("model"))  # a clear error before any work when no model is chosen

        brief_file = as_file(params.get("brief"))
        name = file_name(brief_file)
        log = self.create_log_message("Download the brief", {"file": name}, status=Log.START)
        yield log
        try:
            pdf_bytes = read_file(brief_file)
        except ToolUserError as exc:
            yield self.finish_log_message(log, status=Log.ERROR, error=exc.code)
            raise
        if b"%PDF" not in pdf_bytes[:1024]:
            yield self.finish_log_message(log, status=Log.ERROR, error="damaged_pdf")
            raise ToolUserError("damaged_pdf", f"\"{name}\" is not a PDF. Give the brief as a PDF file.")
        yield self.finish_log_message(log, data={"file": name, "bytes": len(pdf_bytes)})

        notes: list[str] = []
        with tempfile.TemporaryDirectory(prefix="briefreel-") as tmp:
            work = Path(tmp)
            (work / "brief.pdf").write_bytes(pdf_bytes)
            del pdf_bytes

            # 1. read the brief and plan it with the rules, in the child process
            log = self.create_log_message("Read the brief", {"file": name}, status=Log.START)
            yield log
            job = {"op": "storyboard", "pdf": str(work / "brief.pdf"), "password": password, "filename": name,
                   "planner": "rules", "shots_out": str(work / "shots.json"), "return_brief": planner == "llm"}
            try:
                result = yield from self._child(job, deadline, log)
            except ChildTimeout:
                raise ToolUserError("over_limit", "Reading the brief did not finish within the time budget.") from None
            yield self.finish_log_message(log, data={"file": name, **result.get("brief_info", {})})

            # 2. the LLM planner improves the rules draft here: its work is waiting on the workspace model
            from briefreel.storyboard.schema import Storyboard

            if planner == "llm":
                draft = Storyboard.load(work / "shots.json")  # the rules draft, planned in the child
                board = yield from self._plan_llm(result["brief"], draft, model)
                reason = board.source.get("llm_fallback_reason")
                if reason:
                    notes.append(f"The LLM planner fell back to the rules planner: {reason}")
                board.save(work / "shots.json")
            else:
                board = Storyboard.load(work / "shots.json")

            # 3. the animatic, in the child, within what is left of the budget
            files: dict[str, Path] = {}
            frames = 0
            if renderer != "none":
                out = work / "out"
                log = self.create_log_message("Render the animatic", {"renderer": renderer,
                                                                      "shots": len(board.shots)}, status=Log.START)
                yield log
                job = {"op": "render", "shots": str(work / "shots.json"), "out_dir": str(out), "renderer": renderer}
                try:
                    rendered = yield from self._child(job, deadline, log)
                    yield self.finish_log_message(log, data={"renderer": renderer, "files": rendered.get("files")})
                    files = {n: out / n for n in ("animatic.mp4", "storyboard.pdf") if (out / n).is_file()}
                    frames = _frames(board) if "animatic.mp4" in files else 0
                except ChildTimeout:
                    budget = deadline - started
                    notes.append(f"Rendering did not finish within the {budget:.0f} s time budget, so only the shot "
                                 "list is returned. Raise the budget (below Dify's plugin timeout), or render on the "
                                 "render service with the Render animatic tool.")
                    yield self.finish_log_message(log, status=Log.ERROR, error="time budget reached")
                except ToolUserError as exc:
                    notes.append(exc.message)
                    yield self.finish_log_message(log, status=Log.ERROR, error=exc.message)

            # 4. what goes back to Dify
            board_dict = json.loads(board.to_json(indent=None))
            if fits_message(board_dict):
                yield self.create_json_message(board_dict)
            else:
                notes.append("The storyboard is too large for a JSON message (Dify's 5 MiB line limit); it is "
                             "returned as the file shots.json.")
                yield self.create_blob_message(board.to_json().encode("utf-8"),
                                               meta={"mime_type": "application/json", "filename": "shots.json"})
            for fname, path in files.items():
                if fname.endswith(".mp4"):
                    try:
                        path, note = fit_video(path, max_bytes, work)
                    except ToolUserError as exc:
                        notes.append(exc.message)
                        frames = 0
                        continue
                    if note:
                        notes.append(note)
                elif path.stat().st_size > max_bytes:
                    notes.append(too_large_note(fname, path.stat().st_size, max_bytes))
                    continue
                mime = "video/mp4" if fname.endswith(".mp4") else "application/pdf"
                yield self.create_blob_message(path.read_bytes(), meta={"mime_type": mime, "filename": fname})

        summary = _summary(board, renderer if frames else "", frames, notes)
        variables = {
            "ok": True, "error_code": "", "error": "",
            "title": board.title, "language": board.language, "aspect_ratio": board.aspect_ratio,
            "shot_count": len(board.shots), "scene_count": len({s.scene for s in board.shots}),
            "duration_s": board.duration_s, "target_duration_s": board.target_duration_s or 0.0,
            "planner": board.source.get("planner", planner), "renderer": renderer if frames else "",
            "animatic_frames": frames, "warnings": " ".join(notes), "summary": summary,
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
                code = event.get("code") or "internal"
                error = ToolUserError(code, user_message(code, event.get("message", "")))
                yield self.finish_log_message(log, status=Log.ERROR, error=code)
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


def _clamp(value, default: float, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


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
