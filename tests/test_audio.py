"""Sound under the animatic (issue 18.2): a music bed, a scratch VO from espeak-ng timed to its shot, ducking, an
AAC track exactly the video's length, audio clips in the timelines. Everything measured from decoded files."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from briefreel.render.audio import AudioOptions
from briefreel.render.ffmpeg import ffmpeg_exe, probe
from briefreel.render.pipeline import render_board
from briefreel.storyboard.schema import Storyboard

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (.ci/system-deps.sh)")
SR = 48000
FPS = 24


def board(lang: str = "en") -> Storyboard:
    line = "Fresh bread, every morning." if lang == "en" else "每天早上，新鲜面包。"
    return Storyboard.model_validate({
        "title": "Bakery", "language": lang,
        "shots": [
            {"id": "S01", "size": "LS", "duration_s": 1.0, "description": "A bakery street at dawn"},
            {"id": "S02", "size": "MS", "duration_s": 2.0, "description": "A baker pulls loaves from the oven",
             "dialogue": line, "dialogue_kind": "vo"},
            {"id": "S03", "size": "CU", "duration_s": 1.0, "description": "Steam rises from a loaf"},
        ],
    })


def tone(path: Path, hz: int, seconds: float) -> Path:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={hz}:sample_rate={SR}:duration={seconds}", str(path)], check=True)
    return path


def decoded_audio(path: Path) -> np.ndarray:
    res = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0",
                          "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(res.stdout, np.float32)


def level(x: np.ndarray, hz: float) -> float:
    """Amplitude of the ``hz`` component of ``x`` (a windowed DFT bin)."""
    n = len(x)
    t = np.arange(n) / SR
    w = np.hanning(n)
    return float(abs(np.sum(x * w * np.exp(-2j * np.pi * hz * t))) * 2 / np.sum(w))


def render(b, out, cache, **kw):
    return render_board(b, out, cache_dir=cache, progress=False, workers=1, **kw)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scratch_vo_starts_on_its_shot_and_the_track_is_the_videos_length(tmp_path, lang):
    out = tmp_path / "out"
    report = render(board(lang), out, tmp_path / "cache", exports=False, audio=AudioOptions())
    video = probe(out / "animatic.mp4")
    samples = decoded_audio(out / "animatic.mp4")
    # the audio track is the video's length (to the AAC frame: 1024 samples, well under one video frame)
    assert abs(len(samples) / SR - video.frames / FPS) < 1024 / SR
    # the VO starts within one frame of its shot's first frame (S02 starts at frame 24)
    onset = int(np.argmax(np.abs(samples) > 0.02)) / SR
    assert abs(onset - 24 / FPS) <= 1 / FPS, onset
    assert np.abs(samples[: int(0.9 * SR)]).max() < 0.005  # nothing before it
    rec = json.loads((out / "render.json").read_text())
    audio = rec["audio"]
    assert audio["track"] and audio["codec"] == "aac" and audio["tts"].startswith("eSpeak")
    assert [(c["kind"], c["shot"], c["source"], c["start_frame"]) for c in audio["clips"]] == [
        ("vo", "S02", "scratch", 24)]
    assert report.audio["clips"][0]["path"] == "audio/vo_S02.wav" and (out / "audio" / "vo_S02.wav").is_file()


def test_music_bed_is_ducked_under_speech_and_timelines_carry_the_audio(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    music = tone(tmp_path / "bed.wav", 60, 1.5)  # shorter than the film: looped
    render(board(), out, cache, exports=True, audio=AudioOptions(music=music))
    samples = decoded_audio(out / "animatic.mp4")
    video = probe(out / "animatic.mp4")
    assert abs(len(samples) / SR - video.frames / FPS) < 1024 / SR
    before = level(samples[int(0.2 * SR):int(0.9 * SR)], 60)  # the bed alone
    during = level(samples[int(1.4 * SR):int(2.2 * SR)], 60)  # under the voice
    assert before > 0.02 and during < before * 0.5, (before, during)
    assert level(samples[int(3.0 * SR):int(3.25 * SR)], 60) > 0.02  # back up after the line; the loop carries on

    tl = otio.adapters.read_from_file(str(out / "timeline.otio"))
    audio_tracks = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert [t.name for t in audio_tracks] == ["A1 VO", "A2 Music"]
    vo = [c for c in audio_tracks[0] if isinstance(c, otio.schema.Clip)][0]
    assert vo.range_in_parent().start_time.value == 24 and vo.media_reference.target_url == "audio/vo_S02.wav"
    music_clip = list(audio_tracks[1])[0]
    assert music_clip.range_in_parent().duration.value == video.frames
    xml = ET.parse(out / "timeline.xml").getroot()
    audio_items = xml.findall(".//sequence/media/audio/track/clipitem")
    assert len(audio_items) == 2 and any("vo_S02.wav" in (el.findtext(".//pathurl") or "") for el in audio_items)


def test_user_vo_files_no_audio_and_nothing_to_hear(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    line = tone(tmp_path / "line.wav", 440, 0.5)
    render(board(), out, cache, exports=False, audio=AudioOptions.from_args(vo=[f"S03={line}"], scratch_vo=False))
    samples = decoded_audio(out / "animatic.mp4")
    onset = int(np.argmax(np.abs(samples) > 0.02)) / SR
    assert abs(onset - 72 / FPS) <= 1 / FPS  # S03 starts at frame 72
    # --no-audio: a silent animatic, and the audio/ of the last render is gone
    render(board(), out, cache, exports=False, audio=AudioOptions(enabled=False))
    assert probe(out / "animatic.mp4").frames == 96 and not (out / "audio").exists()
    res = subprocess.run([ffmpeg_exe(), "-nostdin", "-i", str(out / "animatic.mp4")], capture_output=True, text=True)
    assert "Audio:" not in res.stderr
    # a film with no VO line and no music: nothing to hear, no track
    silent = board()
    silent.shots[1].dialogue_kind = "dialogue"
    report = render(silent, out, cache, exports=False, audio=AudioOptions())
    assert report.audio is None and "audio" not in json.loads((out / "render.json").read_text())
    with pytest.raises(Exception, match="shots the board does not have"):
        render(board(), out, cache, exports=False, audio=AudioOptions(vo_shots={"S09": line}))


def test_cli_music_vo_and_no_audio(tmp_path):
    from briefreel.cli import main

    shots = tmp_path / "shots.json"
    board().save(shots)
    bed = tone(tmp_path / "bed.wav", 60, 1.0)
    cache = ["--cache-dir", str(tmp_path / "cache"), "-q"]
    assert main(["render", str(shots), "--out", str(tmp_path / "a"), "--music", str(bed), *cache]) == 0
    rec = json.loads((tmp_path / "a" / "render.json").read_text())
    assert [c["kind"] for c in rec["audio"]["clips"]] == ["vo", "music"] and rec["audio"]["ducking"]
    assert (tmp_path / "a" / "audio" / "music.wav").is_file()
    assert main(["render", str(shots), "--out", str(tmp_path / "b"), "--no-audio", *cache]) == 0
    assert "audio" not in json.loads((tmp_path / "b" / "render.json").read_text())
    assert main(["render", str(shots), "--out", str(tmp_path / "c"), "--music", str(tmp_path / "no.mp3"),
                 *cache]) == 2
    assert not (tmp_path / "c" / "animatic.mp4").exists()
