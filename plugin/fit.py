"""Keep what a tool returns inside Dify's limits.

* Non-file messages (JSON, variables, text) travel as one stdout line each; the daemon's reader stops at
  ``PLUGIN_STDIO_MAX_BUFFER_SIZE`` (5 MiB) and kills the plugin. :data:`MESSAGE_BUDGET` keeps well under it.
* Files travel as 8 KiB blob chunks, reassembled by Dify up to ``PLUGIN_MAX_FILE_SIZE`` (50 MB by default, 30 MB
  hard-coded on older versions, 15 MB on some). :func:`fit_video` re-encodes an MP4 smaller, keeping its frame
  rate and every frame, until it fits; what still does not fit is refused with a clear message.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from briefreel.plugin.errors import ToolUserError

MESSAGE_BUDGET = 4 * 1024 * 1024  # bytes of JSON per message, under the 5 MiB line limit with room for framing

# (constant rate factor, scale) tried in turn: a little softer, then smaller frames.
VIDEO_LADDER = ((28, 1.0), (32, 1.0), (32, 0.75), (35, 0.5), (40, 0.375))


def json_size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fits_message(value, budget: int = MESSAGE_BUDGET) -> bool:
    return json_size(value) <= budget


def fit_video(path: Path, max_bytes: int, workdir: Path) -> tuple[Path, str]:
    """``path`` if it is small enough, else a re-encoded copy that is; and a note on what was done ("" if nothing)."""
    size = path.stat().st_size
    if size <= max_bytes:
        return path, ""
    from imageio_ffmpeg import get_ffmpeg_exe

    ffmpeg = get_ffmpeg_exe()
    for i, (crf, scale) in enumerate(VIDEO_LADDER):
        out = workdir / f"{path.stem}.fit{i}.mp4"
        vf = f"scale=trunc(iw*{scale}/2)*2:trunc(ih*{scale}/2)*2" if scale != 1.0 else "null"
        cmd = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(path), "-map", "0:v:0", "-map", "0:a?",
               "-vf", vf, "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
               "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(out)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise ToolUserError("render_error", "Re-encoding the animatic smaller failed: "
                                + (result.stderr.strip().splitlines() or ["ffmpeg error"])[-1][:300])
        if out.stat().st_size <= max_bytes:
            note = (f"The animatic was {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB file limit; "
                    f"it was re-encoded to {out.stat().st_size / 1e6:.1f} MB"
                    + (f" at {int(scale * 100)}% size." if scale != 1.0 else "."))
            return out, note
        out.unlink(missing_ok=True)
    raise ToolUserError(
        "file_too_large",
        f"The animatic is {size / 1e6:.1f} MB and cannot be brought under the {max_bytes / 1e6:.0f} MB file "
        "limit; raise \"Largest returned file\" (and Dify's PLUGIN_MAX_FILE_SIZE) or shorten the storyboard.",
    )


def too_large_note(name: str, size: int, max_bytes: int) -> str:
    return (f"{name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB file limit, so it was left out; "
            "raise \"Largest returned file\" (and Dify's PLUGIN_MAX_FILE_SIZE) to get it.")
