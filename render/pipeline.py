"""Render a storyboard: every shot through a renderer, conformed, cached, joined into ``animatic.mp4``.

    report = render_board(board, "out/spot")                      # the CPU panel renderer
    report = render_board(board, "out/spot", renderer="wan", renderer_options={"model": "/models/Wan2.2..."})

``render_board`` picks the renderer (:data:`RENDERERS`: ``panel`` built in, ``wan`` imported only when asked for)
and runs a :class:`BoardRender`, whose ``__call__`` reads top to bottom:

1. ``plan``: every shot's frame span (``frame_spans``: frame-exact, no drift), its seed (the shot's own, or one
   derived from the base seed and the shot id: ``render.seeds``) and its cache key;
2. ``reuse``: every shot whose key is in the cache (and a renderer's own clip that only needs conforming again);
3. ``render``: the others (panel shots in parallel worker processes), conforming clips that are not yet in animatic
   form (``render.animatic.conform``);
4. ``assemble``: places ``clips/<shot id>.mp4``, joins them by stream copy into ``animatic.mp4``;
5. ``export``: writes ``render.json`` and the storyboard exports when ``render.exports`` is installed.

Every file appears atomically (temporary name, then rename): a failed render leaves no half-written animatic.

Progress and cancellation, for services and plugins (both callbacks run in the calling process, also when the
shots render in worker processes)::

    render_board(board, out, on_shot=lambda e: print(e.shot_id, e.status, f"{e.done}/{e.total}"),
                 should_stop=lambda: job.cancelled)   # -> RenderCancelled; no animatic.mp4

``should_stop`` is asked before each shot, and inside a shot too when the renderer has a ``should_stop``
attribute (the panel renderer between frames, Wan between denoising steps): render_board sets it, in worker
processes through a shared event that the parent sets when ``should_stop()`` says so.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from briefreel.child import current_umask
from briefreel.render.base import Clip, RenderSettings, Renderer, frame_spans, stable_hash
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.render.seeds import shot_seed
from briefreel.storyboard.schema import Shot, Storyboard, clip_stem

PIPELINE_VERSION = "1"


# -- 1. renderers ---------------------------------------------------------------------------------------------------

def _panel(options: dict[str, Any]) -> Renderer:
    from briefreel.render.panel import PanelRenderer

    return PanelRenderer(**options)


def _wan(options: dict[str, Any]) -> Renderer:
    try:
        from briefreel.render.wan import WanRenderer
    except ImportError as exc:
        raise RendererUnavailable(
            f"the wan renderer needs the Wan extras ({exc}); install them with: pip install 'briefreel[wan]'"
        ) from None
    return WanRenderer(**options)


# name -> factory(options). Add a renderer by adding a line here.
RENDERERS: dict[str, Callable[[dict[str, Any]], Renderer]] = {"panel": _panel, "wan": _wan}


def get_renderer(name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> Renderer:
    """The renderer called ``name``, built with ``options`` (a dict, or keyword arguments)."""
    opts = {**(options or {}), **kwargs}
    try:
        factory = RENDERERS[name]
    except KeyError:
        raise RendererUnavailable(f"unknown renderer {name!r} (choose from: {', '.join(RENDERERS)})") from None
    return factory(opts)


# -- 2. per-shot plan -----------------------------------------------------------------------------------------------

@dataclass
class ShotJob:
    shot: Shot  # with its seed filled in
    index: int
    start: int
    frames: int
    key: str
    raw_key: str | None  # cache key of the renderer's own clip, when it needs conforming


@dataclass
class RenderReport:
    """What ``render_board`` did. ``rendered``/``reused`` are shot ids in board order."""

    renderer: str
    out_dir: Path
    animatic: Path
    render_json: Path
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    clips: dict[str, Path] = field(default_factory=dict)
    seeds: dict[str, int | None] = field(default_factory=dict)
    frames: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    exports: list[Path] = field(default_factory=list)
    audio: dict[str, Any] | None = None  # render.audio.mix_into's record: the sound under the animatic


@dataclass(frozen=True)
class ShotEvent:
    """One step of one shot, given to ``render_board(on_shot=...)``.

    ``status``: ``"started"`` (its render begins), then ``"rendered"`` or ``"failed"``; a shot served from the
    cache gets one ``"reused"``. ``done`` counts the shots finished (rendered or reused) so far, this one included.
    Cache hits come first, in board order; rendered shots in the order they finish.

    With ``render_board(step_events=True)``, a renderer that reports its steps (Wan: every denoising step, through
    its ``on_step`` hook) also sends ``"step"`` events while a shot renders: ``step`` of ``steps`` (counted over all
    the shot's segments). Without it (the default) no ``"step"`` event is sent, so consumers written for the four
    statuses above see nothing new. :data:`briefreel.job.SHOT_STATES` maps ``"step"`` to ``rendering``.
    """

    shot_id: str
    index: int  # the shot's position in the board, from 0
    total: int  # shots in the board
    status: str  # started | rendered | reused | failed
    seconds: float = 0.0  # render time of a rendered shot
    done: int = 0
    error: str | None = None  # why a shot failed
    step: int = 0  # "step" events: denoising steps done in this shot (1..steps)
    steps: int = 0  # "step" events: denoising steps this shot takes in all


def _safe_name(shot_id: str) -> str:
    return clip_stem(shot_id)  # the schema's one rule: ids that would share a clip file are refused there


def _final_params(settings: RenderSettings, shot: Shot, board: Storyboard) -> dict[str, Any]:
    """What conform/captions/encoding add on top of the renderer's pixels."""
    from briefreel.render.animatic import CONFORM_VERSION
    from briefreel.render.ffmpeg import encoder_id
    from briefreel.render.labels import caption_text

    return {
        "pipeline": PIPELINE_VERSION,
        "conform": CONFORM_VERSION,
        "encoder": encoder_id(settings.fps),
        "size": [settings.width, settings.height],
        "fps": settings.fps,
        "caption": caption_text(shot, board),
        "language": board.language,
        # the prompt actually used is part of the shot's identity for every renderer (the panel too)
        "prompt": shot.prompt,
        "negative_prompt": shot.negative_prompt.strip() or board.negative_prompt,
    }


# -- worker processes (panel shots) ---------------------------------------------------------------------------------

_started = None  # in a worker process: the queue that tells the parent which shot has just started
_stop_event = None  # in a worker process: set by the parent when should_stop() said stop


def _worker_init(started, stop_event=None, parent_pid: int | None = None, umask: int | None = None) -> None:
    global _started, _stop_event
    _started, _stop_event = started, stop_event
    if umask is not None:  # the fork server may be older than the renderer's umask (a service's private one)
        os.umask(umask)
    if parent_pid:
        from briefreel.child import die_with_parent

        # A worker's real parent is the fork server, which leaves when the rendering process does: the kernel's
        # parent-death signal for that, and a watchdog on the rendering process itself (kill -9 included).
        die_with_parent(parent_pid, pdeathsig=True)


def _render_in_worker(name: str, options: dict, shot_json: str, board_json: str, settings: tuple, frames: int,
                      out_path: str, index: int = -1, folder: str | None = None) -> tuple[dict, float]:
    if _started is not None:
        _started.put(index)
    t0 = time.perf_counter()
    renderer = get_renderer(name, options)
    if _stop_event is not None and hasattr(renderer, "should_stop"):
        renderer.should_stop = _stop_event.is_set  # checked between frames
    board = Storyboard.model_validate_json(board_json)
    if folder is not None:  # JSON drops it: relative Shot.image paths resolve against it (storyboard/keyframes.py)
        board._folder = Path(folder)
    shot = Shot.model_validate_json(shot_json)
    clip = renderer.render_shot(shot, board, RenderSettings(*settings), frames, Path(out_path))
    return clip.to_dict(), time.perf_counter() - t0


def _clip_from_dict(d: dict) -> Clip:
    d = dict(d)
    d["path"] = Path(d["path"])
    return Clip(**d)


def _mp_context():
    """Worker processes come from a fork server that has imported the renderer once: as cheap as fork, and safe
    in a process that already runs threads (progress bars, a service), where a plain fork can deadlock."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux/macOS
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["briefreel.render.panel", "briefreel.render.pipeline", "briefreel.storyboard.schema"])
    return ctx


def _workers(todo: int) -> int:
    env = os.environ.get("BRIEFREEL_WORKERS")
    if env:
        return max(1, int(env))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cores = os.cpu_count() or 1
    return max(1, min(todo, cores, 4))


# -- 3-5. the render --------------------------------------------------------------------------------------------------

def render_board(
    board: Storyboard,
    out_dir: str | Path,
    *,
    renderer: str | Renderer = "panel",
    renderer_options: dict[str, Any] | None = None,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    exports: bool = True,
    on_shot: Callable[[ShotEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    step_events: bool = False,
    audio: Any = None,
) -> RenderReport:
    """Render every shot of ``board`` and write ``clips/``, ``animatic.mp4`` and ``render.json`` into ``out_dir``.

    ``renderer`` is a name from :data:`RENDERERS` or a renderer object. ``use_cache=False`` renders every shot
    again (and refreshes the cache). ``workers``: processes for panel shots (default: the cores, at most 4).
    ``exports=False`` skips the storyboard exports (benchmarks, previews).

    ``on_shot(event)`` receives a :class:`ShotEvent` as each shot starts, finishes, is reused or fails.
    ``should_stop()`` is asked before each shot starts; once it says True no other shot starts, those already
    running (one per worker process) finish into the cache, and :class:`~render.errors.RenderCancelled` is raised
    before any ``animatic.mp4`` is written. Both run in the calling process, also when shots render in worker
    processes; an exception either of them raises propagates. ``step_events=True`` adds ``"step"`` events (a
    shot's denoising steps, from renderers that report them: Wan) for progress within a shot.

    ``audio``: a :class:`render.audio.AudioOptions` (music bed, voice-over files, scratch VO): the animatic gets
    an AAC track and ``audio/``; ``None``: a silent animatic.
    """
    return BoardRender(board, out_dir, renderer=renderer, renderer_options=renderer_options, use_cache=use_cache,
                       cache_dir=cache_dir, progress=progress, workers=workers, exports=exports, on_shot=on_shot,
                       should_stop=should_stop, step_events=step_events, audio=audio)()


class BoardRender:
    """One run of :func:`render_board`. ``__call__`` reads top to bottom: plan, reuse, render, assemble, export.

    The state the stages share lives here: ``records`` (what happened to each shot, for ``render.json``),
    ``final`` (each shot's finished clip in the cache), ``timings`` and ``done`` (shots finished so far).
    """

    def __init__(self, board: Storyboard, out_dir: str | Path, *, renderer: str | Renderer = "panel",
                 renderer_options: dict[str, Any] | None = None, use_cache: bool = True,
                 cache_dir: str | Path | None = None, progress: bool = True, workers: int | None = None,
                 exports: bool = True, on_shot: Callable[[ShotEvent], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, step_events: bool = False, audio: Any = None):
        from briefreel.render.cache import ClipCache

        from briefreel.storyboard.provenance import resolve_prompts

        # The prompts this render uses: made prompts follow the current fields, hand-written ones are kept
        # (storyboard.provenance); a shot whose effective prompt changed gets a new cache key.
        self.board, self.prompt_notes = resolve_prompts(board)
        self.out_dir = Path(out_dir)
        self.options = dict(renderer_options or {})
        if isinstance(renderer, str):
            self.name, self.renderer = renderer, get_renderer(renderer, self.options)
        else:
            self.renderer, self.name = renderer, getattr(renderer, "name", type(renderer).__name__)
        self.settings = RenderSettings.for_board(board)
        self.cache = ClipCache(cache_dir)
        self.use_cache, self.progress, self.workers, self.exports = use_cache, progress, workers, exports
        self.on_shot, self.should_stop = on_shot, should_stop
        self.step_events = step_events
        self.audio = audio
        self.base_seed = int(self.options.get("seed") or 0)
        self.jobs: list[ShotJob] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.final: dict[str, Path] = {}
        self.timings: dict[str, float] = {"render_s": 0.0, "conform_s": 0.0}
        self.done = 0
        self.work: Path | None = None  # scratch folder inside out_dir, removed at the end
        self.bar = _bar(0, False)

    def __call__(self) -> RenderReport:
        t_start = time.perf_counter()
        self.jobs = self.plan()                                   # 1. frame spans, seeds, cache keys
        clips_dir = self.out_dir / "clips"
        clips_dir.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix=".render-", dir=self.out_dir))
        try:
            todo = self.reuse(self.jobs)                          # 2. cached clips, and cached raw clips conformed
            self.render(todo)                                     # 3. the rest, in workers or here
            clips, animatic = self.assemble(clips_dir)            # 4. clips/, animatic.mp4
            sound = self.sound(animatic)                          #    and the sound under it
        finally:
            self.bar.close()
            shutil.rmtree(self.work, ignore_errors=True)
        report = RenderReport(
            renderer=self.name, out_dir=self.out_dir, animatic=animatic, render_json=self.out_dir / "render.json",
            rendered=[j.shot.id for j in self.jobs if self.records[j.shot.id]["status"] == "rendered"],
            reused=[j.shot.id for j in self.jobs if self.records[j.shot.id]["status"] == "reused"],
            clips=clips, seeds={j.shot.id: j.shot.seed for j in self.jobs}, frames=self.jobs[-1].start + self.jobs[-1].frames,
            audio=sound,
        )
        self.export(report, t_start)                              # 5. render.json, storyboard exports
        return report

    # -- 1. plan ------------------------------------------------------------------------------------------------------
    def plan(self) -> list[ShotJob]:
        """Every shot's frame span (frame-exact, no drift), seed (its own, or derived) and cache keys."""
        board, settings, rend = self.board, self.settings, self.renderer
        spans = frame_spans([s.duration_s for s in board.shots], settings.fps)
        jobs = []
        for i, (shot, (start, end)) in enumerate(zip(board.shots, spans)):
            if end - start < 1:
                raise RenderError(f"shot {shot.id} is shorter than one frame at {settings.fps} fps "
                                  f"({shot.duration_s} s)")
            shot = shot.model_copy(update={"seed": shot_seed(shot, self.base_seed)})
            raw = rend.cache_key(shot, board, settings, end - start)
            raw_key = stable_hash({"renderer_key": raw})
            key = stable_hash({"renderer_key": raw, **_final_params(settings, shot, board)})
            jobs.append(ShotJob(shot, i, start, end - start, key, raw_key))
        return jobs

    # -- 2. reuse -----------------------------------------------------------------------------------------------------
    def reuse(self, jobs: list[ShotJob]) -> list[ShotJob]:
        """Serve every shot whose finished clip is cached; conform again those whose renderer's own clip is (a Wan
        render whose caption changed). Returns the shots left to render."""
        todo = []
        for job in jobs:
            hit = self.cache.get(job.key) if self.use_cache else None
            if hit:
                self.final[job.shot.id] = hit[0]
                self.records[job.shot.id] = {"status": "reused", "seconds": 0.0, "clip_info": hit[1].get("info", {})}
            else:
                todo.append(job)
        self.bar = _bar(len(jobs), self.progress, initial=len(jobs) - len(todo))
        for job in jobs:
            if job.shot.id in self.final:
                self.emit(job, "reused")
        rest = []
        for job in todo:
            hit = self.cache.get(job.raw_key, suffix=".raw.mp4") if self.use_cache else None
            if hit:
                self.finish(job, _clip_from_dict({**hit[1]["clip"], "path": str(hit[0])}), 0.0, "reused")
            else:
                rest.append(job)
        return rest

    # -- 3. render ----------------------------------------------------------------------------------------------------
    def render(self, jobs: list[ShotJob]) -> None:
        """Render ``jobs``: panel shots in worker processes (longest first), anything else here in board order."""
        t0, conform_before = time.perf_counter(), self.timings["conform_s"]
        n_workers = self.workers if self.workers is not None else _workers(len(jobs))
        if jobs and _parallel_ok(self.renderer) and n_workers > 1 and len(jobs) > 1:
            self._render_in_workers(jobs, n_workers)
        else:
            self._render_here(jobs)
        self.timings["render_s"] = time.perf_counter() - t0 - (self.timings["conform_s"] - conform_before)

    def _render_here(self, jobs: list[ShotJob]) -> None:
        if self.should_stop is not None and hasattr(self.renderer, "should_stop"):
            self.renderer.should_stop = self.stop  # asked inside a shot too (frames, denoising steps)
        for job in jobs:
            if self.stop():
                raise self.cancelled()
            self.emit(job, "started")
            if hasattr(self.renderer, "on_step"):  # the renderer reports each step of this shot, when asked
                self.renderer.on_step = (lambda step, steps, job=job: self.emit(job, "step", step=step, steps=steps)
                                         ) if self.step_events else None
            t1 = time.perf_counter()
            try:
                clip = self.renderer.render_shot(job.shot, self.board, self.settings, job.frames, self._raw_path(job))
            except RenderCancelled:
                raise self.cancelled() from None
            except Exception as exc:
                self.emit(job, "failed", error=f"{type(exc).__name__}: {exc}")
                raise
            self.finish(job, clip, time.perf_counter() - t1, "rendered")

    def _render_in_workers(self, jobs: list[ShotJob], n_workers: int) -> None:
        board_json = self.board.model_dump_json()
        folder = getattr(self.board, "_folder", None)
        folder = None if folder is None else str(folder)
        size = (self.settings.width, self.settings.height, self.settings.fps)
        ctx = _mp_context()
        started = ctx.SimpleQueue()  # workers say which shot they begin; the parent reports it
        stop_event = ctx.Event() if self.should_stop is not None else None  # the parent sets it; shots stop
        by_index = {j.index: j for j in jobs}
        longest_first = sorted(jobs, key=lambda j: -_cost(j))  # the longest shots start first: no long tail
        waiting = list(reversed(longest_first))  # the next shot to start is waiting[-1]
        running: dict[Any, ShotJob] = {}
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(started, stop_event, os.getpid(), current_umask())) as pool:

            def submit_more() -> None:
                # One shot per worker at a time, so a stop drops every shot that has not started.
                while waiting and len(running) < n_workers and not self.stop():
                    j = waiting.pop()
                    running[pool.submit(_render_in_worker, self.name, self.options, j.shot.model_dump_json(),
                                        board_json, size, j.frames, str(self._raw_path(j)), j.index,
                                        folder)] = j

            try:
                submit_more()
                while running:
                    finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                    if stop_event is not None and not stop_event.is_set() and self.stop():
                        stop_event.set()  # the running shots stop at their next frame
                    while not started.empty():
                        self.emit(by_index[started.get()], "started")
                    results = []
                    for fut in sorted(finished, key=lambda f: running[f].index):
                        job = running.pop(fut)
                        try:
                            results.append((job, fut.result()))
                        except RenderCancelled:
                            raise self.cancelled() from None
                        except Exception as exc:
                            self.emit(job, "failed", error=f"{type(exc).__name__}: {exc}")
                            if isinstance(exc, RenderError):
                                raise
                            raise RenderError(f"shot {job.shot.id}: {type(exc).__name__}: {exc}") from exc
                    for job, (clip_d, seconds) in results:
                        self.finish(job, _clip_from_dict(clip_d), seconds, "rendered")
                    if finished:
                        submit_more()
            except BaseException:
                for fut in running:  # stop at the first failure: shots not started yet never start
                    fut.cancel()
                raise
        started.close()
        if waiting:  # should_stop() said stop: the running shots finished into the cache, the rest never began
            raise self.cancelled()

    def finish(self, job: ShotJob, clip: Clip, seconds: float, raw_status: str) -> None:
        """A shot's clip is here: conform it if the renderer did not, check it, cache it, report it."""
        from briefreel.render.animatic import conform

        settings = self.settings
        t0 = time.perf_counter()
        if not clip.conformed:
            if raw_status == "rendered":
                self.cache.put(job.raw_key, clip.path, {"shot": job.shot.id, "clip": clip.to_dict()},
                               suffix=".raw.mp4")
            clip = conform(clip, job.shot, self.board, settings, job.frames, self.work / f"{job.index:04d}.mp4")
        elif clip.frames != job.frames or (clip.width, clip.height) != (settings.width, settings.height):
            raise RenderError(f"shot {job.shot.id}: renderer {self.name} returned {clip.frames} frames at "
                              f"{clip.width}x{clip.height}, expected {job.frames} at "
                              f"{settings.width}x{settings.height}")
        self.timings["conform_s"] += time.perf_counter() - t0
        meta = {"shot": job.shot.id, "renderer": self.name, "info": clip.info, "seed": clip.seed,
                "frames": job.frames}
        self.final[job.shot.id] = self.cache.put(job.key, clip.path, meta)
        status = "rendered" if raw_status == "rendered" else "reused"
        self.records[job.shot.id] = {"status": status, "raw": raw_status, "seconds": round(seconds, 3),
                                     "clip_info": clip.info}
        self.bar.update(1)
        self.emit(job, status, seconds if raw_status == "rendered" else 0.0)

    # -- 4. assemble --------------------------------------------------------------------------------------------------
    def assemble(self, clips_dir: Path) -> tuple[dict[str, Path], Path]:
        """``clips/<shot id>.mp4`` for every shot (and none for shots no longer in the board), then the animatic,
        joined by stream copy."""
        from briefreel.render.animatic import join
        from briefreel.render.cache import place

        clips = {j.shot.id: place(self.final[j.shot.id], clips_dir / f"{_safe_name(j.shot.id)}.mp4")
                 for j in self.jobs}
        keep = {p.name for p in clips.values()}
        for old in clips_dir.glob("*.mp4"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        t0 = time.perf_counter()
        total = self.jobs[-1].start + self.jobs[-1].frames
        animatic = join([clips[j.shot.id] for j in self.jobs], self.out_dir / "animatic.mp4", expected_frames=total)
        self.timings["join_s"] = time.perf_counter() - t0
        return clips, animatic

    def sound(self, animatic: Path) -> dict[str, Any] | None:
        """Music and voice-over under the animatic (render.audio), or a silent one (a stale ``audio/`` goes)."""
        from briefreel.render.audio import AudioOptions, mix_into

        t0 = time.perf_counter()
        spans = [(j.start, j.start + j.frames) for j in self.jobs]
        opts = self.audio if self.audio is not None else AudioOptions(enabled=False)
        info = mix_into(animatic, self.board, spans, self.settings.fps, self.out_dir, opts)
        if self.audio is not None:
            self.timings["audio_s"] = time.perf_counter() - t0
        return info

    # -- 5. render.json and the storyboard exports --------------------------------------------------------------------
    def export(self, report: RenderReport, t_start: float) -> None:
        """render.json first, so a failing export still leaves a complete record of the render; then the exports
        (another module, absent in a minimal install); then render.json again with their timing."""
        report.timings = {k: round(v, 3) for k, v in self.timings.items()}
        self._write_record(report)
        t0 = time.perf_counter()
        try:
            from briefreel.render.exports import write_exports
        except ModuleNotFoundError as exc:
            if exc.name not in ("briefreel.render.exports",):
                raise
            write_exports = None
        if write_exports is not None and self.exports:
            report.exports = list(write_exports(self.board, self.out_dir, clips=report.clips,
                                                animatic=report.animatic) or [])
        self.timings["exports_s"] = time.perf_counter() - t0
        self.timings["total_s"] = time.perf_counter() - t_start
        report.timings = {k: round(v, 3) for k, v in self.timings.items()}
        self._write_record(report)

    def _write_record(self, report: RenderReport) -> None:
        _write_json(report.render_json,
                    _record(report, self.renderer, self.settings, self.jobs, self.records, self.board,
                            self.prompt_notes))

    # -- progress and cancellation --------------------------------------------------------------------------------------
    def emit(self, job: ShotJob, status: str, seconds: float = 0.0, error: str | None = None, *, step: int = 0,
             steps: int = 0) -> None:
        if status in ("rendered", "reused"):
            self.done += 1
        if self.on_shot is not None:
            self.on_shot(ShotEvent(job.shot.id, job.index, len(self.jobs), status, round(seconds, 3), self.done,
                                   error, step, steps))

    def stop(self) -> bool:
        return self.should_stop is not None and bool(self.should_stop())

    def cancelled(self) -> RenderCancelled:
        return RenderCancelled(f"render cancelled with {self.done} of {len(self.jobs)} shots done "
                               "(they are in the cache); no animatic was written")

    def _raw_path(self, job: ShotJob) -> Path:
        return self.work / f"{job.index:04d}.raw.mp4"


def _cost(job: ShotJob) -> float:
    """Relative time to render a panel shot: encoding dominates; a still shot encodes fastest, a zoom or a roll
    costs a full resample per frame."""
    move = getattr(job.shot.movement, "value", job.shot.movement)
    if move == "static":
        return job.frames * 0.4
    if move in ("pan", "pan_left", "pan_right", "truck_left", "truck_right", "tilt", "tilt_up", "tilt_down",
                "pedestal_up", "pedestal_down", "follow", "arc", "whip_pan"):
        return job.frames * 1.0
    return job.frames * 1.3


def _parallel_ok(rend: Renderer) -> bool:
    """Only the built-in panel renderer itself is sent to worker processes (another renderer object, which may
    hold state such as a loaded model, renders here)."""
    from briefreel.render.panel import PanelRenderer

    return type(rend) is PanelRenderer


def _bar(total: int, enabled: bool, initial: int = 0):
    if enabled:
        try:
            from tqdm import tqdm

            return tqdm(total=total, initial=initial, desc="shots", unit="shot", file=sys.stderr, leave=False)
        except ImportError:  # pragma: no cover
            pass

    class _NoBar:
        def update(self, n: int = 1) -> None: ...
        def close(self) -> None: ...

    return _NoBar()


def _record(report: RenderReport, rend: Renderer, settings: RenderSettings, jobs: list[ShotJob],
            records: dict[str, dict[str, Any]], board: Storyboard,
            notes: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    notes = notes or {}
    from briefreel.render.ffmpeg import encoder_args

    try:
        from importlib.metadata import version

        app_version = version("briefreel")
    except Exception:  # noqa: BLE001 - not installed (a source checkout)
        app_version = "0+source"
    shots = []
    for j in jobs:
        r = records[j.shot.id]
        shots.append({
            "id": j.shot.id,
            "status": r["status"],
            "seed": j.shot.seed,
            "start_frame": j.start,
            "frames": j.frames,
            "duration_s": round(j.frames / settings.fps, 6),
            "movement": getattr(j.shot.movement, "value", j.shot.movement),
            "clip": str(report.clips[j.shot.id].relative_to(report.out_dir)),
            "cache_key": j.key,
            "seconds": r.get("seconds", 0.0),
            **({"raw": r["raw"]} if "raw" in r else {}),
            "info": r.get("clip_info") or {},
            "prompt": j.shot.prompt,
            "negative_prompt": j.shot.negative_prompt.strip() or board.negative_prompt,
            **({"prompt_source": notes[j.shot.id]} if j.shot.id in notes else {}),
        })
    return {
        "renderer": report.renderer,
        **({"audio": report.audio} if report.audio else {}),
        "renderer_version": getattr(rend, "version", ""),
        "briefreel_version": app_version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "title": board.title,
        "settings": {"width": settings.width, "height": settings.height, "fps": settings.fps,
                     "aspect_ratio": board.aspect_ratio, "encoder": " ".join(encoder_args(settings.fps))},
        "shots": shots,
        # shots whose clip started from the shot's picture (Wan I2V/TI2V, or the panel renderer animating it)
        "image_conditioned": [s["id"] for s in shots if (s["info"] or {}).get("image_conditioned")],
        "rendered": report.rendered,
        "reused": report.reused,
        "timings": report.timings,
        "animatic": {"path": report.animatic.name, "frames": report.frames,
                     "duration_s": round(report.frames / settings.fps, 6)},
        "exports": [str(p.relative_to(report.out_dir)) if p.is_relative_to(report.out_dir) else str(p)
                    for p in map(Path, report.exports)],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
