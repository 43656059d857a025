"""The labelled fixture briefs and the rules planner's accuracy on them (scorer: tests/support/storyboard_eval.py).

The floors below are what the rules planner measured when they were set (see the README, "LLM planner and
evaluation"); a change that lowers a figure fails here. Raise them as the planner improves; never lower a label to
pass.
"""

from __future__ import annotations

import pytest

from briefreel.parsers import PasswordRequired, WrongPassword, open_brief
from briefreel.storyboard.llm import plan_with
from briefreel.storyboard.schema import Angle, Movement, ShotSize
from briefreel.storyboard.validate import brief_text, norm_line
from tests.support.storyboard_eval import (FIELDS, brief_accuracy, check_not_a_brief, evaluate, not_a_brief_fixtures, pair,
                                           score_brief, scored_fixtures)

FIXTURES = scored_fixtures()  # the invoice fixture (not_a_brief: true) is checked on its own below
_OPENED: dict[str, object] = {}


def opened(fx: dict):
    """The fixture's brief, opened once per test session (each open runs the sandboxed parser)."""
    if fx["name"] not in _OPENED:
        _OPENED[fx["name"]] = open_brief(fx["pdf_path"], password=fx.get("password") or None)
    return _OPENED[fx["name"]]

# All scored fixtures (63 briefs, 469 labelled shots: round 1's 34, round 2's 15 and round 3's 14, each blind set
# moved in after it was scored): the rules planner measured count 100, size 94.9, movement 99.8, angle 99.6,
# duration 97.9, dialogue 99.1 %, overall 98.5 %; floors are those figures rounded down to a whole percent.
FLOOR = {"count": 0.98, "size": 0.94, "movement": 0.99, "angle": 0.99, "duration": 0.97, "dialogue": 0.99,
         "overall": 0.98}
# Rounds 1 and 2 (49 briefs, 371 shots) keep the floors set before round 3 moved in (measured then: count 100, size
# 94.6, movement 99.7, angle 99.5, duration 97.8, dialogue 98.9 %, overall 98.4 %, count one brief lower).
ROUND12_FLOOR = {"count": 0.97, "size": 0.94, "movement": 0.99, "angle": 0.99, "duration": 0.97, "dialogue": 0.98,
                 "overall": 0.98}
# Round 1's 34 briefs alone (260 shots) must not regress: their floors stay where they were set (100 / 95.0 / 100 /
# 99.2 / 98.1 / 99.6 %, overall 98.7 %, measured again after round 2's fixes).
ROUND1_FLOOR = {"count": 0.97, "size": 0.95, "movement": 0.99, "angle": 0.99, "duration": 0.98, "dialogue": 0.99,
                "overall": 0.98}
# Round 3's 14 briefs (98 shots) scored 60.7 % overall held out; after the generic fixes they read (tuned on them):
# count 100, size 95.9, movement 100, angle 100, duration 97.96, dialogue 100 %, overall 99.0 % (the scorer now
# removes a labelled line before stripping "Label:" prefixes, so "POV: you forgot sunscreen again." scores as a line).
ROUND3_FLOOR = {"count": 1.00, "size": 0.95, "movement": 1.00, "angle": 1.00, "duration": 0.97, "dialogue": 1.00,
                "overall": 0.98}
# The weakest single brief measured 92.4 % overall (issue 11's goal: none below 80 %).
BRIEF_FLOOR = 0.92


def is_round1(name: str) -> bool:
    return not name.startswith(("r2_", "r3_"))


def is_round3(name: str) -> bool:
    return name.startswith("r3_")


# Rules boards that storyboard.validate rejects (with the brief), as measured; should reach 0.
MAX_INVALID_BOARDS = 0


def test_the_fixture_set_covers_every_format_language_and_encryption():
    assert len(FIXTURES) >= 12
    formats = {(f["format"], f["language"]) for f in FIXTURES}
    for fmt in ("ruled_table", "unruled_table", "shot_list", "screenplay", "prose"):
        assert {(fmt, "en"), (fmt, "zh")} <= formats, fmt
    assert sum(1 for f in FIXTURES if f.get("password")) >= 6
    assert all(f["pdf_path"].exists() for f in FIXTURES), "run tests/fixtures/make_fixtures.py"


@pytest.mark.parametrize("fx", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_labels_are_consistent_with_the_brief(fx):
    exp = fx["expected"]
    for shot in exp["shots"]:
        ShotSize(shot["size"]), Angle(shot["angle"]), Movement(shot["move"])
        # under 1.5 s only where the brief states it ("5–6s: End card")
        assert (shot["dur"] >= 1.5 or exp.get("durations") == "stated") and shot["what"]
    assert sum(s["dur"] for s in exp["shots"]) == pytest.approx(exp["target_s"], abs=0.05)
    brief = opened(fx)
    text = norm_line(brief_text(brief))
    for shot in exp["shots"]:
        for line in shot.get("lines", []):
            assert norm_line(line) in text, line
    if fx.get("password"):
        with pytest.raises(PasswordRequired):
            open_brief(fx["pdf_path"])
        with pytest.raises(WrongPassword):
            open_brief(fx["pdf_path"], password="not-" + fx["password"])
    if fx["pdf"].get("encrypt"):
        assert brief.encryption is not None


def test_pairing_keeps_order_and_skips_extra_shots():
    class S:
        def __init__(self, d):
            self.description, self.dialogue = d, ""

    labelled = [{"what": "harbour dawn"}, {"what": "Maya grinds beans"}, {"what": "end card logo"}]
    planned = [S("Dawn over the harbour"), S("Gulls"), S("Maya grinds beans at the counter"), S("Logo end card")]
    assert pair(labelled, planned) == [0, 2, 3]
    assert pair(labelled, planned[:3]) == [0, 1, 2]  # same count: by index


@pytest.fixture(scope="module")
def rules_result():
    return evaluate("rules")


def test_rules_planner_accuracy_floor(rules_result):
    acc = rules_result["accuracy"]
    report = ", ".join(f"{k} {100 * v:.1f}%" for k, v in acc.items())
    for field in (*FIELDS, "overall"):
        assert acc[field] >= FLOOR[field] - 1e-9, f"{field} fell below its floor: {report}"


def _accuracy(rows: list[dict]) -> dict:
    total = sum(r["labelled"] for r in rows)
    acc = {"count": sum(r["count"] for r in rows) / len(rows)}
    acc.update({f: sum(r["hits"].get(f, 0) for r in rows) / total for f in FIELDS[1:]})
    acc["overall"] = sum(acc[f] for f in FIELDS) / len(FIELDS)
    return acc


def _check(acc: dict, floor: dict, what: str) -> None:
    report = ", ".join(f"{k} {100 * v:.1f}%" for k, v in acc.items())
    for field in (*FIELDS, "overall"):
        assert acc[field] >= floor[field] - 1e-9, f"{what}: {field} fell below its floor: {report}"


def test_round_one_fixtures_alone_do_not_regress(rules_result):
    rows = [r for r in rules_result["rows"] if is_round1(r["name"])]
    assert len(rows) == 34
    _check(_accuracy(rows), ROUND1_FLOOR, "round 1")


def test_rounds_one_and_two_do_not_regress(rules_result):
    rows = [r for r in rules_result["rows"] if not is_round3(r["name"])]
    assert len(rows) == 49
    _check(_accuracy(rows), ROUND12_FLOOR, "rounds 1 and 2")


def test_round_three_holds(rules_result):
    rows = [r for r in rules_result["rows"] if is_round3(r["name"])]
    assert len(rows) == 14
    _check(_accuracy(rows), ROUND3_FLOOR, "round 3")


def test_no_brief_falls_below_the_per_brief_floor(rules_result):
    low = {r["name"]: round(brief_accuracy(r)["overall"], 3) for r in rules_result["rows"]
           if brief_accuracy(r)["overall"] < BRIEF_FLOOR - 1e-9}
    assert not low, low


def test_a_text_that_is_not_a_brief_ends_in_exit_20():
    cases = not_a_brief_fixtures()
    assert cases, "the invoice fixture (not_a_brief: true) is missing"
    for fx in cases:
        assert fx["expected"] in ([], None, {}), fx["name"]
        result = check_not_a_brief(fx)
        assert result["exit_code"] == 20 and "no visual content" in result["message"], result
    assert rules_result_not_briefs_are_reported()


def rules_result_not_briefs_are_reported() -> bool:
    """evaluate() reports the refused fixtures beside the scored ones, not as briefs."""
    result = evaluate("rules", only=[fx["name"] for fx in not_a_brief_fixtures()])
    return result["briefs"] == 0 and [nb["exit_code"] for nb in result["not_briefs"]] == [20] * len(not_a_brief_fixtures())


def test_every_fixture_plans_to_a_board_with_the_brief_s_facts(rules_result):
    for row in rules_result["rows"]:
        board = row["board"]
        assert board.shots and all(s.prompt for s in board.shots), row["name"]
        fx = next(f for f in FIXTURES if f["name"] == row["name"])
        assert board.target_duration_s == pytest.approx(fx["expected"]["target_s"]), row["name"]
        assert board.aspect_ratio == fx["expected"]["aspect"], row["name"]
        assert board.language == fx["language"], row["name"]


def test_rules_boards_pass_the_validator(rules_result):
    invalid = {r["name"]: r["problems"] for r in rules_result["rows"] if r["problems"]}
    assert len(invalid) <= MAX_INVALID_BOARDS, invalid


def labelled_answer(fx: dict) -> dict:
    """The labels as a planner answer: what a perfect model would return for this brief."""
    return {"shots": [{"size": e["size"], "angle": e["angle"], "movement": e["move"], "duration_s": e["dur"],
                       "description": e["what"], "dialogue": " ".join(e.get("lines", []))}
                      for e in fx["expected"]["shots"]]}


@pytest.mark.parametrize("fx", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_a_model_answering_like_the_labels_is_accepted_and_scores_full_marks(fx):
    """The LLM path end to end on the real PDF: the labels pass the validator the planner enforces (durations sum,
    lines once, none invented) and the scorer gives them every point."""
    brief = opened(fx)
    board = plan_with(brief, lambda messages, schema: labelled_answer(fx), max_repairs=0)
    assert board.source["planner"] == "llm", board.source.get("llm_fallback_reason")
    row = score_brief(fx, board)
    assert row["misses"] == [] and row["count"] == 1
