"""The content-safety filter: checks every shot's prompt and on-screen words before anything renders.

Word lists, one term a line (``#`` comments): the built-in ``safety_words/en.txt`` and ``safety_words/zh.txt``
plus any files in ``BRIEFREEL_SAFETY_WORDS``. A list file may start a line with ``-`` to remove a built-in term
(``-suicide`` for a prevention campaign, say). English terms match as whole words, case-insensitively, with an
optional plural; Chinese terms (any term with CJK characters) match as substrings. Negative prompts are not
checked: "no gore, no nudity" is what they are for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from briefreel.storyboard.schema import Storyboard

BUILTIN = Path(__file__).with_name("safety_words")
CHECKED_FIELDS = ("prompt", "description", "dialogue", "on_screen_text", "movement_note", "sfx")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Refusal:
    shot: str  # shot id, or "" for board-level text
    field: str
    term: str

    @property
    def reason(self) -> str:
        where = f"shot {self.shot} ({self.field})" if self.shot else self.field
        return f"{where} contains the blocked term {self.term!r}; rewrite it and submit again"

    def to_dict(self) -> dict:
        return {"shot": self.shot, "field": self.field, "term": self.term}


def read_list(path: Path) -> tuple[set[str], set[str]]:
    add, remove = set(), set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (remove if line.startswith("-") else add).add(_norm(line.lstrip("-").strip()))
    return add, remove


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class SafetyFilter:
    def __init__(self, extra_lists: tuple[str, ...] | list[str] = (), builtin: bool = True):
        terms: set[str] = set()
        removed: set[str] = set()
        files = ([BUILTIN / "en.txt", BUILTIN / "zh.txt"] if builtin else []) + [Path(p) for p in extra_lists]
        for f in files:
            add, remove = read_list(f)
            terms |= add
            removed |= remove
        terms -= removed
        self.terms = sorted(terms)
        cjk = [t for t in terms if _CJK.search(t)]
        latin = [t for t in terms if not _CJK.search(t)]
        self._cjk = sorted(cjk, key=len, reverse=True)
        self._latin = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(t).replace(r"\ ", r"[\s\-]+")
                                               for t in sorted(latin, key=len, reverse=True)) + r")s?(?!\w)")
            if latin else None
        )

    def find(self, text: str) -> str | None:
        """The first blocked term in ``text``, or None."""
        if not text:
            return None
        norm = _norm(text)
        if self._latin is not None:
            m = self._latin.search(norm)
            if m:
                return m.group(1)
        for t in self._cjk:
            if t in norm:
                return t
        return None

    def check(self, board: Storyboard) -> Refusal | None:
        """The first problem on the board, or None when every prompt may be rendered."""
        for field in ("title", "style"):
            term = self.find(getattr(board, field, "") or "")
            if term:
                return Refusal("", field, term)
        for entry in board.bible:
            term = self.find(entry.description) or self.find(entry.name)
            if term:
                return Refusal("", f"bible {entry.id}", term)
        for shot in board.shots:
            for field in CHECKED_FIELDS:
                term = self.find(getattr(shot, field, "") or "")
                if term:
                    return Refusal(shot.id, field, term)
        return None
