"""Sound under the animatic: a music bed and a voice-over, mixed, ducked and muxed into ``animatic.mp4`` (AAC).

    opts = AudioOptions(music=Path("bed.mp3"), vo_shots={"S02": Path("line.wav")})   # or vo=Path("whole.wav")
    info = mix_into(animatic, board, spans, fps, out_dir, opts)      # render.json's "audio"

- **Voice-over**: a whole-film file (``vo``) starts at 0; a shot's file (``vo_shots``) starts at its shot's first
  frame and is cut at its end. Shots with a VO line (``dialogue_kind == "vo"``) and no file get a **scratch VO** spoken by espeak-ng
  (:mod:`render.tts`; English or Mandarin by the board's language), leading silence trimmed so the voice starts on
  the shot's first frame, spoken faster when the line would outrun its shot.
- **Music**: looped to the film's length, at ``music_db`` under full scale, faded out over the last second, and
  ducked under speech (ffmpeg ``sidechaincompress`` keyed by the voice-over).
- The mix is exactly the video's length (``apad`` + ``atrim`` to frames / fps), 48 kHz stereo, AAC 160 kb/s; the
  video stream is copied untouched. The sources are copied into ``audio/`` (``vo_S02.wav``, ``music.mp3``...) and
  listed in ``audio/audio.json``, which the timeline exports turn into audio tracks (:func:`audio_tracks`).

Nothing to hear (no music, no VO file, no VO line or no espeak-ng) leaves the animatic silent, as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefreel.render.errors import RenderError
from briefreel.storyboard.schema import Storyboard, clip_stem

SAMPLE_RATE = 48000
AAC_BITRATE = "160k"
MANIFEST = "audio.json"


@dataclass
class AudioOptions:
    """What goes under the picture. ``enabled=False`` (``--no-audio``): a silent animatic."""

    enabled: bool = True
    music: Path | None = None
    vo: Path | None = None  # one file for the whole film, from 0
    vo_shots: dict[str, Path] = field(default_factory=dict)  # shot id -> file, from the shot's first frame
    scratch_vo: bool = True  # speak the VO lines of shots with no file (espeak-ng)
    music_db: float = -10.0  # the bed's level
    duck: bool = True

    @classmethod
    def from_args(cls, music: str | None = None, vo: list[str] | str | None = None, enabled: bool = True,
                  scratch_vo: bool = True) -> "AudioOptions":
        """From CLI-style values: ``vo`` is ``FILE`` (whole film) or ``SHOT=FILE`` (one shot), or a list of them."""
        whole, shots = None, {}
        for item in ([vo] if isinstance(vo, str) else list(vo or [])):
            sid, sep, path = item.partition("=")
            if sep and sid and not Path(item).exists():
                shots[sid.strip()] = Path(path)
            else:
                whole = Path(item)
        opts = cls(enabled=enabled, music=Path(music) if music else None, vo=whole, vo_shots=shots,
                   scratch_vo=scratch_vo)
        opts.check()
        return opts

    def check(self, board: Storyboard | None = None) -> None:
        for p in [self.music, self.vo, *self.vo_shots.values()]:
            if p is not None and not Path(p).is_file():
                raise RenderError(f"audio file not found: {p}")
        if board is not None:
            ids = {s.id for s in board.shots}
            unknown = sorted(set(self.vo_shots) - ids)
            if unknown:
                raise RenderError(f"--vo names shots the board does not have: {', '.join(unknown)}")


@dataclass
class Cue:
    kind: str  # "vo" | "music"
    path: Path  # in out_dir/audio
    start_frame: int
    frames: int  # how long it sounds in the film (to the film's end for a file; the shot for a scratch line)
    shot: str = ""
    source: str = ""  # "file" | "scratch"
    text: str = ""


def _run(cmd: list[str], what: str) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else str(res.returncode)
        raise RenderError(f"{what} failed: {tail}")


def plan_cues(board: Storyboard, spans: list[tuple[int, int]], fps: int, audio_dir: Path,
              opts: AudioOptions) -> tuple[list[Cue], list[str]]:
    """The voice-over and music cues, their files copied (or spoken) into ``audio_dir``; and notes."""
    from briefreel.render import tts

    notes: list[str] = []
    total = spans[-1][1]
    cues: list[Cue] = []
    audio_dir.mkdir(parents=True, exist_ok=True)
    if opts.vo is not None:
        dest = audio_dir / f"vo{Path(opts.vo).suffix.lower() or '.wav'}"
        shutil.copyfile(opts.vo, dest)
        cues.append(Cue("vo", dest, 0, total, source="file"))
    for shot, (start, end) in zip(board.shots, spans):
        if shot.id in opts.vo_shots:
            src = Path(opts.vo_shots[shot.id])
            dest = audio_dir / f"vo_{clip_stem(shot.id)}{src.suffix.lower() or '.wav'}"
            shutil.copyfile(src, dest)
            cues.append(Cue("vo", dest, start, end - start, shot=shot.id, source="file"))  # cut at the shot's end
        elif (opts.vo is None and opts.scratch_vo and shot.dialogue_kind == "vo" and shot.dialogue.strip()):
            if not tts.available():
                if "no espeak-ng" not in notes:
                    notes.append("no espeak-ng: no scratch VO (apt-get install espeak-ng)")
                continue
            dest = audio_dir / f"vo_{clip_stem(shot.id)}.wav"
            tts.speak(shot.dialogue.strip(), board.language, dest, fit_s=(end - start) / fps)
            cues.append(Cue("vo", dest, start, end - start, shot=shot.id, source="scratch",
                            text=shot.dialogue.strip()))
    if opts.music is not None:
        dest = audio_dir / f"music{Path(opts.music).suffix.lower() or '.wav'}"
        shutil.copyfile(opts.music, dest)
        cues.append(Cue("music", dest, 0, total, source="file"))
    return cues, notes


def _graph(cues: list[Cue], fps: int, total: int, opts: AudioOptions) -> tuple[list[str], str]:
    """ffmpeg input arguments (after the video, input 0) and the filter graph ending in ``[aout]``."""
    seconds = total / fps
    fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    inputs: list[str] = []
    chains: list[str] = []
    vo_labels: list[str] = []
    music_label = None
    for n, cue in enumerate(cues, start=1):
        if cue.kind == "music":
            inputs += ["-stream_loop", "-1", "-i", str(cue.path)]
            fade = max(0.0, seconds - 1.0)
            chains.append(f"[{n}:a]{fmt},volume={opts.music_db}dB,atrim=0:{seconds:.6f},"
                          f"afade=t=out:st={fade:.6f}:d={min(1.0, seconds):.6f}[m{n}]")
            music_label = f"m{n}"
            continue
        inputs += ["-i", str(cue.path)]
        delay_ms = round(cue.start_frame / fps * 1000, 3)
        trim = "silenceremove=start_periods=1:start_threshold=-50dB," if cue.source == "scratch" else ""
        length = cue.frames / fps
        chains.append(f"[{n}:a]{fmt},{trim}atrim=0:{length:.6f},adelay={delay_ms}:all=1[v{n}]")
        vo_labels.append(f"v{n}")
    pad = f"apad=whole_dur={seconds:.6f},atrim=0:{seconds:.6f},asetpts=N/SR/TB"
    if vo_labels:
        joined = "".join(f"[{v}]" for v in vo_labels)
        chains.append(f"{joined}amix=inputs={len(vo_labels)}:normalize=0:duration=longest,{pad}[vo]"
                      if len(vo_labels) > 1 else f"{joined}{pad}[vo]")
    if music_label and vo_labels:
        if opts.duck:
            chains.append("[vo]asplit=2[key][voice]")
            chains.append(f"[{music_label}]{pad}[bed]")
            chains.append("[bed][key]sidechaincompress=threshold=0.01:ratio=12:attack=10:release=400:makeup=1[duck]")
            chains.append(f"[duck][voice]amix=inputs=2:normalize=0:duration=first,{pad}[aout]")
        else:
            chains.append(f"[{music_label}][vo]amix=inputs=2:normalize=0:duration=first,{pad}[aout]")
    elif music_label:
        chains.append(f"[{music_label}]{pad}[aout]")
    else:
        chains.append("[vo]anull[aout]")
    return inputs, ";".join(chains)


def mix_into(animatic: Path, board: Storyboard, spans: list[tuple[int, int]], fps: int, out_dir: Path,
             opts: AudioOptions) -> dict[str, Any] | None:
    """Lay the sound under ``animatic`` (in place, atomically). Returns what render.json records, or None when
    there is nothing to hear (the animatic stays silent; ``audio/`` is removed)."""
    from briefreel.render import tts
    from briefreel.render.ffmpeg import ffmpeg_exe

    audio_dir = Path(out_dir) / "audio"
    if audio_dir.exists():
        shutil.rmtree(audio_dir)
    if not opts.enabled:
        return None
    opts.check(board)
    cues, notes = plan_cues(board, spans, fps, audio_dir, opts)
    if not cues:
        shutil.rmtree(audio_dir, ignore_errors=True)
        return {"track": False, "notes": notes} if notes else None
    total = spans[-1][1]
    inputs, graph = _graph(cues, fps, total, opts)
    tmp = animatic.with_name(f".{animatic.stem}.{os.getpid()}.audio.part.mp4")
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(animatic), *inputs,
           "-filter_complex", graph, "-map", "0:v:0", "-map", "[aout]", "-c:v", "copy", "-c:a", "aac",
           "-b:a", AAC_BITRATE, "-ar", str(SAMPLE_RATE), "-ac", "2", "-movflags", "+faststart", "-f", "mp4",
           str(tmp)]
    try:
        _run(cmd, "mixing the sound")
        os.replace(tmp, animatic)
    finally:
        tmp.unlink(missing_ok=True)
    manifest = {
        "fps": fps, "frames": total, "sample_rate": SAMPLE_RATE, "codec": "aac", "bitrate": AAC_BITRATE,
        "ducking": bool(opts.duck and any(c.kind == "music" for c in cues) and any(c.kind == "vo" for c in cues)),
        "music_db": opts.music_db,
        "tts": tts.engine_version() if any(c.source == "scratch" for c in cues) else "",
        "clips": [{"kind": c.kind, "path": c.path.relative_to(out_dir).as_posix(), "start_frame": c.start_frame,
                   "frames": c.frames, "shot": c.shot, "source": c.source, **({"text": c.text} if c.text else {})}
                  for c in cues],
    }
    (audio_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"track": True, **manifest, "notes": notes}


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = Path(out_dir) / "audio" / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def audio_tracks(out_dir: Path, fps: int, url_for) -> list:
    """OTIO audio tracks for the sound under the animatic (``audio/audio.json``): A1 the voice-over, A2 the
    music; each clip placed at its start frame (gaps between). ``url_for(path, out_dir)`` makes the media URL."""
    import opentimelineio as otio

    manifest = read_manifest(out_dir)
    if not manifest:
        return []
    tracks = []
    for name, kind in (("A1 VO", "vo"), ("A2 Music", "music")):
        cues = sorted((c for c in manifest["clips"] if c["kind"] == kind), key=lambda c: c["start_frame"])
        if not cues:
            continue
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        at = 0
        for c in cues:
            start, frames = int(c["start_frame"]), int(c["frames"])
            if start < at:  # overlapping files (a whole-film VO and a shot's): the later one is cut to fit
                continue
            if start > at:
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(start - at, fps))))
            path = Path(out_dir) / c["path"]
            ref = otio.schema.ExternalReference(
                target_url=url_for(path, out_dir),
                available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps),
                                                        otio.opentime.RationalTime(frames, fps)))
            ref.name = path.name
            clip = otio.schema.Clip(
                name=f"{c['shot']} VO" if kind == "vo" and c["shot"] else path.stem, media_reference=ref,
                source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps),
                                                     otio.opentime.RationalTime(frames, fps)))
            clip.metadata["briefreel"] = {k: v for k, v in c.items() if k != "path"}
            track.append(clip)
            at = start + frames
        tracks.append(track)
    return tracks
