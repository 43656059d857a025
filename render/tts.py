"""A scratch voice-over, offline: the shots' VO lines spoken by espeak-ng (Debian's ``espeak-ng`` package).

    path = speak("Fresh bread, every morning.", "en", Path("vo.wav"), fit_s=2.5)

English lines get the ``en-us`` voice, Chinese ones ``cmn`` (Mandarin). A line longer than ``fit_s`` seconds at
the normal rate is spoken again faster (up to 2.2 times) so that it ends within its shot. The WAV is 22.05 kHz mono,
as espeak-ng writes it; leading and trailing silence are left to :mod:`render.audio` to trim.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

from briefreel.render.errors import RenderError, RendererUnavailable

ENGINE = "espeak-ng"
VOICES = {"en": "en-us", "zh": "cmn"}
BASE_RATE = 165  # words per minute: a calm read
MAX_SPEEDUP = 2.2


def available() -> bool:
    return shutil.which(ENGINE) is not None


def engine_version() -> str:
    if not available():
        return ""
    res = subprocess.run([ENGINE, "--version"], capture_output=True, text=True, errors="replace")
    return res.stdout.strip().splitlines()[0] if res.stdout.strip() else ENGINE


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def _say(text: str, voice: str, rate: int, out: Path) -> None:
    # the text goes on stdin: a line that starts with "-" is never read as an option
    res = subprocess.run([ENGINE, "-v", voice, "-s", str(rate), "-w", str(out), "--stdin"], input=text,
                         capture_output=True, text=True, errors="replace", timeout=120)
    if res.returncode != 0 or not out.is_file():
        raise RenderError(f"{ENGINE} could not speak a VO line: {res.stderr.strip()[-200:] or res.returncode}")


def speak(text: str, lang: str, out: Path, fit_s: float | None = None) -> Path:
    """``text`` spoken into ``out`` (WAV); faster when it would run past ``fit_s`` seconds."""
    if not available():
        raise RendererUnavailable(f"the scratch voice-over needs {ENGINE}: apt-get install espeak-ng")
    voice = VOICES.get(lang, VOICES["en"])
    out = Path(out)
    _say(text, voice, BASE_RATE, out)
    if fit_s and fit_s > 0:
        spoken = wav_seconds(out)
        if spoken > fit_s:
            rate = int(BASE_RATE * min(MAX_SPEEDUP, spoken / fit_s * 1.05))
            _say(text, voice, rate, out)
    return out
