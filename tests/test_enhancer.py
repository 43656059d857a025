"""The prompt enhancer (issue 18.4): rules mode on every fixture passes its own validator; the LLM mode, with a
scripted chat model, is accepted when valid and falls back to the rules otherwise; render.json keeps the prompt used."""

from __future__ import annotations

import json

import pytest

from briefreel.parsers import open_brief
from briefreel.render.pipeline import render_board
from briefreel.storyboard import plan
from briefreel.storyboard.prompt_enhance import enhance_board, enhance_llm, enhance_rules, validate_prompt
from briefreel.storyboard.provenance import effective_prompt, stamp
from briefreel.storyboard.schema import Storyboard
from tests.support.storyboard_eval import scored_fixtures

pytest.importorskip("langchain_core")
from tests.test_llm_planner import ScriptedChatModel  # noqa: E402


def board(lang: str = "en") -> Storyboard:
    en = lang == "en"
    return stamp(Storyboard.model_validate({
        "title": "Glow", "language": lang, "style": "" if en else "",
        "bible": [{"id": "C1", "kind": "character", "name": "Priya",
                   "description": "Priya (30s, linen robe)" if en else "小林（三十岁，亚麻睡袍）"},
                  {"id": "P1", "kind": "product", "name": "LUMEN SPF50",
                   "description": "LUMEN Daily SPF50, a slim white bottle" if en else "LUMEN防晒霜，白色细长瓶"}],
        "scenes": [{"number": 1, "heading": "EXT. ROOFTOP GARDEN - DAWN" if en else "外景 屋顶花园 清晨"}],
        "shots": [{"id": "S01", "size": "CU", "movement": "push_in", "duration_s": 3,
                   "description": "Priya smooths the lotion across her cheek" if en else "小林把乳液抹在脸颊上",
                   "characters": ["C1", "P1"]}],
    }))


@pytest.mark.parametrize("fx", scored_fixtures(), ids=lambda f: f["name"])
def test_rules_prompts_on_every_fixture_pass_the_validator(fx):
    b = plan(open_brief(fx["pdf_path"], password=fx.get("password") or None))
    for shot in b.shots:
        text = enhance_rules(shot, b)
        assert validate_prompt(text, shot, b) == [], (shot.id, text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rules_prompt_has_the_six_parts_in_the_boards_language(lang):
    b = board(lang)
    text = enhance_rules(b.shots[0], b)
    if lang == "en":
        for part in ("Priya smooths", "Priya (30s, linen robe)", "LUMEN Daily SPF50, a slim white bottle",
                     "Setting: Rooftop Garden", "motion", "Camera: close-up, the camera pushes in", "Lighting: soft golden dawn light",
                     "Style: "):
            assert part in text, part
    else:
        for part in ("小林把乳液", "小林（三十岁，亚麻睡袍）", "场景：屋顶花园", "动作", "镜头：", "光线：", "风格："):
            assert part in text, part
    assert validate_prompt(text, b.shots[0], b) == []


def test_the_validator_catches_what_a_model_may_invent():
    b = board()
    shot = b.shots[0]
    good = enhance_rules(shot, b)
    assert validate_prompt(good.replace("Priya (30s, linen robe)", "Priya in a robe"), shot, b)[0].startswith("bible")
    assert any("invented names: Nivea" in p for p in validate_prompt(good + " A Nivea jar beside her.", shot, b))
    assert any("invented text" in p for p in validate_prompt(good + ' A sign reads "SALE 50%".', shot, b))
    assert any(p.startswith("length") for p in validate_prompt("Priya (30s, linen robe) LUMEN Daily SPF50, a slim "
                                                                 "white bottle", shot, b) + validate_prompt(
        good + " lovely" * 200, shot, b))
    zh = board("zh")
    assert any(p.startswith("language") for p in validate_prompt(
        "小林（三十岁，亚麻睡袍） LUMEN防晒霜，白色细长瓶 close up of a woman applying lotion in the morning light, "
        "cinematic and soft and warm and calm", zh.shots[0], zh))


def test_llm_mode_accepts_a_valid_answer_and_falls_back_to_rules():
    b = board()
    shot = b.shots[0]
    good = ("Close-up of Priya (30s, linen robe) on a rooftop garden at dawn as she smooths lotion from LUMEN Daily "
            "SPF50, a slim white bottle across her cheek; the lotion vanishes into her skin. The camera pushes in "
            "slowly. Soft golden dawn light, shallow depth of field, cinematic commercial look.")
    model = ScriptedChatModel(script=[good], conversations=[])
    text, mode, problems = enhance_llm(shot, b, model)
    assert (text, mode, problems) == (good, "llm", [])
    system, request = model.conversations[0][0].content, model.conversations[0][1].content
    assert "subject and its look" in system and "Keep verbatim: Priya (30s, linen robe) | LUMEN Daily SPF50" in request

    # an answer that invents a brand is told so, once; the repair is accepted
    invented = good.replace("LUMEN Daily SPF50, a slim white bottle", "a Nivea jar")
    model = ScriptedChatModel(script=[invented, good], conversations=[])
    text, mode, problems = enhance_llm(shot, b, model)
    assert mode == "llm" and text == good and any("Nivea" in p for p in problems)
    assert "Fix these" in model.conversations[1][-1].content

    # persistently bad: the rules prompt, and the reasons
    model = ScriptedChatModel(script=[invented], conversations=[])
    new, report = enhance_board(b, mode="llm", model=model)
    assert new.shots[0].prompt == enhance_rules(shot, b) and report["S01"]["mode"] == "rules"
    assert new.shots[0].prompt_source.made == "enhancer" and report["S01"]["problems"]

    # accepted: stamped as the model's, kept at render while its fields stand, re-made by the rules after an edit
    new, report = enhance_board(b, mode="llm", model=ScriptedChatModel(script=[good], conversations=[]))
    assert report["S01"] == {"mode": "llm"} and new.shots[0].prompt_source.made == "llm"
    assert effective_prompt(new.shots[0], new) == (good, "kept")


def test_a_hand_written_prompt_is_kept_and_render_json_has_the_prompt_used(tmp_path):
    b = board()
    b.shots[0].duration_s = 1.0
    enhanced, report = enhance_board(b)
    assert report["S01"] == {"mode": "rules"} and enhanced.shots[0].prompt_source.made == "enhancer"
    render_board(enhanced, tmp_path / "out", cache_dir=tmp_path / "cache", progress=False, exports=False, workers=1)
    rec = json.loads((tmp_path / "out" / "render.json").read_text())
    assert rec["shots"][0]["prompt"] == enhanced.shots[0].prompt
    # an edit re-makes an enhancer prompt with the enhancer (not the plain builder)
    enhanced.shots[0].description = "Priya laughs at the sunrise"
    text, how = effective_prompt(enhanced.shots[0], enhanced)
    assert how == "remade" and text == enhance_rules(enhanced.shots[0], enhanced) and "Camera:" in text
    # hand-written: kept
    enhanced.shots[0].prompt = "My own words."
    again, report = enhance_board(enhanced)
    assert again.shots[0].prompt == "My own words." and report["S01"]["mode"] == "kept"


def test_cli_enhance(tmp_path, monkeypatch):
    from briefreel.cli import main

    b = board()
    b.save(tmp_path / "shots.json")
    assert main(["enhance", str(tmp_path / "shots.json"), "-o", str(tmp_path / "out.json")]) == 0
    out = Storyboard.load(tmp_path / "out.json")
    assert out.shots[0].prompt == enhance_rules(b.shots[0], b) and out.shots[0].prompt_source.made == "enhancer"
    monkeypatch.delenv("BRIEFREEL_LLM", raising=False)
    assert main(["enhance", str(tmp_path / "shots.json"), "--mode", "llm"]) != 0  # no model configured: said so
