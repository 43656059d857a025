"""Batch variants (issue 18.3): a 2 x 2 matrix renders the distinct shots once each (n + 2 renders for two
placeholders touching one shot each), four animatics, an index and a side-by-side page checked in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from briefreel.errors import UsageError
from briefreel.render.ffmpeg import probe
from briefreel.storyboard.schema import Storyboard
from briefreel.variants import fill, matrix, parse_set, placeholders, read_variants_section, render_variants


def board() -> Storyboard:
    return Storyboard.model_validate({
        "title": "Tea {{city}}", "language": "en",
        "shots": [
            {"id": "S01", "scene": 1, "size": "LS", "duration_s": 1.0, "description": "A tea house opens its shutters"},
            {"id": "S02", "scene": 2, "size": "MS", "duration_s": 1.0,
             "description": "A courier rides through {{city}} with a paper cup"},
            {"id": "S03", "scene": 3, "size": "CU", "duration_s": 1.0, "description": "Steam curls from the cup"},
            {"id": "S04", "scene": 4, "size": "MCU", "duration_s": 1.0, "description": "The end card",
             "on_screen_text": "{{offer}}"},
        ],
    })


SETS = {"city": ["Shanghai", "Chengdu"], "offer": ["Free shipping", "20% off"]}


def test_placeholders_matrix_and_fill():
    b = board()
    assert placeholders(b) == ["city", "offer"]
    assert parse_set(["city=Shanghai,Chengdu", "offer=Free shipping,20% off"]) == SETS
    assert parse_set([r"offer=Buy 1\, get 1,10% off"]) == {"offer": ["Buy 1, get 1", "10% off"]}
    with pytest.raises(UsageError):
        parse_set(["city"])
    assert matrix(SETS)[1] == {"city": "Shanghai", "offer": "20% off"} and len(matrix(SETS)) == 4
    filled = fill(b, {"city": "Chengdu", "offer": "20% off"})
    assert filled.title == "Tea Chengdu" and "Chengdu" in filled.shots[1].description
    assert filled.shots[3].on_screen_text == "20% off" and "{{" not in filled.to_json()


def test_a_brief_variants_section_is_read_into_the_matrix():
    en = "Length: 15s\n\nVariants:\n- City: Shanghai, Chengdu\n- Offer: Free shipping / 20% off\n\nStory\nA tram."
    assert read_variants_section(en) == SETS
    zh = "时长：15秒\n\n版本：\n城市：上海、成都\n优惠：包邮、八折\n\n故事\n电车驶过。"
    assert read_variants_section(zh) == {"城市": ["上海", "成都"], "优惠": ["包邮", "八折"]}
    assert read_variants_section("No matrix here.\nCity: Paris") == {}


def test_two_by_two_renders_each_distinct_shot_once(tmp_path):
    out, cache = tmp_path / "variants", tmp_path / "cache"
    report = render_variants(board(), SETS, out, cache_dir=cache, workers=1)
    n = len(board().shots)
    assert report.renders == n + 2
    index = json.loads((out / "variants.json").read_text())
    assert index["renders"] == n + 2 and index["touched_shots"] == ["S02", "S04"]
    assert [v["slug"] for v in index["variants"]] == [
        "Shanghai-Free-shipping", "Shanghai-20-off", "Chengdu-Free-shipping", "Chengdu-20-off"]
    assert [v["rendered"] for v in index["variants"]] == [["S01", "S02", "S03", "S04"], ["S04"], ["S02"], []]
    for v in index["variants"]:
        folder = out / v["slug"]
        for name in ("shots.json", "animatic.mp4", "render.json", "storyboard.html", "timeline.otio"):
            assert (folder / name).is_file(), (v["slug"], name)
        rec = json.loads((folder / "render.json").read_text())
        assert rec["rendered"] == v["rendered"] and probe(folder / "animatic.mp4").frames == 96
        shots = Storyboard.load(folder / "shots.json")
        assert v["values"]["city"] in shots.shots[1].description and shots.shots[3].on_screen_text == v["values"]["offer"]
    with pytest.raises(UsageError, match="no {{season}}"):
        render_variants(board(), {**SETS, "season": ["spring"]}, tmp_path / "x", cache_dir=cache)
    with pytest.raises(UsageError, match="give values"):
        render_variants(board(), {"city": ["Paris"]}, tmp_path / "x", cache_dir=cache)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium (.ci/system-deps.sh)")
def test_the_side_by_side_page_in_headless_chromium(tmp_path):
    from briefreel.cli import main

    shots = tmp_path / "shots.json"
    board().save(shots)
    out = tmp_path / "v"
    assert main(["variants", str(shots), "--set", "city=Shanghai,Chengdu", "--set", "offer=Free shipping,20% off",
                 "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "-q", "--no-audio"]) == 0
    res = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--mute-audio",
                          "--virtual-time-budget=8000", "--allow-file-access-from-files", "--dump-dom",
                          (out / "variants.html").as_uri()], capture_output=True, text=True, timeout=120)
    dom = res.stdout
    assert dom.count("<video") == 4, res.stderr[-500:]
    srcs = re.findall(r'<video src="([^"]+)"', dom)
    assert all((out / s).is_file() for s in srcs) and len(set(srcs)) == 4
    assert re.search(r'<body[^>]*data-variants="4"', dom)
    loaded = re.search(r'<body[^>]*data-loaded="(\d+)"', dom)
    assert loaded and int(loaded.group(1)) == 4, "Chromium did not load every animatic's metadata"
    assert main(["variants", str(shots), "--set", "town=Paris", "--out", str(tmp_path / "bad"), "-q"]) == 2


def test_a_planned_brief_carries_its_matrix_to_the_variants_command(tmp_path):
    from briefreel.cli import main
    from briefreel.parsers.brief import Brief
    from briefreel.storyboard import plan

    text = ("Title: Tea to go\nLength: 6s\n\nVariants:\n- City: Shanghai, Chengdu\n- Offer: Free shipping, 20% off\n\n"
            "Story\nA courier rides through {{city}} at dawn with a paper cup of tea. Close on the cup, steam "
            "curling. End card: {{offer}}.\n")
    board = plan(Brief.from_text(text))
    assert board.source["variants"] == SETS and placeholders(board) == ["city", "offer"]
    board.save(tmp_path / "shots.json")
    out = tmp_path / "v"
    # the brief's offer values, with --set replacing its cities
    assert main(["variants", str(tmp_path / "shots.json"), "--set", "city=Xi'an", "--out", str(out),
                 "--cache-dir", str(tmp_path / "cache"), "-q", "--no-audio"]) == 0
    index = json.loads((out / "variants.json").read_text())
    assert [v["values"] for v in index["variants"]] == [{"city": "Xi'an", "offer": "Free shipping"},
                                                       {"city": "Xi'an", "offer": "20% off"}]
    # the planner's prompts, filled in, still count as made (not hand-written): they follow later edits
    rec = json.loads((out / index["variants"][0]["slug"] / "render.json").read_text())
    first = rec["shots"][0]
    assert "Xi'an" in first["prompt"] and first["prompt_source"]["made"] == "rules"
    assert first["prompt_source"]["prompt"] == "kept"


def test_the_service_takes_a_variants_field_one_job_per_variant_grouped(tmp_path):
    from fastapi.testclient import TestClient

    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings

    auth = {"Authorization": "Bearer test-key-one"}
    settings = Settings(api_keys=("test-key-one",), data_dir=tmp_path / "data", workers=0)
    shots = {"shots": ("shots.json", board().to_json().encode(), "application/json")}
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/jobs", headers=auth, files=shots,
                   data={"variants": json.dumps({"city": ["Shanghai", "Chengdu"], "offer": ["Free shipping", "20% off"]})})
        assert r.status_code == 202, r.text
        body = r.json()
        assert len(body["jobs"]) == 4 and len({j["id"] for j in body["jobs"]}) == 4
        variants = [j["options"]["variant"] for j in body["jobs"]]
        assert {v["group"] for v in variants} == {body["group"]}
        assert variants[1]["values"] == {"city": "Shanghai", "offer": "20% off"} and variants[1]["slug"] == "Shanghai-20-off"
        stored = c.get(f"/v1/jobs/{body['jobs'][3]['id']}/files/shots.json", headers=auth).json()
        assert "Chengdu" in stored["shots"][1]["description"] and stored["shots"][3]["on_screen_text"] == "20% off"
        # the text form, and the refusals (422, no job)
        r = c.post("/v1/jobs", headers=auth, files=shots, data={"variants": "city=Xi'an; offer=Free shipping,20% off"})
        assert r.status_code == 202 and len(r.json()["jobs"]) == 2
        before = len(c.get("/v1/jobs", headers=auth).json()["jobs"])
        for bad in ("city=Paris", '{"season": ["spring"]}', "{not json"):
            r = c.post("/v1/jobs", headers=auth, files=shots, data={"variants": bad})
            assert r.status_code == 422, (bad, r.text)
        assert len(c.get("/v1/jobs", headers=auth).json()["jobs"]) == before
        # no variants field: one job, as before
        plain = {"shots": ("shots.json", fill(board(), {"city": "Paris", "offer": "x"}).to_json().encode(), "application/json")}
        assert "id" in c.post("/v1/jobs", headers=auth, files=plain).json()
