"""``shots.csv``: the shot list for a spreadsheet, one row per shot, UTF-8 with BOM (Excel then opens Chinese right)."""

from __future__ import annotations

import csv
from pathlib import Path

from briefreel.render.exports.common import atomic_path, timecode, timed_shots
from briefreel.storyboard.schema import Storyboard

COLUMNS = ["id", "scene", "size", "angle", "movement", "duration_s", "start", "end", "description", "dialogue", "prompt"]


def rows(board: Storyboard) -> list[dict[str, str]]:
    out = []
    for t in timed_shots(board):
        s = t.shot
        out.append({
            "id": s.id, "scene": str(s.scene), "size": s.size.value, "angle": s.angle.value,
            "movement": s.movement.value, "duration_s": f"{s.duration_s:g}",
            "start": timecode(t.start, t.fps), "end": timecode(t.end, t.fps),
            "description": s.description, "dialogue": s.dialogue, "prompt": s.prompt,
        })
    return out


def write_shotlist(board: Storyboard, path: Path) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, quoting=csv.QUOTE_MINIMAL)
            writer.writeheader()
            writer.writerows(rows(board))
    return Path(path)
