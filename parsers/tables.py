"""Tables from a pdfplumber page: ruled tables by their lines, unruled storyboard tables by their header words.

Every table comes back as rows of ``str`` cells ("" for empty), its header row first. Cells that wrap onto several
lines are joined ("" between CJK characters, " " between Latin words). In storyboard-like tables (a header with
shot / size / movement / duration... words, English or Chinese) rows whose first cell is empty are continuations
of the row above and are merged into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefreel.text import is_cjk

# Header words of storyboard and shot-list tables. Chinese ones match as substrings ("画面内容" has "画面").
HEADER_ZH = (
    "镜号", "镜头", "景别", "运镜", "镜头运动", "运动", "画面", "内容", "台词", "对白", "旁白", "配音", "字幕", "时长",
    "秒", "时间", "音效", "音乐", "声音", "备注", "机位", "角度", "场景", "场次", "转场", "序号",
)
HEADER_EN = {
    "shot", "shots", "#", "no", "no.", "num", "number", "size", "framing", "frame", "movement", "move", "moves",
    "camera", "angle", "lens", "description", "action", "visual", "visuals", "picture", "video", "image", "scene",
    "dialogue", "dialog", "vo", "v/o", "v.o.", "voice", "voiceover", "voice-over", "audio", "sound", "sfx", "music",
    "duration", "time", "timing", "length", "secs", "sec", "seconds", "s", "notes", "note", "transition", "super",
    "text", "copy", "on-screen", "ost",
}
SHOT_NUMBER_HEADERS = ("镜号", "镜头", "序号", "shot", "shot #", "shot no.", "#", "no", "no.", "num", "number")
_SHOT_NUMBER = re.compile(r"^(?:#|no\.?|shot|sh|s|镜头|镜)?\s*\d{1,3}[a-z]?(?:[.\-]\d{1,3})?[.:]?$|^[a-z]\d{1,3}$",
                          re.IGNORECASE)
def join_wrapped(a: str, b: str) -> str:
    """Join two pieces of one wrapped cell: no space at a CJK boundary, one space between Latin words."""
    a, b = a.rstrip(), b.lstrip()
    if not a:
        return b
    if not b:
        return a
    if is_cjk(a[-1]) or is_cjk(b[0]) or a.endswith("-") and a[-2:-1].isalpha() and b[:1].islower():
        return a + b
    return a + " " + b


def clean_cell(value: str | None) -> str:
    if not value:
        return ""
    out = ""
    for piece in str(value).split("\n"):
        out = join_wrapped(out, piece.strip())
    return out.strip()


def header_hits(cell: str) -> bool:
    c = cell.strip().lower()
    if not c or len(c) > 24:
        return False
    if len(c) <= 8 and any(w in c for w in HEADER_ZH):  # header cells are short; "第2个镜头：……" is content
        return True
    tokens = set(re.split(r"[\s/()\[\]（）:：|,]+", c)) - {""}
    return bool(tokens & HEADER_EN)


def is_storyboard_header(row: list[str], minimum: int = 3) -> bool:
    """A header row of a storyboard / shot list: at least ``minimum`` cells hold header words."""
    if row and _SHOT_NUMBER.match(row[0].strip()) and any(ch.isdigit() for ch in row[0]):
        return False  # a numbered data row
    return sum(1 for c in row if header_hits(c)) >= min(minimum, max(2, len(row)))


def merge_continuations(rows: list[list[str]]) -> list[list[str]]:
    """Rows whose first cell is empty continue the row above (a cell wrapped past a row or page break)."""
    out: list[list[str]] = []
    for row in rows:
        if out and len(out) > 1 and not row[0].strip():
            prev = out[-1]
            out[-1] = [join_wrapped(p, c) for p, c in zip(prev, row)] + prev[len(row):]
        elif out and len(out) == 1 and not row[0].strip() and not any(row):
            continue
        else:
            out.append(row)
    return out


@dataclass
class FoundTable:
    rows: list[list[str]]
    top: float
    bottom: float
    ruled: bool
    bounds: list[float] = field(default_factory=list)  # column starts + right edge (unruled only)
    size: float = 0.0  # body font size (unruled only)
    lines_below: int = 0  # text lines under the table on its page (0: it may run onto the next page)

    @property
    def storyboard(self) -> bool:
        return bool(self.rows) and is_storyboard_header(self.rows[0])


def _mend_header(row: list[str]) -> list[str]:
    """Undo a header word broken by a narrow column ("Sho" + "t" joined as "Sho t" -> "Shot")."""
    out = []
    for cell in row:
        parts = cell.split(" ")
        for k in range(len(parts) - 1):
            if (parts[k] + parts[k + 1]).lower().strip(".:#") in HEADER_EN and not parts[k].lower() in HEADER_EN:
                parts[k:k + 2] = [parts[k] + parts[k + 1], ""]
        out.append(" ".join(p for p in parts if p))
    return out


def _drop_title_rows(rows: list[list[str]]) -> list[list[str]]:
    """A title row spanning the table ("Storyboard", one filled cell) above the real header row is dropped."""
    for k in range(1, min(3, len(rows) - 1) + 1):
        if is_storyboard_header(rows[k]) and all(sum(1 for c in r if c) <= 1 for r in rows[:k]):
            return rows[k:]
        if sum(1 for c in rows[k - 1] if c) > 1:
            break
    return rows


# -- ruled tables ------------------------------------------------------------------------------------------------------

def ruled_tables(page) -> list[FoundTable]:
    """pdfplumber's own lines strategy; only pages that draw lines or rectangles are searched."""
    if not (page.rects or page.lines or page.curves):
        return []
    found = []
    for t in page.find_tables():
        rows = [[clean_cell(c) for c in row] for row in t.extract()]
        rows = [r for r in rows if any(r)]
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        rows = _drop_title_rows(rows)
        rows[0] = _mend_header(rows[0])
        ft = FoundTable(rows, t.bbox[1], t.bbox[3], ruled=True)
        if ft.storyboard:
            ft.rows = merge_continuations(ft.rows)
        found.append(ft)
    return found


# -- unruled tables: columns anchored on the header words --------------------------------------------------------------

def _words_by_line(words: list[dict]) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        if lines and abs(w["top"] - lines[-1][0]["top"]) <= max(1.5, 0.3 * w.get("size", 10)):
            lines[-1].append(w)
        else:
            lines.append([w])
    for ln in lines:
        ln.sort(key=lambda w: w["x0"])
    return lines


def _cells_of(line: list[dict]) -> list[list[dict]]:
    """Group a header line's words into cells: a gap wider than ~0.8 em starts a new cell."""
    cells: list[list[dict]] = []
    for w in line:
        size = w.get("size", 10)
        if cells and w["x0"] - cells[-1][-1]["x1"] <= 0.8 * size:
            cells[-1].append(w)
        else:
            cells.append([w])
    return cells


def _text(words: list[dict]) -> str:
    out = ""
    for w in words:
        out = join_wrapped(out, w["text"]) if out else w["text"]
    return out


def _line_size(line: list[dict]) -> float:
    return max((w.get("size", 0) for w in line), default=0)


def _fits(line: list[dict], bounds: list[float]) -> bool:
    """No word straddles a column boundary and none starts left of the table."""
    if line[0]["x0"] < bounds[0] - 3:
        return False
    inner = bounds[1:-1]
    return not any(w["x0"] < b < w["x1"] - 1 for w in line for b in inner)


def _shot_cell_ok(value: str) -> bool:
    return bool(_SHOT_NUMBER.match(value.strip())) or len(value.strip()) <= 4


def read_rows(lines: list[list[dict]], start: int, bounds: list[float], size: float, numbered: bool,
              rows: list[list[str]] | None = None) -> tuple[list[list[str]], int]:
    """Read table rows from ``lines[start:]`` with the given column starts; stop at the first line that does not fit.

    Returns the rows and the index of the first line that is not part of the table.
    """
    ncol = len(bounds) - 1
    rows = rows if rows is not None else []
    prev_bottom = None
    i = start
    while i < len(lines):
        line = lines[i]
        lsize = _line_size(line)
        if size and abs(lsize - size) > 1.5:
            break
        if prev_bottom is not None and line[0]["top"] - prev_bottom > 3.0 * max(size, 6):
            break
        if not _fits(line, bounds):
            break
        cells = [[] for _ in range(ncol)]
        for w in line:
            j = max(k for k in range(ncol) if bounds[k] <= w["x0"] + 3) if w["x0"] + 3 >= bounds[0] else 0
            cells[j].append(w)
        texts = [_text(c) for c in cells]
        gap = line[0]["top"] - prev_bottom if prev_bottom is not None else 0
        if texts[0] and (not numbered or _shot_cell_ok(texts[0])):
            rows.append(texts)
        elif texts[0]:  # a first cell that is not a shot number: the table has ended
            break
        elif not rows or (gap > 0.6 * max(size, 6) and sum(1 for t in texts if t) >= 2 and not numbered):
            rows.append(texts)
        else:
            rows[-1] = [join_wrapped(a, b) for a, b in zip(rows[-1], texts)]
        prev_bottom = max(w["bottom"] for w in line)
        i += 1
    return rows, i


def _wrapped_header(lines, i: int, bounds: list[float], header: list[str]) -> tuple[int, list[str]]:
    """Join the lines of header cells that wrap ("镜" + "号") into the header; returns the header's last line."""
    ncol = len(header)
    while i + 1 < len(lines):
        line = lines[i + 1]
        size = _line_size(line) or 10
        if line[0]["top"] - max(w["bottom"] for w in lines[i]) > 0.6 * size or not _fits(line, bounds):
            break
        cells = [[] for _ in range(ncol)]
        for w in line:
            j = max((k for k in range(ncol) if bounds[k] <= w["x0"] + 3), default=0)
            cells[j].append(w)
        texts = [_text(c) for c in cells]
        if any(len(t) > 12 for t in texts) or _SHOT_NUMBER.match(texts[0].strip() or "x"):
            break
        if any(t and not header[j] for j, t in enumerate(texts)):
            break
        header = [join_wrapped(h, t) for h, t in zip(header, texts)]
        i += 1
    return i, header


def unruled_tables(page, words: list[dict], skip: list[tuple[float, float]] = ()) -> list[FoundTable]:
    """Find header lines of storyboard words outside ``skip`` (ruled tables' spans) and read the rows below."""
    lines = _words_by_line(words)
    found: list[FoundTable] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        top = line[0]["top"]
        if any(a - 2 <= top <= b + 2 for a, b in skip):
            i += 1
            continue
        cells = _cells_of(line)
        header = [_text(c) for c in cells]
        if len(cells) < 3 or not is_storyboard_header(header):
            i += 1
            continue
        below = [w for ln in lines[i + 1:] for w in ln]
        right = max([w["x1"] for w in below] + [cells[-1][-1]["x1"]]) + 1
        bounds = [c[0]["x0"] - 2 for c in cells] + [right]
        i, header = _wrapped_header(lines, i, bounds, header)
        size = _line_size(lines[i + 1]) if i + 1 < len(lines) else 0.0
        numbered = header[0].strip().lower() in SHOT_NUMBER_HEADERS or any(
            header[0].startswith(h) for h in ("镜号", "镜头", "序号"))
        rows, end = read_rows(lines, i + 1, bounds, size, numbered, rows=[header])
        rows = [r for r in rows if any(r)]
        if len(rows) > 1:  # rows[0] is the header, with any wrapped header lines joined into it
            bottom = max(w["bottom"] for w in lines[end - 1])
            found.append(FoundTable(rows, top, bottom, ruled=False, bounds=bounds, size=size))
            i = end
        else:
            i += 1
    return found


def page_tables(page, words: list[dict] | None = None) -> list[FoundTable]:
    """All tables on a page in top-to-bottom order: ruled ones first by lines, then unruled storyboard tables."""
    tables = ruled_tables(page)
    if words is None:
        words = page.extract_words(x_tolerance=1.5, y_tolerance=2, extra_attrs=["size"])
    tables += unruled_tables(page, words, skip=[(t.top, t.bottom) for t in tables])
    return sorted(tables, key=lambda t: t.top)


def continue_unruled(prev: FoundTable, words: list[dict]) -> tuple[list[list[str]], float]:
    """Rows at the top of the next page that continue an unruled table without repeating its header."""
    lines = _words_by_line(words)
    if not lines or not prev.bounds:
        return [], 0.0
    numbered = prev.rows[0][0].strip().lower() in SHOT_NUMBER_HEADERS
    start = 0
    while start < min(2, len(lines)) and len(lines[start]) <= 2 and re.match(
            r"^(page\s*)?\d+\.?$|^-\s*\d+\s*-$|^第\s*\d+\s*页$", _text(lines[start]).strip(), re.I):
        start += 1  # a running page number above the table
    rows, end = read_rows(lines, start, prev.bounds, prev.size, numbered)
    rows = [r for r in rows if any(r)]
    if rows and all(len(r) == len(prev.rows[0]) for r in rows):
        return rows, max(w["bottom"] for w in lines[end - 1])
    return [], 0.0
