"""Prompts that follow edits (issue 18.1): a made prompt is made again from the current fields at render, a
hand-written one is kept, and exactly the shots whose effective prompt changed render again (panel and tiny Wan)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreel.parsers.brief import Brief, Page
from briefreel.render.pipeline import render_board
from briefreel.storyboard import plan
from briefreel.storyboard.prompts import NEGATIVE_EN, NEGATIVE_ZH, build_prompt
from briefreel.storyboard.provenance import (effective_negative, effective_prompt, resolve_prompts, stamp,
                                             text_sha)
from briefreel.storyboard.schema import Storyboard


def make_board(duration: float = 1.0) -> Storyboard:
    board = Storyboard.model_validate({
        "title": "Kites", "language": "en",
        "bible": [{"id": "C1", "kind": "character", "name": "Mia", "description": "Mia (30, yellow rain jacket)"},
                  {"id": "C2", "kind": "character", "name": "Leo", "description": "Leo (8, striped scarf)"}],
        "shots": [
            {"id": "S01", "size": "LS", "duration_s": duration, "description": "Mia walks along the harbour wall",
             "characters": ["C1"]},
            {"id": "S02", "size": "CU", "duration_s": duration, "description": "A red kite tugs at its string"},
            {"id": "S03", "size": "MS", "duration_s": duration, "description": "Mia hands the kite to Leo",
             "characters": ["C1", "C2"]},
            {"id": "S04", "size": "MCU", "duration_s": duration, "description": "Leo laughs", "characters": ["C2"]},
        ],
    })
    board.negative_prompt = NEGATIVE_EN
    for shot in board.shots:
        shot.prompt = build_prompt(shot, board)
    return stamp(board, "rules")


def record(out: Path) -> dict:
    return json.loads((out / "render.json").read_text())


def prompts(out: Path) -> dict[str, str]:
    return {s["id"]: s["prompt"] for s in record(out)["shots"]}


def test_the_planner_records_how_each_prompt_was_made():
    brief = Brief(pages=[Page(number=1, text=(
        "Length: 12s\n\nMia opens the café at dawn. Mia wipes the counter and smiles.\n\n"
        "Close on a cup of coffee steaming on the bar. Mia hands the cup to a customer."))])
    board = plan(brief)
    assert board.shots and board.negative_prompt_source.made == "default"
    for shot in board.shots:
        src = shot.prompt_source
        assert src.made == "rules" and src.sha == text_sha(shot.prompt) and len(src.basis) == 16
        assert effective_prompt(shot, board) == (shot.prompt, "kept")
    # the record survives shots.json
    again = Storyboard.from_json(board.to_json())
    assert again.shots[0].prompt_source == board.shots[0].prompt_source


def test_effective_prompt_rules():
    board = make_board()
    edited = board.model_copy(deep=True)
    edited.shots[1].description = "A blue kite dives towards the water"
    text, how = effective_prompt(edited.shots[1], edited)
    assert how == "remade" and "blue kite dives" in text and "red kite" not in text
    # a prompt edited by hand in shots.json is the user's: kept word for word, whatever else changes
    edited.shots[1].prompt = "my own words about a kite"
    assert effective_prompt(edited.shots[1], edited) == ("my own words about a kite", "edited")
    # marked manual: kept too
    edited.shots[0].prompt_source.made = "manual"
    edited.shots[0].description = "Mia runs"
    assert effective_prompt(edited.shots[0], edited) == (board.shots[0].prompt, "manual")
    # no record (a shots.json from before provenance): kept when set, built when empty
    edited.shots[2].prompt_source = None
    assert effective_prompt(edited.shots[2], edited)[1] == "unrecorded"
    edited.shots[2].prompt = ""
    assert effective_prompt(edited.shots[2], edited) == (build_prompt(edited.shots[2], edited), "built")
    # the input board is not changed by resolve_prompts
    resolved, notes = resolve_prompts(edited)
    assert edited.shots[2].prompt == "" and resolved.shots[2].prompt and notes["S03"]["prompt"] == "built"


def test_negative_prompt_follows_the_language_unless_written_by_hand():
    board = make_board()
    board.language = "zh"
    assert effective_negative(board) == (NEGATIVE_ZH, "remade")
    board.negative_prompt = "blur, text"
    assert effective_negative(board) == ("blur, text", "edited")
    board = make_board()
    board.shots[1].negative_prompt = "no birds"  # a shot's own negative prompt is the user's and wins
    resolved, notes = resolve_prompts(board)
    assert notes["S02"]["negative_prompt"] == "shot" and notes["S01"]["negative_prompt"] == "kept"


def test_panel_edits_rerender_exactly_the_shots_whose_prompt_changed(tmp_path):
    board = make_board()
    out, cache = tmp_path / "out", tmp_path / "cache"
    shots = tmp_path / "shots.json"
    board.save(shots)
    first = render_board(Storyboard.load(shots), out, cache_dir=cache, progress=False, exports=False, workers=1)
    assert first.rendered == ["S01", "S02", "S03", "S04"]

    # Edit a description in shots.json: that shot alone renders again, with the new words in its prompt.
    data = json.loads(shots.read_text())
    data["shots"][1]["description"] = "A blue kite dives towards the water"
    shots.write_text(json.dumps(data))
    second = render_board(Storyboard.load(shots), out, cache_dir=cache, progress=False, exports=False, workers=1)
    assert second.rendered == ["S02"] and second.reused == ["S01", "S03", "S04"]
    rec = record(out)
    s02 = rec["shots"][1]
    assert "blue kite dives" in s02["prompt"] and s02["prompt_source"] == {
        "made": "rules", "prompt": "remade", "negative_prompt": "kept"}
    assert rec["shots"][0]["prompt_source"]["prompt"] == "kept"

    # Edit a bible entry: exactly the shots naming it render again, with its new words.
    data["bible"][1]["description"] = "Leo (8, green wellies)"
    shots.write_text(json.dumps(data))
    third = render_board(Storyboard.load(shots), out, cache_dir=cache, progress=False, exports=False, workers=1)
    assert third.rendered == ["S03", "S04"] and third.reused == ["S01", "S02"]
    used = prompts(out)
    assert all("Leo (8, green wellies)" in used[s] for s in ("S03", "S04"))
    assert "Mia (30, yellow rain jacket)" in used["S03"] and "Leo" not in used["S01"]

    # A prompt written by hand is kept: editing the bible leaves it (and its shot's clip) alone.
    data["shots"][3]["prompt"] = "A boy laughing, my own words"
    shots.write_text(json.dumps(data))
    render_board(Storyboard.load(shots), out, cache_dir=cache, progress=False, exports=False, workers=1)
    data["bible"][1]["description"] = "Leo (9, red cap)"
    shots.write_text(json.dumps(data))
    fifth = render_board(Storyboard.load(shots), out, cache_dir=cache, progress=False, exports=False, workers=1)
    assert fifth.rendered == ["S03"]
    assert prompts(out)["S04"] == "A boy laughing, my own words"
    assert record(out)["shots"][3]["prompt_source"]["made"] == "manual"


def test_tiny_wan_edits_rerender_exactly_the_shots_whose_prompt_changed(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    import torch

    from briefreel.render.wan_tiny import make_tiny_wan

    model = make_tiny_wan(tmp_path / "tiny", "t2v")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        board = make_board(duration=0.25)
        out, cache = tmp_path / "out", tmp_path / "cache"
        opts = {"model": str(model), "seed": 3}

        def go(b):
            return render_board(b, out, renderer="wan", renderer_options=opts, cache_dir=cache, progress=False,
                                exports=False)

        assert go(board).rendered == ["S01", "S02", "S03", "S04"]
        edited = board.model_copy(deep=True)
        edited.shots[1].description = "A blue kite dives towards the water"
        again = go(edited)
        assert again.rendered == ["S02"] and again.reused == ["S01", "S03", "S04"]
        s02 = record(out)["shots"][1]
        assert "blue kite dives" in s02["prompt"]
        assert s02["info"]["prompt"] == s02["prompt"]  # what Wan was given is what render.json says
        edited.bible[0].description = "Mia (30, green raincoat)"
        third = go(edited)
        assert third.rendered == ["S01", "S03"] and third.reused == ["S02", "S04"]
        assert "Mia (30, green raincoat)" in record(out)["shots"][2]["info"]["prompt"]
    finally:
        torch.set_num_threads(threads)
