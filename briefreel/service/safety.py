"""The content-safety filter: checks every text of a board that is rendered or exported before anything renders.

What is checked: every string of the board, walked through its schema (title, style, tone, mandatories, bible names
and descriptions, scene headings, and each shot's id, description, prompt, dialogue, speaker, on-screen text,
movement note, sfx, transition, characters, and any extra key a client added, which the exports carry), except
negative prompts: "no gore, no nudity" is what they are for.

How it matches. The text is normalised first: NFKC, accents and other combining marks dropped, format characters
removed (zero-width spaces and joiners, soft hyphens, word joiners, BOMs), case folded, and Cyrillic and Greek
look-alikes folded to the Latin letters they imitate ("рorn" with a Cyrillic р). It is then matched as it is, with
common digit/symbol substitutions undone ("p0rn", "g0r3", "$ex", "1" read as i and as l), and with letters spelt
out one by one joined up ("p o r n", "p.o.r.n"). English terms match whole words, case-insensitively, with an
optional plural; Chinese terms (any term with CJK characters) match as substrings.

Word lists, one term a line (``#`` comments): the built-in ``safety_words/en.txt`` and ``safety_words/zh.txt``
plus what ``BRIEFREEL_SAFETY_WORDS`` names: files, or ``pkg:better_profanity`` for the word list shipped by the
`better-profanity` package (MIT) when it is installed. A list may start a line with ``-`` to remove a term
(``-suicide`` for a prevention campaign, say). A refusal says which list its term came from (``builtin:en``,
``builtin:zh``, the file's name, ``better-profanity 0.7.0``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from briefreel.storyboard.schema import Storyboard

BUILTIN = Path(__file__).with_name("safety_words")
SKIPPED_KEYS = frozenset({"negative_prompt"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Cyrillic and Greek letters that look like Latin ones (after case folding: the capitals fold onto these).
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ɡ": "g", "ɑ": "a", "ο": "o", "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
})
# Digit and symbol substitutions; "1" and "|" stand for i or l, so both readings are tried.
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                         "@": "a", "$": "s", "!": "i", "|": "i", "+": "t", "€": "e"})
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                         "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})
# Letters spelt out one at a time: "p o r n", "p.o.r.n", "p-o-r-n", "p_o_r_n", "p*o*r*n".
_SPELT = re.compile(r"(?<!\w)(?:\w[\s.\-_*·•]+){2,}\w(?!\w)")


@dataclass
class Refusal:
    shot: str  # shot id, or "" for board-level text
    field: str
    term: str
    list: str = ""  # the word list the term came from

    @property
    def reason(self) -> str:
        where = f"shot {self.shot} ({self.field})" if self.shot else self.field
        source = f" (list {self.list})" if self.list else ""
        return f"{where} contains the blocked term {self.term!r}{source}; rewrite it and submit again"

    def to_dict(self) -> dict:
        return {"shot": self.shot, "field": self.field, "term": self.term, "list": self.list}


def normalise(text: str) -> str:
    """NFKC, no combining marks or format characters, case folded, Cyrillic/Greek look-alikes as Latin."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)


_norm = normalise


def variants(text: str) -> list[str]:
    """The normalised text and its readings with digit/symbol substitutions undone."""
    norm = normalise(text)
    out = [norm]
    for table in (_LEET_I, _LEET_L):
        folded = norm.translate(table)
        if folded not in out:
            out.append(folded)
    return out


def spelt_runs(form: str) -> list[str]:
    """Runs of letters spelt out one at a time ("a p o r n", "p.o.r.n"), joined up ("aporn", "porn")."""
    return [re.sub(r"[\s.\-_*·•]+", "", m.group(0)) for m in _SPELT.finditer(form)]


def read_list(path: Path) -> tuple[set[str], set[str]]:
    return _parse_list(Path(path).read_text(encoding="utf-8"))


def _parse_list(text: str) -> tuple[set[str], set[str]]:
    add, remove = set(), set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term = normalise(line.lstrip("-").strip())
        if term:
            (remove if line.startswith("-") else add).add(term)
    return add, remove


def package_list(name: str) -> tuple[str, str]:
    """(label, text) of a word list shipped by an installed package; ``LookupError`` when it is not installed."""
    import importlib.metadata
    import importlib.util

    if name in ("better_profanity", "better-profanity"):
        spec = importlib.util.find_spec("better_profanity")  # found, not imported
        if spec is None or not spec.submodule_search_locations:
            raise LookupError("better-profanity is not installed (pip install better-profanity)")
        path = Path(list(spec.submodule_search_locations)[0]) / "profanity_wordlist.txt"
        return f"better-profanity {importlib.metadata.version('better-profanity')}", path.read_text(encoding="utf-8")
    raise LookupError(f"no word list known for package {name!r} (known: better_profanity)")


class SafetyFilter:
    def __init__(self, extra_lists: tuple[str, ...] | list[str] = (), builtin: bool = True):
        sources: list[tuple[str, str]] = []  # (label, text)
        if builtin:
            sources += [("builtin:en", (BUILTIN / "en.txt").read_text(encoding="utf-8")),
                        ("builtin:zh", (BUILTIN / "zh.txt").read_text(encoding="utf-8"))]
        for entry in extra_lists:
            entry = str(entry)
            if entry.startswith("pkg:"):
                sources.append(package_list(entry[4:]))
            else:
                sources.append((Path(entry).name, Path(entry).read_text(encoding="utf-8")))
        origin: dict[str, str] = {}
        removed: set[str] = set()
        for label, text in sources:
            add, remove = _parse_list(text)
            for term in add:
                origin.setdefault(term, label)
            removed |= remove
        for term in removed:
            origin.pop(term, None)
        self.origin = origin  # term -> the list it came from
        self._canon = {re.sub(r"[\s\-]+", " ", t): t for t in origin}  # how a match reads -> the term
        self.terms = sorted(origin)
        cjk = [t for t in origin if _CJK.search(t)]
        latin = [t for t in origin if not _CJK.search(t)]
        self._cjk = sorted(cjk, key=len, reverse=True)
        self._latin_terms = sorted(latin, key=len, reverse=True)
        self._latin = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(t).replace(r"\ ", r"[\s\-]+")
                                               for t in sorted(latin, key=len, reverse=True)) + r")s?(?!\w)")
            if latin else None
        )

    def find(self, text: str) -> str | None:
        """The first blocked term in ``text``, or None."""
        hit = self.find_with_list(text)
        return hit[0] if hit else None

    def find_with_list(self, text: str) -> tuple[str, str] | None:
        """(term, the list it came from) for the first blocked term in ``text``, or None."""
        if not text:
            return None
        for form in variants(text):
            if self._latin is not None:
                m = self._latin.search(form)
                if m:
                    term = self._canon.get(re.sub(r"[\s\-]+", " ", m.group(1)), m.group(1))
                    return term, self.origin.get(term, "")
            for t in self._cjk:
                if t in form:
                    return t, self.origin[t]
        for form in variants(text):  # spelt-out letters: a term anywhere in the joined run ("a g o r y" -> "agory")
            for run in spelt_runs(form):
                for t in self._latin_terms:
                    if t.replace(" ", "") in run:
                        return t, self.origin[t]
        return None

    def check(self, board: Storyboard) -> Refusal | None:
        """The first problem on the board, or None when every text may be rendered and exported."""
        for shot_id, field, text in board_texts(board):
            hit = self.find_with_list(text)
            if hit:
                return Refusal(shot_id, field, hit[0], hit[1])
        return None


def board_texts(board: Storyboard):
    """Every string of the board that is rendered or exported, as (shot id or "", field, text): walked through the
    board's data, so a field added to the schema (or an extra key a client sent) is checked without a list here."""
    data = board.model_dump(mode="json")
    shots = data.pop("shots", [])
    bible = data.pop("bible", [])
    scenes = data.pop("scenes", [])
    yield from _walk("", "", data)
    for entry in bible:
        yield from _walk("", f"bible {entry.get('id', '')}".strip(), entry, nested=True)
    for scene in scenes:
        yield from _walk("", f"scene {scene.get('number', '')}".strip(), scene, nested=True)
    for shot in shots:
        yield from _walk(str(shot.get("id", "")), "", shot)
        yield str(shot.get("id", "")), "id", str(shot.get("id", ""))


def _walk(shot_id: str, prefix: str, value, nested: bool = False):
    if isinstance(value, str):
        yield shot_id, prefix, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in SKIPPED_KEYS or (key == "id" and not nested and shot_id):
                continue
            label = key if not prefix else (prefix if nested and key in ("name", "description", "heading")
                                             else f"{prefix}.{key}")
            yield from _walk(shot_id, label, item, nested)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(shot_id, prefix, item, nested)
