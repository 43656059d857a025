"""storyboard.plan: dispatch, errors, ids, source, prompts, negative prompt, bible, VO coverage, shots.json."""

from __future__ import annotations

import json

import pytest

from briefreel.parsers.brief import Brief, Page
from briefreel.storyboard import plan, plan_rules
from briefreel.storyboard.draft import Draft
from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.meta import Meta
from briefreel.storyboard.prompts import NEGATIVE_EN, NEGATIVE_ZH, build_bible, build_prompt
from briefreel.storyboard.rules import read_shots, shot_ids
from briefreel.storyboard.schema import Storyboard

BRIEFS = {
    "table": Brief(pages=[Page(number=1, text="Length: 10s", tables=[[
        ["Shot", "Size", "Description", "Dialogue"], ["1", "WS", "A harbour at dawn.", "VO: Morning."],
        ["2", "CU", "A bell rings.", ""]]])]),
    "shotlist": Brief.from_text("SHOT 1 | WIDE | A harbour at dawn.\nVO: Morning.\nSHOT 2 | CU | A bell rings."),
    "screenplay": Brief.from_text("EXT. HARBOUR - DAWN\n\nA bell rings.\n\nMIA\nMorning.\n"),
    "prose": Brief.from_text("Story\nA harbour at dawn. Then a bell rings.\nVO: Morning."),
}


@pytest.mark.parametrize("fmt", list(BRIEFS))
def test_every_format_plans_and_says_which_it_was(fmt):
    board = plan(BRIEFS[fmt])
    assert isinstance(board, Storyboard)
    assert board.source["planner"] == "rules" and board.source["format"] == fmt
    assert read_shots(BRIEFS[fmt])[0] == fmt
    assert any(s.dialogue == "Morning." for s in board.shots)
    again = Storyboard.from_json(board.to_json())
    assert again == board


@pytest.mark.parametrize("text", ["", "   \n\n", "Background\nWe sell shoes.\nAudience\nRunners."])
def test_a_brief_without_shots_is_a_clear_error(text):
    with pytest.raises(StoryboardError, match="no shots found"):
        plan(Brief.from_text(text, filename="empty.pdf"))


def test_unknown_planner_and_stray_options():
    with pytest.raises(StoryboardError, match="unknown planner"):
        plan(BRIEFS["prose"], planner="magic")
    with pytest.raises(TypeError):
        plan(BRIEFS["prose"], planner="rules", model="x")


def test_plan_rules_is_deterministic():
    assert plan_rules(BRIEFS["prose"]).to_json() == plan_rules(BRIEFS["prose"]).to_json()


def test_shot_ids_keep_the_briefs_numbers():
    def drafts(*numbers):
        return [Draft(description="x", number=n) for n in numbers]

    assert shot_ids(drafts("3", "4", "12A")) == ["S03", "S04", "S12A"]
    assert shot_ids(drafts(None, None)) == ["S01", "S02"]
    assert shot_ids(drafts("1", "2", "1", "2")) == ["S01", "S02", "S03", "S04"]  # numbering restarts: renumber
    assert shot_ids(drafts("1", None, "3")) == ["S01", "S02", "S03"]
    assert shot_ids(drafts("1", "2", None)) == ["S01", "S02", "S03"]


def test_negative_prompt_and_prompt_language():
    en = plan(BRIEFS["prose"])
    assert en.negative_prompt == NEGATIVE_EN
    zh = plan(Brief.from_text("创意脚本：\n清晨的城市。接着，女孩骑车穿过街道。"))
    assert zh.language == "zh" and zh.negative_prompt == NEGATIVE_ZH
    assert "静态" in NEGATIVE_ZH and "static" in NEGATIVE_EN
    for shot in en.shots:
        assert shot.prompt.startswith(("Wide shot", "Extreme wide shot", "Close-up", "Medium shot", "Insert"))
        assert "camera" in shot.prompt.lower()
    for shot in zh.shots:
        assert "镜头" in shot.prompt and shot.prompt.endswith("。")


def test_prompt_has_wan_parts_in_order():
    board = plan(Brief.from_text("Style: 35mm film, muted colours\nAspect: 9:16\n"
                                 "Story\nA lighthouse on a cliff at night. Then a slow push in on the lamp."))
    prompt = board.shots[1].prompt.lower()
    parts = ["close-up", "the lamp", "the camera slowly pushes in", "35mm film, muted colours",
             "vertical 9:16 composition"]
    positions = [prompt.find(p) for p in parts if p]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert "Night" in board.shots[0].prompt or "night" in board.shots[0].prompt


def test_bible_entries_are_repeated_verbatim():
    meta = Meta(characters=[("Ana", "Ana (30s, red VELO kit, dark plait)")],
                products=[("VELO Ascent", "the VELO Ascent bike, matte white frame")])
    drafts = [Draft(description="Ana climbs the pass."), Draft(description="The VELO Ascent frame.", role="product"),
              Draft(description="A cloud drifts.")]
    bible, members = build_bible(drafts, meta, "en")
    assert [(b.id, b.kind) for b in bible] == [("C1", "character"), ("P1", "product")]
    assert members == [["C1"], ["P1"], []]
    board = Storyboard(shots=[{"id": f"S0{i + 1}", "size": "MS", "duration_s": 2, "description": d.description,
                               "characters": m} for i, (d, m) in enumerate(zip(drafts, members))], bible=bible)
    for shot in board.shots:
        prompt = build_prompt(shot, board)
        for b in bible:
            assert (b.description in prompt) == (b.id in shot.characters)


def test_every_line_is_in_exactly_one_shot():
    text = """Length: 20s
Story
A runner laces up at dawn. VO: "Every morning is a choice."
Then she sprints along the river. Cut to her face. VO: "Make it yours."
Then the logo. SUPER: Run yours.
"""
    board = plan(Brief.from_text(text))
    lines = ["Every morning is a choice.", "Make it yours.", "Run yours."]
    for line in lines:
        assert sum(line in s.dialogue for s in board.shots) == 1, line
    assert [s.dialogue_kind for s in board.shots if s.dialogue] == ["vo", "vo", "super"]


def test_many_pages_of_one_shot_list():
    pages = "\f".join(f"SHOT {i} | MEDIUM | Beat number {i}. ({2}s)" for i in range(1, 41))
    board = plan(Brief.from_text(pages))
    assert len(board.shots) == 40 and board.shots[-1].id == "S40" and board.shots[-1].source_page == 40
    assert board.duration_s == 80


def test_shots_json_keys():
    data = json.loads(plan(BRIEFS["table"]).to_json())
    assert {"title", "language", "target_duration_s", "aspect_ratio", "style", "shots", "bible", "negative_prompt",
            "source"} <= set(data)
    assert {"id", "scene", "size", "angle", "movement", "duration_s", "description", "dialogue", "prompt",
            "dialogue_kind", "speaker", "movement_speed", "movement_note", "characters"} <= set(data["shots"][0])


FRAGMENTS = [
    "SHOT 1 | WIDE | A harbour at dawn. (3s)", "镜头2：中景，横移，骑手穿过街道（3秒）", "INT. DINER - NIGHT", "MIA",
    "You're late.", "(deadpan)", "VO: “Every day starts somewhere.”", "旁白：每一天。", "Story", "创意脚本：",
    "Then she smiles.", "接着，她骑车离开。", "Length: 30s", "时长：15秒", "Aspect ratio: 9:16", "End card: logo (3s)",
    "| 镜号 | 景别 | 画面内容 |", "| 1 | 特写 | 杯子 |", "3. CU - Hand grabs the bottle (2s)", "（音效：开瓶声）",
    "Background", "We sell shoes.", "", "   ", "：", "|", "(", "“", "12A", "0:00-0:03", "CUT TO:", "落版3秒",
]


@pytest.mark.parametrize("seed", range(60))
def test_garbled_briefs_give_a_board_or_a_clear_error(seed):
    import random

    rng = random.Random(seed)
    lines = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 25))]
    lines = [ln[: rng.randint(0, len(ln))] if rng.random() < 0.3 else ln for ln in lines]
    try:
        board = plan(Brief.from_text("\n".join(lines)))
    except StoryboardError:
        return
    assert board.shots and all(s.duration_s > 0 and s.description for s in board.shots)
    if board.target_duration_s and not any(s.duration_s == 3.0 for s in board.shots):
        assert board.duration_s >= board.target_duration_s - 0.05


def test_bible_names_are_people_not_brands_or_signs():
    text = """Product: Dash delivery app
Story
Maya (30s, grey jumper) opens the Dash app. Then Maya waves at the courier. Then the sign reads "Open Late".
Cut to a Dash courier on a bike. We end on Maya laughing under the "Open Late" sign. End card: DASH logo.
"""
    board = plan(Brief.from_text(text))
    people = {b.name: b for b in board.bible if b.kind == "character"}
    assert set(people) == {"Maya"} and people["Maya"].description == "Maya (30s, grey jumper)"
    product = next(b for b in board.bible if b.kind == "product")
    assert [s.id for s in board.shots if product.id in s.characters] == ["S01", "S04", "S06"]  # logo card too


def test_someone_busy_in_a_place_already_shown_is_a_medium_and_a_new_place_is_wide():
    """LABELS.md: the first shot of a film or of a new place is wide; people doing something are MS."""
    text = ("Length: 12 seconds\n\nStory\nWe open on a harbour at dawn. Then Mia stops by the harbour wall and "
            "checks her phone. Cut to the beach, where Mia sits on the sand.")
    board = plan(Brief.from_text(text))
    sizes = [s.size.value for s in board.shots]
    assert sizes[0] in ("LS", "EWS") and sizes[1] == "MS" and sizes[2] == "LS"  # the beach is a new place
    drafts = read_shots(Brief.from_text("SCENE 1\n1. Mia waits at the harbour. (3s)\n2. A gull lands. (2s)\n"
                                        "SCENE 2\n3. Mia walks along the beach. (3s)"))[1]
    from briefreel.storyboard.meta import Meta
    from briefreel.storyboard.rules import direct

    direct(drafts, Meta(), "shotlist")
    assert drafts[2].size.value == "LS"  # the first shot of scene 2: the beach is new
