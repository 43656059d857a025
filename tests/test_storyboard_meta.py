"""Brief metadata: title, language, target length, aspect ratio, style, tone, mandatories, end card, VO lines."""

from __future__ import annotations

import pytest

from briefreel.parsers.brief import Brief
from briefreel.storyboard.meta import detect_language, heading_key, read_meta, split_sections

EN = """Creative Brief: Morning Ride
Background
Bikes are back. The brand wants to own mornings.
Objective
Drive trial of the new e-bike.
Target audience: Commuters 25-40.
Length: 30s
Aspect ratio: 9:16
Style: Natural light, handheld documentary feel
Tone: warm, optimistic
Mandatories
- 3-second end card with logo and "Ride on."
- Show the bike's display once
Product: Volt e-bike, matte green frame
Voice-over
Every day starts somewhere.
Ride on.
Story
We open on the city at dawn.
"""

ZH = """项目名称：清晨骑行
背景：
电动车市场增长。
目标受众：城市通勤族
时长：15秒
画幅：竖屏
风格：清新自然
调性：温暖、积极
必须包含：
• 结尾落版3秒：品牌logo与口号“骑向远方”
旁白：
每一天，都从这里开始。
创意脚本：
清晨的城市。
"""


def test_english_brief():
    m = read_meta(Brief.from_text(EN))
    assert m.title == "Morning Ride"
    assert m.language == "en"
    assert m.target_duration_s == 30
    assert m.aspect_ratio == "9:16" and m.aspect_explicit
    assert m.style.startswith("Natural light")
    assert m.tone == "warm, optimistic"
    assert m.mandatories == ['3-second end card with logo and "Ride on."', "Show the bike's display once"]
    assert m.end_card_s == 3 and m.end_card_text == "Ride on."
    assert [ln.text for ln in m.vo_lines] == ["Every day starts somewhere.", "Ride on."]
    assert all(ln.kind == "vo" for ln in m.vo_lines)
    assert m.products[0][0] == "Volt e-bike"


def test_chinese_brief():
    m = read_meta(Brief.from_text(ZH))
    assert m.title == "清晨骑行"
    assert m.language == "zh"
    assert m.target_duration_s == 15
    assert m.aspect_ratio == "9:16"
    assert m.style == "清新自然" and m.tone == "温暖、积极"
    assert m.end_card_s == 3 and m.end_card_text == "骑向远方"
    assert [ln.text for ln in m.vo_lines] == ["每一天，都从这里开始。"]


@pytest.mark.parametrize("line,seconds", [
    ("Length: 30s", 30), ("A :30 spot for TV.", 30), ("Spot length 0:30", 30), ("We need a 15秒 vertical video", 15),
    ("TVC 30秒版本", 30), ("时长：十五秒", 15), ("片长：1分钟", 60), ("Deliverable: one 20-second film", 20),
    ("福满楼春节广告，45秒。", 45), ("30秒 9:16竖屏 广告", 30), ("Duration: 0:45", 45),
])
def test_target_length_forms(line, seconds):
    assert read_meta(Brief.from_text("Title: X\n" + line)).target_duration_s == seconds


@pytest.mark.parametrize("line", ["9:16 竖屏", "The shot lasts 3s.", "Budget: 30,000", "Aspect ratio: 16:9"])
def test_no_target_from_ratios_or_shot_durations(line):
    assert read_meta(Brief.from_text("Title: X\n" + line)).target_duration_s is None


@pytest.mark.parametrize("line,aspect", [
    ("Aspect ratio: 9:16", "9:16"), ("Format: 竖屏", "9:16"), ("Aspect ratio: 1:1", "1:1"),
    ("Square video for the feed", "1:1"), ("Vertical for TikTok", "9:16"), ("画幅：横屏", "16:9"),
    ("Deliverable: 15 sec vertical (9:16)", "9:16"), ("4:5 feed post", "1:1"), ("For 抖音", "9:16"),
    ("Nothing about the frame", "16:9"), ("Master 16:9, cutdowns 9:16", "16:9"),
])
def test_aspect_forms(line, aspect):
    assert read_meta(Brief.from_text("Title: X\n" + line)).aspect_ratio == aspect


def test_sections_separate_context_from_story():
    keys = [s.key for s in split_sections(Brief.from_text(EN))]
    assert keys[:3] == ["title", "context", "context"]
    assert "story" in keys and "vo" in keys and "mandatories" in keys


@pytest.mark.parametrize("line,key", [
    ("Background", "context"), ("Target audience:", "context"), ("一、项目背景", "context"), ("【背景】", "context"),
    ("## The Story", "story"), ("Story: A courier races", "story"), ("创意脚本：", "story"), ("VO script", "vo"),
    ("Mandatories", "mandatories"), ("必须包含：", "mandatories"), ("Length: 30s", "length"), ("画幅：竖屏", "aspect"),
])
def test_heading_keys(line, key):
    assert heading_key(line)[0] == key


@pytest.mark.parametrize("line", ["Problem solved.", "Then she smiles.", "我们看到一个女孩。", "场景一：咖啡馆"])
def test_sentences_are_not_headings(line):
    assert heading_key(line) is None


def test_language_detection():
    assert detect_language("清晨的城市，一个女孩骑车穿过街道。Logo") == "zh"
    assert detect_language("A girl rides through the city. 你好") == "en"


def test_title_falls_back_to_pdf_metadata_and_first_line():
    b = Brief.from_text("Nothing labelled here\nStory\nA cup.")
    assert read_meta(b).title == "Nothing labelled here"
    b.metadata = {"title": "From the PDF"}
    assert read_meta(b).title == "From the PDF"
    assert read_meta(Brief.from_text("《回家吃饭》\n福满楼春节广告，45秒。")).title == "回家吃饭"


def test_cast_product_and_place_lines_stay_on_their_line():
    text = """产品：绯色丝绒口红 #07 雨夜红
时长：15秒
平台：抖音、小红书开屏
人物：巴特尔（四十岁，牧民）；小雨（八岁，城市女孩）
创意：
清晨的草原。
"""
    m = read_meta(Brief.from_text(text))
    assert m.products == [("绯色丝绒口红 #07 雨夜红", "绯色丝绒口红 #07 雨夜红")]
    assert [n for n, _ in m.characters] == ["巴特尔", "小雨"]
    assert m.characters[1][1] == "小雨（八岁，城市女孩）"


# -- found on briefs nobody on the project had seen (blind fixtures) -------------------------------------------------

def test_a_title_wrapped_onto_a_heading_word_is_not_a_section():
    text = ("NORTHWIND — “Go Anyway” — Director’s\nTreatment\n\nClient: Northwind\n\nA note before we begin\n\n"
            "I want it to feel real.\n\nThe film\n\nWe fade up on the cliffs. Then she climbs.")
    keys = [(s.key, s.title) for s in split_sections(Brief.from_text(text))]
    assert ("story", "Treatment") not in keys
    assert ("story", "The film") in keys
    assert ("context", "A note before we begin") in keys


def test_a_sentence_wrapped_before_a_label_word_is_not_a_heading():
    text = "The idea\n\nBiscuit sleeps by the Aga, belly full. End\nframe: pack and logo."
    sections = split_sections(Brief.from_text(text))
    assert [s.key for s in sections] == ["story"]
    assert "End\nframe: pack and logo." in sections[0].text


@pytest.mark.parametrize("line", ["End frame: pack and logo.", "End card: logo", "Packshot: the bottle on black"])
def test_shot_labels_inside_a_story_are_not_headings(line):
    assert heading_key(line) is None


@pytest.mark.parametrize("text,seconds", [
    ("Bramble Broadband, 60-second TV and online.", 60), ("A 20 second bumper for YouTube.", 20),
    ("萤火蜡烛 6秒前贴片", 6), ("Deliverables: 1 x :20 hero film (16:9); 2 x :06 cutdowns to follow", 20),
])
def test_target_length_from_channel_words_and_deliverables(text, seconds):
    assert read_meta(Brief.from_text(text)).target_duration_s == seconds
