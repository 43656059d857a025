"""Issue 13, content safety: every text that is rendered or exported is checked (walked through the board, not a
list of fields), after normalising away the evasions a probe used; a refusal names the list its term came from."""

from __future__ import annotations

import json

import pytest

from briefreel.service.safety import SafetyFilter, board_texts, normalise
from briefreel.storyboard.schema import Storyboard


@pytest.fixture(scope="module")
def safety() -> SafetyFilter:
    return SafetyFilter()


def _board(**shot) -> Storyboard:
    base = {"id": "S01", "size": "LS", "duration_s": 2.0, "description": "A harbour at dawn, mist on the water"}
    return Storyboard.model_validate({"title": "Harbour spot", "language": "en", "shots": [base | shot]})


@pytest.mark.parametrize("text", [
    "a g\u200bo\u200bry scene",          # zero-width spaces
    "a go\u00adry scene",                 # soft hyphen
    "a go\u2060ry scene",                 # word joiner
    "a gоry scene",                       # Cyrillic о
    "a GΟRY scene",                       # Greek capital omicron
    "a ｇｏｒｙ scene",                    # full width (NFKC)
    "a gõry scene",                       # a combining tilde
    "a g0ry scene",                       # digit for a letter
    "some c0ca1ne",                       # 1 read as i
    "a n4z1 flag",
    "$ex scene in the car",
    "a g o r y scene",                    # spelt out
    "a p.o.r.n site",
], ids=["zwsp", "soft-hyphen", "word-joiner", "cyrillic", "greek", "fullwidth", "combining", "digit", "digit-1",
        "leet", "dollar", "spaced", "dotted"])
def test_evasions_are_normalised_away(safety, text):
    assert safety.find(text) is not None, normalise(text)


@pytest.mark.parametrize("text", [
    "Shot S01, 1080p, 4K master, 30s spot, 3D logo", "a sexton rings the bell", "the gorge at dawn",
    "Essex coastline", "a scunthorpe sign", "1 bottle, 2 glasses, 3 friends", "镜头3：中景，横移",
])
def test_ordinary_text_passes(safety, text):
    assert safety.find(text) is None


@pytest.mark.parametrize("where,field,shot", [
    ({"speaker": "GORE"}, "speaker", "S01"),
    ({"on_screen_text": "porn"}, "on_screen_text", "S01"),
    ({"transition": "cut to gore"}, "transition", "S01"),
    ({"client_note": "gory"}, "client_note", "S01"),     # an extra key: the exports carry it
    ({"id": "GORE-1"}, "id", "GORE-1"),
], ids=["speaker", "on_screen_text", "transition", "extra-key", "id"])
def test_shot_fields_the_old_list_missed(safety, where, field, shot):
    refusal = safety.check(_board(**where))
    assert refusal is not None and (refusal.shot, refusal.field) == (shot, field)


def test_board_fields_scene_headings_and_bible(safety):
    base = _board().model_dump(mode="json")
    cases = {
        "scene 1": {"scenes": [{"number": 1, "heading": "INT. GORE ROOM - NIGHT"}]},
        "bible C1": {"bible": [{"id": "C1", "kind": "character", "name": "Nazi officer", "description": "a man"}]},
        "tone": {"tone": "gory"},
        "mandatories": {"mandatories": ["show the swastika"]},
        "title": {"title": "P0RN"},
    }
    for field, over in cases.items():
        refusal = safety.check(Storyboard.model_validate(base | over))
        assert refusal is not None and refusal.field == field and refusal.shot == "", (field, refusal)


def test_negative_prompts_are_still_not_checked(safety):
    board = _board(negative_prompt="gore, nudity, p0rn")
    board.negative_prompt = "no gore"
    assert safety.check(board) is None
    assert all(field != "negative_prompt" for _, field, _ in board_texts(board))


def test_a_refusal_names_its_list(safety, tmp_path):
    assert safety.check(_board(dialogue="so gory")).list == "builtin:en"
    assert safety.check(_board(description="码头上一片血\u200b腥的场面")).list == "builtin:zh"
    words = tmp_path / "client_words.txt"
    words.write_text("lighthouse\n-gore\n", encoding="utf-8")
    custom = SafetyFilter([str(words)])
    refusal = custom.check(_board(description="a l1ghthouse at dawn"))
    assert (refusal.term, refusal.list) == ("lighthouse", "client_words.txt")
    assert "client_words.txt" in refusal.reason and refusal.to_dict()["list"] == "client_words.txt"
    assert custom.find("gore") is None  # removed by the client's list


def test_the_better_profanity_list_when_installed():
    pytest.importorskip("better_profanity")
    f = SafetyFilter(["pkg:better_profanity"])
    term, source = f.find_with_list("what a b1tch")
    assert term == "bitch" and source.startswith("better-profanity ")
    assert len(f.terms) > 800


def test_the_example_boards_pass(safety):
    from briefreel.parsers import open_brief
    from briefreel.storyboard import plan

    for path, password in (("examples/brief_en.pdf", "reel-2026"), ("examples/brief_zh.pdf", "分镜2026")):
        assert safety.check(plan(open_brief(path, password=password, sandbox=False))) is None


def test_the_service_refuses_a_speaker_naming_the_list(tmp_path):
    from fastapi.testclient import TestClient

    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings

    board = _board(speaker="G\u200bORE", dialogue="Morning.").model_dump(mode="json")
    key = "hardening-key"
    with TestClient(create_app(Settings(api_keys=(key,), data_dir=tmp_path / "data", workers=0))) as client:
        r = client.post("/v1/jobs", headers={"Authorization": f"Bearer {key}"},
                        files={"shots": ("shots.json", json.dumps(board).encode(), "application/json")})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["shot"], error["field"], error["term"], error["list"]) == \
        ("unsafe_content", "S01", "speaker", "gore", "builtin:en")
