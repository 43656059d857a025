"""Text helpers every layer shares (parsers, storyboard, render). A leaf: imports nothing of briefreel.

    is_cjk("分")            # True: a character that sets without spaces (ideographs, kana, CJK punctuation, full width)
    has_words(text, words)  # one of ``words`` in ``text``: whole English words, Chinese anywhere
    count_word(text, word)  # how often ``word`` occurs (English: whole words, plurals included)
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["is_cjk", "has_words", "count_word"]


def is_cjk(ch: str) -> bool:
    """Is ``ch`` a CJK character: radicals, CJK symbols and punctuation, kana, bopomofo, ideographs (extension A,
    the unified block, compatibility ideographs, extensions B and on) and full/half-width forms. These break a line
    anywhere and join without a space. An empty string is not."""
    if not ch:
        return False
    o = ord(ch[0])
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x20000 <= o <= 0x3FFFF)


@lru_cache(maxsize=128)
def _word_pattern(words: tuple[str, ...]) -> tuple[re.Pattern | None, tuple[str, ...]]:
    latin = sorted({w.strip() for w in words if w.isascii()}, key=len, reverse=True)
    # Whole words, and not half of a hyphenated one: "sea-shanty" is no sea, "hand-held" no hand.
    pattern = re.compile(r"(?<![a-z])(?<![a-z]-)(?:" + "|".join(map(re.escape, latin)) + r")(?![a-z])(?!-[a-z])") \
        if latin else None
    return pattern, tuple(w for w in words if not w.isascii())


def has_words(text: str, words: tuple[str, ...]) -> bool:
    """Does ``text`` contain one of ``words`` (whole English words in any case, not inside a hyphenated word;
    Chinese anywhere)?"""
    pattern, cjk = _word_pattern(tuple(words))
    if pattern is not None and pattern.search(text.lower()):
        return True
    return any(w in text for w in cjk)


def count_word(text: str, word: str) -> int:
    """How often ``word`` occurs in ``text`` (lower case expected). English words count whole, with a plural
    ("field" does not match "fieldwork"; "friend" matches "friends"); Chinese counts every occurrence."""
    if word.isascii():
        return len(re.findall(r"(?<![a-z])" + re.escape(word) + r"(?:s|es)?(?![a-z])", text))
    return text.count(word)
