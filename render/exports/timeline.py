"""The cut for an editor: ``timeline.otio``, ``timeline.xml`` (FCP7 xmeml) and ``timeline.edl`` (CMX 3600).

One video track, one clip per shot in board order, each exactly its animatic span at 24 fps (the spans of
``render.base.frame_spans``, so the timelines line up with animatic.mp4 and captions.srt frame for frame).
Clip names carry the shot id (``S03 MCU push_in``), media names the clip file (``S03.mp4``), and the spoken
line of a shot (dialogue, VO or super) is a marker on its clip. The shot's whole row of shots.json travels in
``clip.metadata["briefreel"]`` of the .otio file. When the animatic has sound (``audio/audio.json``, written by
``render.audio``), audio tracks follow: A1 the voice-over clips at their shots' frames, A2 the music bed.

The FCP7 XML is written by otio-fcp-adapter and then completed for the importers that are strict about it
(DaVinci Resolve, Premiere Pro): a ``<format>`` with sample characteristics on the sequence, absolute
``file://localhost/`` path URLs, per-file video sample characteristics (and no phantom audio track for silent
clips), one ``<rate>``, ``<duration>``, ``<in>/<out>/<start>/<end>``, ``<enabled>`` and ``<masterclipid>`` per
clip item, ``<logginginfo>`` (description, scene, shot) and marker comments. Scene starts are sequence markers. The EDL uses the shot id as the reel name (at most 8 characters, ASCII) with the
clip name in the ``* FROM CLIP NAME`` comment.
"""

from __future__ import annotations

import copy
import os
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from briefreel.render.base import FRAME_SIZES
from briefreel.render.exports.common import Timed, atomic_path, timed_shots, title
from briefreel.render.exports.thumbs import ClipInfo
from briefreel.storyboard.schema import Shot, Storyboard, clip_stem

MARKER_COLORS = {"vo": otio.schema.MarkerColor.BLUE, "super": otio.schema.MarkerColor.YELLOW}


def clip_name(shot: Shot) -> str:
    return f"{shot.id} {shot.size.value} {shot.movement.value}"


def media_path(shot: Shot, out_dir: Path, clips: dict[str, Path] | None) -> Path:
    """Where the shot's clip is (or will be, once rendered): ``clips/<id>.mp4`` unless the renderer said otherwise."""
    if clips and shot.id in clips:
        return Path(clips[shot.id])
    return Path(out_dir) / "clips" / f"{clip_stem(shot.id)}.mp4"  # the schema's rule, as render.pipeline names it


def _relative_url(path: Path, out_dir: Path) -> str:
    try:
        rel = Path(os.path.relpath(Path(path).resolve(), Path(out_dir).resolve()))
    except ValueError:  # another drive on Windows
        return Path(path).resolve().as_uri()
    if rel.parts and rel.parts[0] == "..":
        return Path(path).resolve().as_uri()
    return urllib.parse.quote(rel.as_posix())


def _localhost_url(path: Path) -> str:
    """FCP7 style: file://localhost/abs/path with spaces and reserved ASCII percent-encoded (as Premiere writes).

    Non-ASCII characters (a Chinese folder name) stay as UTF-8 text: DaVinci Resolve does not decode
    percent-encoded UTF-8 in media paths and would leave such clips offline (0xsline/OpenChatCut#27).
    """
    posix = Path(path).resolve().as_posix()
    return "file://localhost" + "".join(ch if ord(ch) > 127 else urllib.parse.quote(ch, safe="/") for ch in posix)


def _markers(t: Timed) -> list[otio.schema.Marker]:
    shot = t.shot
    rng = otio.opentime.TimeRange(otio.opentime.RationalTime(0, t.fps), otio.opentime.RationalTime(t.frames, t.fps))
    out = []
    if shot.dialogue.strip():
        kind = shot.dialogue_kind or "dialogue"
        who = f" ({shot.speaker})" if shot.speaker else ""
        out.append(otio.schema.Marker(
            name=f"{shot.id} {kind.upper()}{who}: {shot.dialogue.strip()}",
            marked_range=rng,
            color=MARKER_COLORS.get(kind, otio.schema.MarkerColor.GREEN),
            comment=shot.dialogue.strip(),
            metadata={"briefreel": {"shot": shot.id, "kind": kind, "speaker": shot.speaker}},
        ))
    if shot.on_screen_text.strip() and shot.on_screen_text.strip() != shot.dialogue.strip():
        out.append(otio.schema.Marker(
            name=f"{shot.id} SUPER: {shot.on_screen_text.strip()}",
            marked_range=rng,
            color=otio.schema.MarkerColor.YELLOW,
            comment=shot.on_screen_text.strip(),
            metadata={"briefreel": {"shot": shot.id, "kind": "super"}},
        ))
    return out


def build_timeline(
    board: Storyboard,
    out_dir: Path,
    clips: dict[str, Path] | None = None,
    infos: dict[str, ClipInfo] | None = None,
) -> otio.schema.Timeline:
    """The board as an OTIO timeline; media URLs relative to ``out_dir`` (where timeline.otio is written)."""
    infos = infos or {}
    timed = timed_shots(board)
    fps = timed[0].fps
    tl = otio.schema.Timeline(name=title(board))
    tl.global_start_time = otio.opentime.RationalTime(0, fps)
    tl.metadata["briefreel"] = {
        "title": board.title, "language": board.language, "aspect_ratio": board.aspect_ratio, "fps": fps,
        "size": list(FRAME_SIZES[board.aspect_ratio]), "shots": len(timed), "frames": timed[-1].end,
    }
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    for t in timed:
        shot = t.shot
        path = media_path(shot, out_dir, clips)
        info = infos.get(shot.id)
        media_frames = info.frames(fps) if info else None
        available = max(t.frames, media_frames or 0)
        ref = otio.schema.ExternalReference(
            target_url=_relative_url(path, out_dir),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(available, fps)),
        )
        ref.name = path.name
        ref.metadata["briefreel"] = {"rendered": path.is_file(), "has_audio": bool(info and info.has_audio)}
        clip = otio.schema.Clip(
            name=clip_name(shot),
            media_reference=ref,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(t.frames, fps)),
        )
        clip.metadata["briefreel"] = {
            **shot.model_dump(mode="json", exclude_none=True),
            "start_frame": t.start, "end_frame": t.end, "fps": fps,
        }
        for m in _markers(t):
            clip.markers.append(m)
        track.append(clip)
    for marker in _scene_markers(board, timed):
        tl.tracks.markers.append(marker)
    from briefreel.render.audio import audio_tracks  # the sound under the animatic, when it has one (audio/)

    tl.tracks.extend(audio_tracks(out_dir, fps, _relative_url))
    return tl


def _scene_markers(board: Storyboard, timed: list[Timed]) -> list[otio.schema.Marker]:
    """A marker on the sequence where each scene starts, named by its heading."""
    headings = {sc.number: sc.heading for sc in board.scenes}
    out, previous = [], None
    for t in timed:
        if t.shot.scene == previous:
            continue
        previous = t.shot.scene
        end = next((u.start for u in timed[t.index:] if u.shot.scene != t.shot.scene), timed[-1].end)
        heading = headings.get(t.shot.scene, "")
        out.append(otio.schema.Marker(
            name=f"SC {t.shot.scene}" + (f" {heading}" if heading else ""),
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(t.start, t.fps),
                                                 otio.opentime.RationalTime(end - t.start, t.fps)),
            color=otio.schema.MarkerColor.PURPLE,
            metadata={"briefreel": {"scene": t.shot.scene, "heading": heading}},
        ))
    return out


def write_otio(tl: otio.schema.Timeline, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(otio.adapters.write_to_string(tl, adapter_name="otio_json"), encoding="utf-8")
    return Path(path)


# -- FCP7 XML -----------------------------------------------------------------------------------------------------

def _el(tag: str, text: str | None = None, children: list[ET.Element] = ()) -> ET.Element:
    e = ET.Element(tag)
    if text is not None:
        e.text = text
    e.extend(children)
    return e


def _rate(fps: int) -> ET.Element:
    return _el("rate", children=[_el("timebase", str(fps)), _el("ntsc", "FALSE")])


def _samplecharacteristics(fps: int, width: int, height: int) -> ET.Element:
    return _el("samplecharacteristics", children=[
        _rate(fps), _el("width", str(width)), _el("height", str(height)), _el("anamorphic", "FALSE"),
        _el("pixelaspectratio", "square"), _el("fielddominance", "none"), _el("colordepth", "24"),
    ])


def _logginginfo(shot: dict) -> ET.Element:
    """Premiere's Description / Scene / Shot/Take / Log Note columns: the picture, scene, shot id and the line."""
    line = shot.get("dialogue", "").strip()
    kind = (shot.get("dialogue_kind") or "dialogue").upper()
    return _el("logginginfo", children=[
        _el("description", shot.get("description", "")),
        _el("scene", str(shot.get("scene", ""))),
        _el("shottake", shot.get("id", "")),
        _el("lognote", f"{kind}: {line}" if line else ""),
    ])


def fcp_xml(tl: otio.schema.Timeline, board: Storyboard, abs_paths: list[Path], infos: dict[str, ClipInfo]) -> str:
    """FCP7 XML that Resolve and Premiere import: the adapter's output, completed (see the module docstring)."""
    fps = int(tl.metadata["briefreel"]["fps"])
    seq_w, seq_h = FRAME_SIZES[board.aspect_ratio]
    root = ET.fromstring(otio.adapters.write_to_string(tl, adapter_name="fcp_xml"))
    sequence = root.find("./project/children/sequence")
    if sequence is None:
        raise ValueError("the FCP7 adapter wrote no <sequence>")
    video = sequence.find("./media/video")
    fmt = video.find("format")
    if fmt is None:
        fmt = ET.Element("format")
        video.insert(0, fmt)
    fmt.clear()
    fmt.append(_samplecharacteristics(fps, seq_w, seq_h))
    audio = sequence.find("./media/audio")
    if audio is not None and len(audio) == 0:  # Premiere's own sequences say what their audio is
        audio.extend([_el("numOutputChannels", "2"), _el("format", children=[_el("samplecharacteristics", children=[
            _el("depth", "16"), _el("samplerate", "48000")])])])

    items = sequence.findall("./media/video/track/clipitem")
    shots = tl.tracks[0].find_clips()
    if len(items) != len(shots):
        raise ValueError(f"the FCP7 adapter wrote {len(items)} clip items for {len(shots)} shots")
    for n, (item, clip, path) in enumerate(zip(items, shots, abs_paths), start=1):
        shot_id = clip.metadata["briefreel"]["id"]
        info = infos.get(shot_id) or ClipInfo()
        media_frames = int(clip.media_reference.available_range.duration.value)
        file_e = item.find("file")
        # <file>: absolute URL, the clip's own picture size, and no audio track unless the clip has one.
        file_e.find("pathurl").text = _localhost_url(path)
        file_e.find("duration").text = str(media_frames)
        media = file_e.find("media")
        if media is None:
            media = _el("media")
            file_e.append(media)
        media.clear()
        media.append(_el("video", children=[
            _el("duration", str(media_frames)),
            _samplecharacteristics(fps, info.width or seq_w, info.height or seq_h),
        ]))
        if info.has_audio:
            media.append(_el("audio", children=[_el("channelcount", "2")]))
        # <marker>: keep the line as a comment too (Premiere shows it in the marker panel).
        markers = item.findall("marker")
        for m_e, marker in zip(markers, clip.markers):
            comment = _el("comment", marker.comment)
            m_e.insert(1, comment)
        # <clipitem>: one child of each timing tag, in the order Premiere writes them.
        timing = {tag: item.find(tag).text for tag in ("start", "end", "in", "out")}
        name = item.find("name").text
        for child in list(item):
            item.remove(child)
        item.extend([
            _el("masterclipid", f"masterclip-{n}"),
            _el("name", name),
            _el("enabled", "TRUE"),
            _el("duration", str(media_frames)),
            _rate(fps),
            _el("start", timing["start"]), _el("end", timing["end"]),
            _el("in", timing["in"]), _el("out", timing["out"]),
            _el("pixelaspectratio", "square"),
            _el("anamorphic", "FALSE"),
            file_e,
            _logginginfo(clip.metadata["briefreel"]),
            *markers,
        ])
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"


def write_fcp_xml(tl, board, abs_paths, infos, path: Path) -> Path:
    text = fcp_xml(tl, board, abs_paths, infos)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


# -- CMX 3600 EDL -------------------------------------------------------------------------------------------------

def _ascii(text: str) -> str:
    return re.sub(r"\s+", " ", text.encode("ascii", "ignore").decode()).strip()


def reel_names(board: Storyboard) -> dict[str, str]:
    """8-character ASCII reel per shot: the shot id when it fits and is unique, else a numbered reel."""
    reels, used = {}, set()
    for i, shot in enumerate(board.shots, start=1):
        reel = re.sub(r"[^A-Za-z0-9]", "", shot.id)[:8]
        if not reel or reel in used:
            reel = f"SH{i:03d}"
        used.add(reel)
        reels[shot.id] = reel
    return reels


def edl(tl: otio.schema.Timeline, board: Storyboard, abs_paths: list[Path]) -> str:
    """CMX 3600 (Avid style) through otio-cmx3600-adapter; comments kept to ASCII for every importer."""
    tl = copy.deepcopy(tl)
    tl.name = _ascii(tl.name) or "briefreel storyboard"
    reels = reel_names(board)
    for clip, path in zip(tl.tracks[0].find_clips(), abs_paths):
        shot_id = clip.metadata["briefreel"]["id"]
        clip.name = _ascii(clip.name) or reels[shot_id]
        clip.media_reference.target_url = Path(path).resolve().as_uri()
        clip.metadata["cmx_3600"] = {"reel": reels[shot_id]}
        for m in clip.markers:
            kind = m.metadata.get("briefreel", {}).get("kind", "line")
            text = m.comment if m.comment.isascii() else ""  # Chinese lines live in the .otio, .xml and .srt
            m.name = f"{reels[shot_id]} {kind.upper()}" + (f": {_ascii(text)}" if text.strip() else "")
    return otio.adapters.write_to_string(
        tl, adapter_name="cmx_3600", rate=int(tl.metadata["briefreel"]["fps"]), style="avid", reelname_len=8)


def write_edl(tl, board, abs_paths, path: Path) -> Path:
    text = edl(tl, board, abs_paths)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="ascii", errors="replace")
    return Path(path)


def write_timelines(
    board: Storyboard,
    out_dir: Path,
    dest: Path,
    clips: dict[str, Path] | None = None,
    infos: dict[str, ClipInfo] | None = None,
) -> list[Path]:
    """timeline.otio, timeline.xml and timeline.edl for ``board`` into ``dest`` (media paths as in ``out_dir``)."""
    infos = infos or {}
    tl = build_timeline(board, out_dir, clips, infos)
    abs_paths = [media_path(s, out_dir, clips) for s in board.shots]
    return [
        write_otio(tl, Path(dest) / "timeline.otio"),
        write_fcp_xml(tl, board, abs_paths, infos, Path(dest) / "timeline.xml"),
        write_edl(tl, board, abs_paths, Path(dest) / "timeline.edl"),
    ]
