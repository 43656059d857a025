"""What intake hands to the storyboard: a decrypted brief as plain data.

Everything here is plain Python data (no open PDF handles), so a brief can cross a process boundary as JSON:
parsing runs in a sandboxed child process and the parent rebuilds a :class:`Brief` from its dict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Line:
    """One visual line of text, in reading order, with where it sits on the page (PDF points, top-left origin)."""

    text: str
    x0: float
    top: float
    x1: float = 0.0
    size: float = 0.0  # dominant font size
    bold: bool = False


@dataclass
class Panel:
    """One drawn storyboard frame found on a scanned page (``parsers/scan_layout.py``), in reading order.

    ``png`` is the frame's picture (the inside of the drawn rectangle, straightened), base64-encoded PNG so the
    brief stays JSON; ``caption`` its label ("Scene 1", "镜头 3", "SHOT 4A"); ``text`` what is written under it
    (action, dialogue, camera notes), lines joined by "\n". Box in PDF points from the top-left."""

    index: int  # 0-based, reading order on the page
    x0: float
    top: float
    x1: float
    bottom: float
    caption: str = ""
    text: str = ""
    png: str = ""  # base64 PNG


@dataclass
class Page:
    number: int  # 1-based
    text: str  # reading order; lines joined by "\n", paragraphs by a blank line
    width: float = 0.0
    height: float = 0.0
    tables: list[list[list[str]]] = field(default_factory=list)  # table -> rows -> cells ("" for empty)
    lines: list[Line] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)  # drawn storyboard frames (scanned pages only)
    ocr: float | None = None  # read by OCR: the mean recognition confidence (0-1); None for a text layer


@dataclass
class Brief:
    pages: list[Page]
    metadata: dict[str, str] = field(default_factory=dict)  # title, author, subject, keywords, creator, ...
    filename: str = ""
    encryption: dict[str, Any] | None = None  # None when the file was not encrypted; never holds a password
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. what qpdf repaired in a damaged file

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages if p.text)

    @property
    def tables(self) -> list[tuple[int, list[list[str]]]]:
        """Every table with its page number, in document order."""
        return [(p.number, t) for p in self.pages for t in p.tables]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["page_count"] = self.page_count
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Brief":
        pages = [
            Page(
                number=p["number"],
                text=p.get("text", ""),
                width=p.get("width", 0.0),
                height=p.get("height", 0.0),
                tables=p.get("tables", []),
                lines=[Line(**ln) for ln in p.get("lines", [])],
                panels=[Panel(**pn) for pn in p.get("panels", [])],
                ocr=p.get("ocr"),
            )
            for p in d.get("pages", [])
        ]
        return cls(
            pages=pages,
            metadata=d.get("metadata", {}),
            filename=d.get("filename", ""),
            encryption=d.get("encryption"),
            sha256=d.get("sha256", ""),
            warnings=list(d.get("warnings", [])),
        )

    @classmethod
    def from_text(cls, text: str, filename: str = "") -> "Brief":
        """A brief from plain text (pages split on form feeds); handy for tests and for pasted briefs."""
        chunks = text.split("\f")
        return cls(pages=[Page(number=i + 1, text=t.strip("\n")) for i, t in enumerate(chunks)], filename=filename)
