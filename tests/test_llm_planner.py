"""The LLM planner and the validator, driven by a deterministic LangChain chat model.

``ScriptedChatModel`` is a real ``BaseChatModel``: it supports tool binding, so ``with_structured_output`` runs
LangChain's own tool-calling path and output parsers; it answers with scripted ``AIMessage`` tool calls (or with
a function of the conversation) and keeps every conversation it was sent, so the tests can read the repair
prompts. Nothing of briefreel is mocked: the rules planner writes the draft, the validator judges every answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from briefreel.parsers import Brief
from briefreel.storyboard import plan, plan_rules
from briefreel.storyboard.errors import StoryboardError
from briefreel.storyboard.llm import (
    NoModelConfigured,
    PlannerAnswerError,
    plan_llm,
    plan_with,
    planner_schema,
)
from briefreel.storyboard.schema import Storyboard
from briefreel.storyboard.validate import norm_line, validate_board


class ScriptedChatModel(BaseChatModel):
    """Answers from a script: each item a dict (sent as a tool call), a str (sent as text) or a callable
    ``(messages) -> dict|str``; the last item repeats when the script runs out."""

    script: list[Any]
    conversations: list[list[BaseMessage]] = []
    tool_name: str = ""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        self.tool_name = convert_to_openai_tool(tools[0])["function"]["name"]
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.conversations.append(list(messages))
        k = min(len(self.conversations) - 1, len(self.script) - 1)
        item = self.script[k]
        if callable(item):
            item = item(messages)
        if isinstance(item, dict):
            msg = AIMessage(content="", tool_calls=[{"name": self.tool_name or "storyboard", "args": item,
                                                     "id": f"call_{len(self.conversations)}"}])
        else:
            msg = AIMessage(content=str(item))
        return ChatResult(generations=[ChatGeneration(message=msg)])


BRIEF = """Sunpeak Yoghurt — “Good Morning”
Length: 20 seconds
Aspect ratio: 16:9

Background
Sunpeak is a mountain dairy. We want breakfast to feel like a summit.

The film
We open wide on a mountain lodge at dawn, mist in the valley. Cut to a close-up of a spoon dipping into a jar of
Sunpeak yoghurt. VO: “Start the day on a high note.” Then a slow push in on Lena (30s, red fleece) smiling at the
window. We end on the Sunpeak jar on the windowsill. End card (3 seconds): Sunpeak logo.
"""


@pytest.fixture(scope="module")
def brief() -> Brief:
    return Brief.from_text(BRIEF, filename="sunpeak.pdf")


@pytest.fixture(scope="module")
def draft(brief) -> Storyboard:
    return plan_rules(brief)


# What a good model answers for BRIEF: five shots, 20 s, the VO line once, the end card 3 s.
GOOD = {
    "title": "Good Morning",
    "bible": [],
    "shots": [
        {"size": "LS", "angle": "eye_level", "movement": "static", "duration_s": 4.0,
         "description": "A mountain lodge at dawn, mist in the valley."},
        {"size": "CU", "angle": "high", "movement": "static", "duration_s": 4.0,
         "description": "A spoon dips into a jar of Sunpeak yoghurt.",
         "dialogue": "Start the day on a high note.", "dialogue_kind": "vo"},
        {"size": "MS", "angle": "eye_level", "movement": "push_in", "movement_speed": "slow", "duration_s": 4.5,
         "description": "Lena, in a red fleece, smiles at the window."},
        {"size": "CU", "angle": "eye_level", "movement": "static", "duration_s": 4.5,
         "description": "The Sunpeak jar on the windowsill."},
        {"size": "INSERT", "angle": "eye_level", "movement": "static", "duration_s": 3.0,
         "description": "End card: Sunpeak logo."},
    ],
}


def answer_from(board: Storyboard | dict = None, **changes) -> dict:
    """A planner answer: ``board`` restated as a model would return it (GOOD by default), with per-shot
    ``changes``: ``shots={0: {"movement": "crane_down"}}``."""
    if board is None:
        board = GOOD
    if isinstance(board, Storyboard):
        shots = [{"scene": s.scene, "size": s.size.value, "angle": s.angle.value, "movement": s.movement.value,
                  "duration_s": s.duration_s, "description": s.description, "dialogue": s.dialogue,
                  "dialogue_kind": s.dialogue_kind, "characters": list(s.characters)} for s in board.shots]
        board = {"title": board.title, "shots": shots,
                 "bible": [b.model_dump(include={"id", "kind", "name", "description"}) for b in board.bible]}
    answer = json.loads(json.dumps(board))
    for k, change in changes.get("shots", {}).items():
        answer["shots"][k].update(change)
    return answer


def user_text(conversation: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in conversation if m.type == "human")


# -- accepted, repaired, replaced ---------------------------------------------------------------------------------

def test_valid_answer_is_accepted(brief, draft):
    better = answer_from(shots={0: {"movement": "crane_down", "movement_note": "mist parts as we descend"}})
    model = ScriptedChatModel(script=[better], conversations=[])
    board = plan_llm(brief, model=model)

    assert board.source["planner"] == "llm"
    assert board.source["llm"]["attempts"] == 1 and board.source["llm"]["repairs"] == 0
    assert len(model.conversations) == 1
    assert board.shots[0].movement.value == "crane_down"
    assert board.shots[0].movement_note == "mist parts as we descend"
    assert [s.id for s in board.shots] == ["S01", "S02", "S03", "S04", "S05"]
    assert [s.duration_s for s in board.shots] == [4.0, 4.0, 4.5, 4.5, 3.0]
    assert board.shots[1].dialogue == "Start the day on a high note."
    assert validate_board(board, brief=brief) == []
    assert all(s.prompt for s in board.shots)
    assert board.target_duration_s == draft.target_duration_s == 20 and board.aspect_ratio == "16:9"
    # the model saw the rules' facts and draft
    asked = user_text(model.conversations[0])
    assert "Start the day on a high note." in asked and '"running_time_s": 20' in asked
    assert draft.shots[0].description[:30] in asked


def test_invalid_answers_are_repaired_with_the_errors_in_the_prompt(brief, draft):
    target = draft.target_duration_s
    bad_enum = answer_from(shots={0: {"size": "GIGANTIC"}})
    bad_sum_and_vo = answer_from(shots={0: {"duration_s": 8.0}, 1: {"dialogue": ""}})
    good = answer_from()
    model = ScriptedChatModel(script=[bad_enum, bad_sum_and_vo, good], conversations=[])
    board = plan_llm(brief, model=model, max_repairs=2)

    assert board.source["planner"] == "llm", board.source
    assert board.source["llm"] == {"attempts": 3, "repairs": 2, "chunks": 1}
    second, third = user_text(model.conversations[1]), user_text(model.conversations[2])
    assert "'GIGANTIC' is not allowed" in second and "EWS" in second
    assert f"the target is {target:g} s" in third and "over by 4.00 s" in third
    assert "Start the day on a high note." in third and "not in any shot's dialogue" in third
    # the model's own bad answer is in the conversation it is asked to repair
    assert any(m.type == "ai" and "GIGANTIC" in str(m.content) for m in model.conversations[1])
    assert validate_board(board, brief=brief) == []
    assert sum(s.duration_s for s in board.shots) == pytest.approx(target, abs=0.05)


def test_persistently_bad_model_falls_back_to_rules(brief, draft):
    invented = answer_from(shots={4: {"dialogue": "Buy two, get one free!"}})
    model = ScriptedChatModel(script=[invented], conversations=[])
    board = plan_llm(brief, model=model, max_repairs=2)

    assert len(model.conversations) == 3
    assert board.source["planner"] == "rules"
    assert "still invalid after 2 repairs" in board.source["llm_fallback_reason"]
    assert "not in the brief" in board.source["llm_fallback_reason"]
    assert [s.model_dump() for s in board.shots] == [s.model_dump() for s in draft.shots]

    with pytest.raises(StoryboardError, match="LLM planner failed"):
        plan_llm(brief, model=ScriptedChatModel(script=[invented], conversations=[]), fallback=False)


def test_camera_words_are_read_as_enum_values(brief):
    answer = answer_from(shots={0: {"size": "Wide shot", "movement": "Crane Down"},
                                1: {"size": "close-up", "angle": "bird's eye", "movement": "推镜头"},
                                2: {"size": "Medium Close Up", "movement": "tracking"}})
    board = plan_with(brief, lambda messages, schema: answer)
    assert board.source["planner"] == "llm", board.source
    got = [(s.size.value, s.angle.value, s.movement.value) for s in board.shots[:3]]
    assert got == [("LS", "eye_level", "crane_down"), ("CU", "overhead", "push_in"), ("MCU", "eye_level", "follow")]


def test_wrapped_answers_are_unwrapped(brief):
    wrapped = {"storyboard": json.dumps(answer_from())}
    board = plan_with(brief, lambda messages, schema: wrapped)
    assert board.source["planner"] == "llm", board.source
    stringly = answer_from()
    stringly["shots"] = json.dumps(stringly["shots"])
    assert plan_with(brief, lambda messages, schema: stringly).source["planner"] == "llm"


def test_unreadable_replies_count_as_failed_attempts(brief, draft):
    model = ScriptedChatModel(script=["I'd love to help! What's the brief?", answer_from()], conversations=[])
    board = plan_llm(brief, model=model)
    assert board.source["planner"] == "llm" and board.source["llm"]["repairs"] == 1
    assert "no JSON object" in user_text(model.conversations[1])


def test_a_model_that_raises_gives_the_rules_board(brief):
    class Down(ScriptedChatModel):
        def _generate(self, *a, **k):
            raise ConnectionError("connection refused")

    board = plan_llm(brief, model=Down(script=[{}], conversations=[]))
    assert board.source["planner"] == "rules"
    assert "ConnectionError" in board.source["llm_fallback_reason"]


# -- durations, bible, prompts: code's job ------------------------------------------------------------------------

def test_missing_durations_are_spread_to_the_target(brief, draft):
    answer = answer_from()
    for s in answer["shots"][:4]:
        s["duration_s"] = None
    board = plan_llm(brief, model=ScriptedChatModel(script=[answer], conversations=[]))
    assert board.source["planner"] == "llm", board.source
    assert sum(s.duration_s for s in board.shots) == pytest.approx(draft.target_duration_s, abs=0.05)
    assert min(s.duration_s for s in board.shots) >= 1.5
    assert board.shots[4].duration_s == 3.0  # the model's own figure is kept


def test_bible_descriptions_are_pasted_verbatim(brief, draft):
    answer = answer_from()
    answer["bible"] = [{"id": "C1", "kind": "character", "name": "Lena",
                        "description": "Lena, a woman in her thirties with a red fleece and a dark ponytail"}]
    for s in answer["shots"]:
        s["characters"] = ["C1"] if "Lena" in s["description"] else []
    answer["shots"][0]["prompt"] = "Mountain lodge at dawn, mist in the valley, wide static shot, warm film look"
    board = plan_llm(brief, model=ScriptedChatModel(script=[answer], conversations=[]))
    assert board.source["planner"] == "llm", board.source
    lena = [s for s in board.shots if s.characters == ["C1"]]
    assert lena and all("red fleece and a dark ponytail" in s.prompt for s in lena)
    assert board.shots[0].prompt.startswith("Mountain lodge at dawn")


# -- long briefs: chunks ------------------------------------------------------------------------------------------

def _director(messages: list[BaseMessage]) -> dict:
    """A model that reads the draft out of the request and returns it with its own camera choices and no
    durations, as an LLM asked for one part of a long brief would."""
    ask = next(str(m.content) for m in messages if m.type == "human")
    sketch = json.loads(re.search(r"draft for this part:\n(\{.*?\n\})\n", ask, re.S).group(1))
    for s in sketch["shots"]:
        s["duration_s"] = None
        s["movement_note"] = "chosen by the model"
    return sketch


def test_long_brief_is_chunked_planned_per_part_and_merged():
    scenes = []
    for k in range(1, 9):
        scenes.append(
            f"EXT. HARBOUR QUAY {k} - DAWN\n\nFishing boat number {k} glides in through the mist while gulls wheel "
            f"overhead and the harbour master watches from the wall.\n\nMARA\nBoat {k} is home.\n"
        )
    text = "HARBOUR LIGHTS\nLength: 60 seconds\nAspect ratio: 16:9\n\n" + "\n".join(scenes)
    long_brief = Brief.from_text(text, filename="harbour.pdf")
    draft = plan_rules(long_brief)
    model = ScriptedChatModel(script=[_director], conversations=[])
    board = plan_llm(long_brief, model=model, chunk_chars=500)

    assert board.source["planner"] == "llm", board.source
    parts = board.source["llm"]["chunks"]
    assert parts > 1 and len(model.conversations) == board.source["llm"]["attempts"] >= 2
    assert "Part 1 of" in user_text(model.conversations[0])
    assert len(board.shots) == len(draft.shots)
    assert [s.id for s in board.shots] == [f"S{k + 1:02d}" for k in range(len(board.shots))]
    assert all(s.movement_note == "chosen by the model" for s in board.shots)
    assert sum(s.duration_s for s in board.shots) == pytest.approx(draft.target_duration_s or draft.duration_s,
                                                                   abs=0.05)
    said = [norm_line(s.dialogue) for s in board.shots]
    for k in range(1, 9):
        assert sum(norm_line(f"Boat {k} is home.") in d for d in said) == 1
    assert validate_board(board, brief=long_brief) == []


# -- other ways in --------------------------------------------------------------------------------------------------

def test_json_text_replies_from_models_without_tool_calling(brief, draft):
    reply = "Here you go:\n```json\n" + json.dumps(answer_from(), ensure_ascii=False) + "\n```"
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    board = plan_llm(brief, model=model)
    assert board.source["planner"] == "llm", board.source


def test_plan_with_takes_any_structured_output_function(brief, draft):
    seen = []

    def invoke(messages: list[dict], schema: dict) -> dict:
        seen.append((messages, schema))
        return answer_from()

    board = plan_with(brief, invoke, model_name="dify:qwen-max")
    assert board.source["planner"] == "llm" and board.source["model"] == "dify:qwen-max"
    messages, schema = seen[0]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert schema == planner_schema() and schema["title"] == "storyboard"
    assert "EWS" in json.dumps(schema)

    def refuses(messages, schema):
        raise PlannerAnswerError("the model returned no structured output")

    board = plan_with(brief, refuses, max_repairs=1)
    assert board.source["planner"] == "rules" and "no structured output" in board.source["llm_fallback_reason"]


def test_no_model_configured(brief, monkeypatch):
    monkeypatch.delenv("BRIEFREEL_LLM", raising=False)
    with pytest.raises(NoModelConfigured, match="BRIEFREEL_LLM"):
        plan_llm(brief, fallback=False)
    board = plan_llm(brief)
    assert board.source["planner"] == "rules" and "no LLM is configured" in board.source["llm_fallback_reason"]
    assert issubclass(NoModelConfigured, StoryboardError)


def test_unknown_provider_is_a_clear_error(brief, monkeypatch):
    monkeypatch.setenv("BRIEFREEL_LLM", "nosuchprovider:model-x")
    with pytest.raises(NoModelConfigured):
        plan_llm(brief, fallback=False)


def test_plan_dispatches_to_the_llm_planner(brief, monkeypatch):
    monkeypatch.delenv("BRIEFREEL_LLM", raising=False)
    board = plan(brief, planner="llm")
    assert board.source["planner"] == "rules" and board.source["llm_fallback_reason"]
    model = ScriptedChatModel(script=[answer_from()], conversations=[])
    board = plan(brief, planner="llm", model=model, max_repairs=0)
    assert board.source["planner"] == "llm" and board.source["model"] == "ScriptedChatModel"


# -- the validator on its own ---------------------------------------------------------------------------------------

def _board(**over) -> dict:
    shots = [
        {"id": "S01", "size": "LS", "duration_s": 4, "description": "Lodge at dawn", "prompt": "lodge"},
        {"id": "S02", "size": "CU", "duration_s": 3, "description": "Spoon in jar", "prompt": "spoon",
         "dialogue": "Start the day on a high note."},
        {"id": "S03", "size": "INSERT", "duration_s": 3, "description": "End card", "prompt": "logo"},
    ]
    board = {"target_duration_s": 10, "shots": shots}
    board.update(over)
    return board


def test_validator_accepts_a_good_board():
    assert validate_board(_board(), brief=BRIEF, lines=["Start the day on a high note."]) == []


def test_validator_words_schema_errors_for_a_reader():
    board = _board()
    board["shots"][1]["movement"] = "zoomy"
    board["shots"][2]["size"] = "close-up"
    problems = validate_board(board)
    assert any(p.startswith("shots[2].movement: 'zoomy' is not allowed") for p in problems)
    assert any(p.startswith("shots[3].size: 'close-up' is not allowed; use one of 'EWS'") for p in problems)
    board = _board()
    board["shots"][2]["id"] = "S01"
    assert any("duplicate shot id" in p for p in validate_board(board))


def test_validator_durations():
    board = _board()
    board["shots"][0]["duration_s"] = 5
    assert validate_board(board) == ["durations sum to 11.00 s but the target is 10 s (over by 1.00 s)"]
    assert validate_board(board, target=11) == []
    assert validate_board(board, target=11.04) == []
    board["shots"][2]["duration_s"] = 1
    board["shots"][0]["duration_s"] = 6
    assert validate_board(board) == ["S03: duration 1 s is under 1.5 s (the brief does not ask for it)"]
    vo = "VO: Start the day on a high note."
    assert validate_board(board, brief="End card (1s): logo. " + vo) == []
    assert validate_board(board, brief="尾板（1秒）" + vo) == []


def test_validator_vo_coverage_and_invented_lines():
    lines = ["Start the day on a high note.", "Sunpeak. Up there."]
    problems = validate_board(_board(), lines=lines)
    assert problems == ["the line “Sunpeak. Up there.” is not in any shot's dialogue"]
    board = _board()
    board["shots"][2]["dialogue"] = "“Start the day on a high note!”"
    problems = validate_board(board, lines=lines[:1])
    assert problems == ["the line “Start the day on a high note.” is in shots S02, S03; it must be in exactly one"]
    board = _board()
    board["shots"][2]["dialogue"] = "Now 20% off."
    problems = validate_board(board, brief=BRIEF)
    assert problems == ["S03: the dialogue “Now 20% off.” is not in the brief; use its lines word for word and "
                        "invent none"]


def test_validator_bible():
    board = _board(bible=[{"id": "C1", "kind": "character", "name": "Lena", "description": "Lena in a red fleece"}])
    board["shots"][1]["characters"] = ["C1"]
    assert validate_board(board) == ["S02: the prompt must contain the bible description of C1 (Lena) word for word"]
    board["shots"][1]["prompt"] = "Lena in a red fleece dips a spoon"
    assert validate_board(board) == []
    board["shots"][0]["characters"] = ["C9"]
    assert any("unknown bible ids" in p for p in validate_board(board))


def test_validator_on_a_planned_board(brief):
    board = plan_with(brief, lambda messages, schema: answer_from())
    assert board.source["planner"] == "llm" and validate_board(board, brief=brief) == []
    broken = board.model_copy(deep=True)
    broken.shots[0].prompt = ""
    broken.shots[3].duration_s = 1.0
    assert validate_board(broken, brief=brief) == [
        "S01: the prompt is empty",
        "S04: duration 1 s is under 1.5 s (the brief does not ask for it)",
        "durations sum to 16.50 s but the target is 20 s (short by 3.50 s)",
    ]


def test_validator_finds_a_sentence_spoken_twice_without_a_line_list():
    board = _board()
    board["shots"][2]["dialogue"] = "Start the day on a high note."
    assert validate_board(board, brief=BRIEF) == [
        "the line “Start the day on a high note.” is in shots S02, S03; it must be in exactly one"]
    board["shots"][2]["dialogue_kind"] = "super"  # shown as text on the end card: not heard twice
    assert validate_board(board, brief=BRIEF) == []
    twice = BRIEF + "\nVO: “Start the day on a high note.”"
    board["shots"][2]["dialogue_kind"] = "vo"
    assert validate_board(board, brief=twice) == []  # the brief itself says it twice
