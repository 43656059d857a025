"""Render a storyboard: every shot through a renderer, conformed, cached, joined into ``animatic.mp4``.

    report = render_board(board, "out/spot")                      # the CPU panel renderer
    report = render_board(board, "out/spot", renderer="wan", renderer_options={"model": "/models/Wan2.2..."})

Top to bottom, ``render_board``:

1. picks the renderer (:data:`RENDERERS`: ``panel`` built in, ``wan`` imported only when asked for);
2. gives every shot its frame span (``frame_spans``: frame-exact, no drift) and its seed (the shot's own, or one
   derived from the base seed and the shot id), and computes its cache key;
3. reuses every shot whose key is in the cache; renders the others (panel shots in parallel worker processes),
   conforming clips that are not yet in animatic form (``render.animatic.conform``);
4. places ``clips/<shot id>.mp4``, joins them by stream copy into ``animatic.mp4``, writes ``render.json``;
5. writes the storyboard exports when ``render.exports`` is installed.

Every file appears atomically (temporary name, then rename): a failed render leaves no half-written animatic.

Progress and cancellation, for services and plugins (both callbacks run in the calling process, also when the
shots render in worker processes)::

    render_board(board, out, on_shot=lambda e: print(e.shot_id, e.status, f"{e.done}/{e.total}"),
                 should_stop=lambda: job.cancelled)   # -> RenderCancelled between shots; no animatic.mp4
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from briefreel.render.base import Clip, RenderSettings, Renderer, frame_spans, stable_hash
from briefreel.render.errors import RenderCancelled, RenderError, RendererUnavailable
from briefreel.storyboard.schema import Shot, Storyboard

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


@dataclass(frozen=True)
class ShotEvent:
    """One step of one shot, given to ``render_board(on_shot=...)``.

    ``status``: ``"started"`` (its render begins), then ``"rendered"`` or ``"failed"``; a shot served from the
    cache gets one ``"reused"``. ``done`` counts the shots finished (rendered or reused) so far, this one included.
    Cache hits come first, in board order; rendered shots in the order they finish.
    """

    shot_id: str
    index: int  # the shot's position in the board, from 0
    total: int  # shots in the board
    status: str  # started | rendered | reused | failed
    seconds: float = 0.0  # render time of a rendered shot
    done: int = 0
    error: str | None = None  # why a shot failed


def derive_seed(base_seed: int, shot_id: str) -> int:
    """A stable 31-bit seed from the run's base seed and the shot id."""
    return int(stable_hash({"base_seed": base_seed, "shot": shot_id}), 16) % (2**31)


def _safe_name(shot_id: str) -> str:
    name = re.sub(r"[^\w.\-]+", "_", shot_id, flags=re.UNICODE).strip("._")
    return name or "shot"


def _final_params(settings: RenderSettings, shot: Shot, board: Storyboard) -> dict[str, Any]:
    """What conform/captions/encoding add on top of the renderer's pixels."""
    from briefreel.render.animatic import CONFORM_VERSION
    from briefreel.render.ffmpeg import encoder_id
    from briefreel.render.panel import caption_text

    return {
        "pipeline": PIPELINE_VERSION,
        "conform": CONFORM_VERSION,
        "encoder": encoder_id(settings.fps),
        "size": [settings.width, settings.height],
        "fps": settings.fps,
        "caption": caption_text(shot, board),
        "language": board.language,
    }


# -- worker processes (panel shots) ---------------------------------------------------------------------------------

_started = None  # in a worker process: the queue that tells the parent which shot has just started


def _worker_init(started) -> None:
    global _started
    _started = started


def _render_in_worker(name: str, options: dict, shot_json: str, board_json: str, settings: tuple, frames: int,
                      out_path: str, index: int = -1) -> tuple[dict, float]:
    if _started is not None:
        _started.put(index)
    t0 = time.perf_counter()
    renderer = get_renderer(name, options)
    board = Storyboard.model_validate_json(board_json)
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
) -> RenderReport:
    """Render every shot of ``board`` and write ``clips/``, ``animatic.mp4`` and ``render.json`` into ``out_dir``.

    ``renderer`` is a name from :data:`RENDERERS` or a renderer object. ``use_cache=False`` renders every shot
    again (and refreshes the cache). ``workers``: processes for panel shots (default: the cores, at most 4).
    ``exports=False`` skips the storyboard exports (benchmarks, previews).

    ``on_shot(event)`` receives a :class:`ShotEvent` as each shot starts, finishes, is reused or fails.
    ``should_stop()`` is asked before each shot starts; once it says True no other shot starts, those already
    running (one per worker process) finish into the cache, and :class:`~render.errors.RenderCancelled` is raised
    before any ``animatic.mp4`` is written. Both run in the calling process, also when shots render in worker
    processes; an exception either of them raises propagates.
    """
    from briefreel.render.animatic import conform, join
    from briefreel.render.cache import ClipCache, place

    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    options = dict(renderer_options or {})
    if isinstance(renderer, str):
        name = renderer
        rend = get_renderer(renderer, options)
    else:
        rend, name = renderer, getattr(renderer, "name", type(renderer).__name__)
    settings = RenderSettings.for_board(board)
    cache = ClipCache(cache_dir)
    base_seed = int(options.get("seed") or 0)

    # 2. spans, seeds, keys
    spans = frame_spans([s.duration_s for s in board.shots], settings.fps)
    jobs: list[ShotJob] = []
    for i, (shot, (start, end)) in enumerate(zip(board.shots, spans)):
        if end - start < 1:
            raise RenderError(f"shot {shot.id} is shorter than one frame at {settings.fps} fps "
                              f"({shot.duration_s} s)")
        seed = shot.seed if shot.seed is not None else derive_seed(base_seed, shot.id)
        shot = shot.model_copy(update={"seed": seed})
        raw = rend.cache_key(shot, board, settings, end - start)
        raw_key = stable_hash({"renderer_key": raw})
        key = stable_hash({"renderer_key": raw, **_final_params(settings, shot, board)})
        jobs.append(ShotJob(shot, i, start, end - start, key, raw_key))

    out_dir.mkdir(parents=True, exist_ok=True)
    clips_dir = out_dir / "clips"
    clips_dir.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=out_dir))
    records: dict[str, dict[str, Any]] = {}
    final: dict[str, Path] = {}
    timings = {"render_s": 0.0, "conform_s": 0.0}
    try:
        # 3a. cache hits
        todo = []
        for job in jobs:
            hit = cache.get(job.key) if use_cache else None
            if hit:
                final[job.shot.id] = hit[0]
                records[job.shot.id] = {"status": "reused", "seconds": 0.0, "clip_info": hit[1].get("info", {})}
            else:
                todo.append(job)

        bar = _bar(len(jobs), progress, initial=len(jobs) - len(todo))
        done = [0]

        def emit(job: ShotJob, status: str, seconds: float = 0.0, error: str | None = None) -> None:
            if status in ("rendered", "reused"):
                done[0] += 1
            if on_shot is not None:
                on_shot(ShotEvent(job.shot.id, job.index, len(jobs), status, round(seconds, 3), done[0], error))

        def stop() -> bool:
            return should_stop is not None and bool(should_stop())

        def cancelled() -> RenderCancelled:
            return RenderCancelled(f"render cancelled with {done[0]} of {len(jobs)} shots done "
                                   "(they are in the cache); no animatic was written")

        for job in jobs:
            if job.shot.id in final:
                emit(job, "reused")

        def finish(job: ShotJob, clip: Clip, seconds: float, raw_status: str) -> None:
            t0 = time.perf_counter()
            if not clip.conformed:
                if raw_status == "rendered":
                    cache.put(job.raw_key, clip.path, {"shot": job.shot.id, "clip": clip.to_dict()}, suffix=".raw.mp4")
                clip = conform(clip, job.shot, board, settings, job.frames, work / f"{job.index:04d}.mp4")
            elif clip.frames != job.frames or (clip.width, clip.height) != (settings.width, settings.height):
                raise RenderError(f"shot {job.shot.id}: renderer {name} returned {clip.frames} frames at "
                                  f"{clip.width}x{clip.height}, expected {job.frames} at "
                                  f"{settings.width}x{settings.height}")
            timings["conform_s"] += time.perf_counter() - t0
            meta = {"shot": job.shot.id, "renderer": name, "info": clip.info, "seed": clip.seed,
                    "frames": job.frames}
            final[job.shot.id] = cache.put(job.key, clip.path, meta)
            records[job.shot.id] = {"status": "rendered" if raw_status == "rendered" else "reused",
                                    "raw": raw_status, "seconds": round(seconds, 3), "clip_info": clip.info}
            bar.update(1)
            emit(job, records[job.shot.id]["status"], seconds if raw_status == "rendered" else 0.0)

        # 3b. the renderer's own clip may be cached (a Wan render whose caption changed): conform it again
        rest = []
        for job in todo:
            hit = cache.get(job.raw_key, suffix=".raw.mp4") if use_cache else None
            if hit:
                clip = _clip_from_dict({**hit[1]["clip"], "path": str(hit[0])})
                finish(job, clip, 0.0, "reused")
            else:
                rest.append(job)

        # 3c. render what is left: panel shots in worker processes, anything else here in order
        t0, conform_before = time.perf_counter(), timings["conform_s"]
        n_workers = workers if workers is not None else _workers(len(rest))
        if rest and _parallel_ok(rend) and n_workers > 1 and len(rest) > 1:
            board_json = board.model_dump_json()
            longest_first = sorted(rest, key=lambda j: -_cost(j))  # the longest shots start first: no long tail
            ctx = _mp_context()
            started = ctx.SimpleQueue()  # workers say which shot they begin; the parent reports it
            by_index = {j.index: j for j in rest}
            waiting = list(reversed(longest_first))  # the next shot to start is waiting[-1]
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_worker_init,
                                     initargs=(started,)) as pool:
                running: dict[Any, ShotJob] = {}

                def submit_more() -> None:
                    # One shot per worker at a time, so a stop drops every shot that has not started.
                    while waiting and len(running) < n_workers and not stop():
                        j = waiting.pop()
                        running[pool.submit(_render_in_worker, name, options, j.shot.model_dump_json(), board_json,
                                            (settings.width, settings.height, settings.fps), j.frames,
                                            str(work / f"{j.index:04d}.raw.mp4"), j.index)] = j

                try:
                    submit_more()
                    while running:
                        finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                        while not started.empty():
                            emit(by_index[started.get()], "started")
                        results = []
                        for fut in sorted(finished, key=lambda f: running[f].index):
                            job = running.pop(fut)
                            try:
                                results.append((job, fut.result()))
                            except Exception as exc:
                                emit(job, "failed", error=f"{type(exc).__name__}: {exc}")
                                if isinstance(exc, RenderError):
                                    raise
                                raise RenderError(f"shot {job.shot.id}: {type(exc).__name__}: {exc}") from exc
                        for job, (clip_d, seconds) in results:
                            finish(job, _clip_from_dict(clip_d), seconds, "rendered")
                        if finished:
                            submit_more()
                except BaseException:
                    for fut in running:  # stop at the first failure: shots not started yet never start
                        fut.cancel()
                    raise
            started.close()
            if waiting:  # should_stop() said stop: the running shots finished into the cache, the rest never began
                raise cancelled()
        else:
            for job in rest:
                if stop():
                    raise cancelled()
                emit(job, "started")
                t1 = time.perf_counter()
                try:
                    clip = rend.render_shot(job.shot, board, settings, job.frames,
                                            work / f"{job.index:04d}.raw.mp4")
                except Exception as exc:
                    emit(job, "failed", error=f"{type(exc).__name__}: {exc}")
                    raise
                finish(job, clip, time.perf_counter() - t1, "rendered")
        timings["render_s"] = time.perf_counter() - t0 - (timings["conform_s"] - conform_before)
        bar.close()

        # 4. clips/, animatic.mp4, render.json
        clip_paths: dict[str, Path] = {}
        for job in jobs:
            clip_paths[job.shot.id] = place(final[job.shot.id], clips_dir / f"{_safe_name(job.shot.id)}.mp4")
        keep = {p.name for p in clip_paths.values()}
        for old in clips_dir.glob("*.mp4"):  # clips of shots no longer in the board
            if old.name not in keep:
                old.unlink(missing_ok=True)
        t0 = time.perf_counter()
        total_frames = spans[-1][1]
        animatic = join([clip_paths[j.shot.id] for j in jobs], out_dir / "animatic.mp4", expected_frames=total_frames)
        timings["join_s"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report = RenderReport(
        renderer=name, out_dir=out_dir, animatic=animatic, render_json=out_dir / "render.json",
        rendered=[j.shot.id for j in jobs if records[j.shot.id]["status"] == "rendered"],
        reused=[j.shot.id for j in jobs if records[j.shot.id]["status"] == "reused"],
        clips=clip_paths, seeds={j.shot.id: j.shot.seed for j in jobs}, frames=total_frames,
    )

    # 5. storyboard exports (another module; absent in a minimal install). render.json is written first, so a
    # failing export still leaves a complete record of the render; it is rewritten with the exports' timing.
    report.timings = {k: round(v, 3) for k, v in timings.items()}
    _write_json(report.render_json, _record(report, rend, settings, jobs, records, board))
    t0 = time.perf_counter()
    try:
        from briefreel.render.exports import write_exports
    except ModuleNotFoundError as exc:
        if exc.name not in ("briefreel.render.exports",):
            raise
        write_exports = None
    if write_exports is not None and exports:
        report.exports = list(write_exports(board, out_dir, clips=report.clips, animatic=animatic) or [])
    timings["exports_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - t_start
    report.timings = {k: round(v, 3) for k, v in timings.items()}
    _write_json(report.render_json, _record(report, rend, settings, jobs, records, board))
    return report


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
            records: dict[str, dict[str, Any]], board: Storyboard) -> dict[str, Any]:
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
        })
    return {
        "renderer": report.renderer,
        "renderer_version": getattr(rend, "version", ""),
        "briefreel_version": app_version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "title": board.title,
        "settings": {"width": settings.width, "height": settings.height, "fps": settings.fps,
                     "aspect_ratio": board.aspect_ratio, "encoder": " ".join(encoder_args(settings.fps))},
        "shots": shots,
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
