"""Who is in a shot, from its words and the bible: one module for the planner and the panel renderer.

Two questions, two answers:

    mentions_person(text, names)  # the planner's: is anyone in the picture at all? Broad on purpose: a pronoun,
                                  # "someone", 老板, a name from the cue lines. It picks a shot size (a thing in CU,
                                  # someone busy in a known place in MS).
    people_in(shot, board)        # the panel's: how many people act (0..4): named bible characters, person words,
                                  # groups ("and three friends" = 4). That many figures are drawn.
    cast(shot, board)             # (people, product): what the panel draws as its subject, before framing.

Both read English as whole words (``briefreel.text``) and Chinese anywhere.
"""

from __future__ import annotations

import re

from briefreel.storyboard.schema import Shot, Storyboard
from briefreel.text import count_word, has_words

__all__ = ["PERSON_WORDS", "ONE_PERSON", "GROUP_WORDS", "GROUP_PRONOUNS", "FACE_WORDS", "HAND_WORDS",
           "mentions_person", "people_in", "names_product", "bible_cast", "hands_only", "cast"]

# -- is anyone there? (the planner) ----------------------------------------------------------------------------------

PERSON_WORDS = ("he", "she", "they", "him", "her", "his", "them", "man", "woman", "men", "women", "girl", "boy", "kid",
                "kids", "child", "children", "people", "person", "couple", "customer", "crowd", "father", "mother",
                "dad", "mum", "mom", "daughter", "son", "friend", "friends", "family", "we see", "someone", "nurse",
                "baker", "rider", "runner", "courier", "driver", "chef", "team", "player", "players", "visitors",
                "他", "她", "人", "孩", "女", "男", "妈", "爸", "爷", "奶", "师傅", "老板", "顾客", "客人", "骑手", "朋友",
                "同事", "员工", "家", "父", "母", "儿", "姐", "哥", "弟", "妹", "宝宝", "主角", "小", "阿", "老")


def mentions_person(text: str, names: set[str] | frozenset[str] | tuple[str, ...] = ()) -> bool:
    """Does ``text`` put a person in the picture: a person word, or one of ``names`` (characters, speakers)?"""
    if has_words(text, PERSON_WORDS) or any(n and n in text for n in names):
        return True
    # "Ollie's laptop" names OLLIE from the cue lines: names match whole words, in any case.
    latin = [n for n in names if n and n.isascii() and len(n) >= 3]
    return bool(latin) and has_words(text, tuple(sorted(n.lower() for n in latin)))


# -- how many act? (the panel) ---------------------------------------------------------------------------------------
# One person (pronouns refer back, so they count once), a group (a number of them, or a plural noun), and the body
# parts that make a close-up a hands-on-object insert rather than a face.

ONE_PERSON = ("he", "she", "her", "his", "him", "man", "woman", "girl", "boy", "person", "guy", "lady", "kid", "child",
              "mother", "father", "mom", "dad", "grandma", "grandpa", "teen", "teenager",
              "女孩", "男孩", "女人", "男人", "女生", "男生", "姑娘", "少女", "少年", "孩子", "妈妈", "爸爸", "老人",
              "她", "他")
GROUP_WORDS = {"friends": 2, "people": 3, "crowd": 3, "family": 3, "couple": 2, "kids": 2, "children": 2,
               "women": 2, "men": 2, "girls": 2, "boys": 2, "colleagues": 2, "team": 3,
               "朋友们": 2, "朋友": 2, "一家人": 3, "家人": 3, "人群": 3, "情侣": 2, "同事": 2, "同学": 2, "众人": 3}
GROUP_PRONOUNS = ("they", "them", "their", "everyone", "他们", "她们", "大家")
FACE_WORDS = ("face", "eyes", "smile", "smiles", "lips", "脸", "眼", "笑", "嘴")
HAND_WORDS = ("hand", "hands", "finger", "fingers", "手")
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5,
            "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
_NUMBERED_EN = re.compile(r"\b(two|three|four|five|[2-5])\s+(?:\w+\s+)?(friends|people|women|men|girls|boys|kids|"
                          r"children|colleagues|teammates|strangers)\b")
_NUMBERED_ZH = re.compile(r"([两二三四五])\s*[个位名]?\s*(朋友|人|女孩|男孩|孩子|同事|同学|伙伴|姑娘)")


def _said(text: str, words) -> bool:
    """One of ``words`` in lower-case ``text`` (English whole words with plurals; 他 alone, not 他们 or 其他)."""
    for w in words:
        if w == "他":  # not 他们 (a group), not 其他 ("other")
            if re.search(r"(?<!其)他(?!们)", text):
                return True
        elif count_word(text, w):
            return True
    return False


def bible_cast(shot: Shot, board: Storyboard) -> tuple[int, bool]:
    """(characters, product named) among the shot's bible references."""
    kinds = {b.id: b.kind for b in board.bible}
    people = sum(1 for c in shot.characters if kinds.get(c) == "character")
    product = any(kinds.get(c) == "product" for c in shot.characters)
    return people, product


def names_product(shot: Shot, board: Storyboard) -> bool:
    """The description names a product bible entry (its name, its first two words, or a 3-character run of a
    Chinese name: "气泡水" names "山岚白桃气泡水 330毫升罐装")."""
    text = shot.description.lower()
    for b in board.bible:
        if b.kind != "product" or not b.name:
            continue
        name = b.name.lower()
        words = name.split()
        if name in text or (len(words) >= 2 and " ".join(words[:2]) in text):
            return True
        head = words[0] if words else ""
        if not head.isascii() and any(head[i:i + 3] in text for i in range(len(head) - 2)):
            return True
    return False


def people_in(shot: Shot, board: Storyboard) -> int:
    """How many people act in the shot (0..4): named bible characters, person words, groups ("和三个朋友" = 4)."""
    text = shot.description.lower()
    kinds = {b.id: b.kind for b in board.bible}
    named = {c for c in shot.characters if kinds.get(c) == "character"}
    named |= {b.id for b in board.bible if b.kind == "character" and b.name and b.name.lower() in text}
    one = len(named) or (1 if _said(text, ONE_PERSON) else 0)
    m = _NUMBERED_EN.search(text) or _NUMBERED_ZH.search(text)
    if m:
        total = one + _NUMBERS[m.group(1)]
    else:
        group = max((n for w, n in GROUP_WORDS.items() if count_word(text, w)), default=0)
        total = one + group
        if _said(text, GROUP_PRONOUNS):
            total = max(total, 2)
    if total == 0 and _said(text, FACE_WORDS + HAND_WORDS):
        total = 1  # "a hand reaches for...", "eyes open": someone is there
    return min(total, 4)


def hands_only(shot: Shot) -> bool:
    """Hands at work and no face: "Her hands pour beans into a grinder" is about the beans and the grinder."""
    text = shot.description.lower()
    return _said(text, HAND_WORDS) and not _said(text, FACE_WORDS)


def cast(shot: Shot, board: Storyboard) -> tuple[int, bool]:
    """(people acting, product in the shot): a bible reference or the product's name in the description."""
    return people_in(shot, board), bible_cast(shot, board)[1] or names_product(shot, board)
