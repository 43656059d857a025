"""Rebuild the bundled example briefs (``make examples``).

    examples/brief_en.pdf   30 s 16:9 TV/online spot, storyboard table      AES-256 (R6), password reel-2026
    examples/brief_zh.pdf   15秒 9:16 竖屏短视频, 分镜表                      AES-256 (R6), password 分镜2026

The page content is deterministic (fixed dates and document IDs); AES salts make the encrypted bytes differ from
run to run. Usage: ``python examples/make_examples.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from examples.briefpdf import BriefPDF, encrypt  # noqa: E402

PASSWORDS = {"brief_en.pdf": "reel-2026", "brief_zh.pdf": "分镜2026"}

EN_SHOTS = [
    ["Shot", "Size", "Camera", "Description", "VO / Dialogue", "Duration"],
    ["1", "EWS", "Slow push in",
     "Pre-dawn city skyline in blue light. On the tenth floor of an old brick building, one kitchen window "
     "lights up.", "VO: Every city has a first light.", "4s"],
    ["2", "MS", "Static",
     "Maya (early 30s, grey knit sweater, hair tied up) fills a dented steel kettle in her small kitchen, still "
     "half asleep.", "", "4s"],
    ["3", "CU", "Tilt down",
     "Her hands pour First Light beans into a hand grinder; the sunrise label on the bag turns to camera.",
     "VO: Ours leaves the roaster at five a.m.", "4s"],
    ["4", "ECU", "Static",
     "Hot water blooms the grounds in a glass pour-over; steam catches the low window light.",
     "SFX: kettle click, a soft pour.", "4s"],
    ["5", "MCU", "Dolly in",
     "Maya takes the first sip by the window. Her shoulders drop. Behind her, the sun breaks over the "
     "rooftops.", "VO: Slow down. It's only the beginning.", "5s"],
    ["6", "WS", "Truck left",
     "Maya steps out of the building into the street, cup in hand, as the city wakes up around her: a tram, "
     "a cyclist, shop shutters rolling up.", "VO: Aurora. First Light Morning Blend.", "6s"],
    ["7", "INSERT", "Static",
     "End card: the Aurora logo on warm cream, the tagline \"Start with light.\" and aurora.coffee.",
     "VO: Start with light.", "3s"],
]

ZH_SHOTS = [
    ["镜号", "景别", "运镜", "画面内容", "台词", "时长"],
    ["1", "特写", "固定", "冰箱门打开，冷气涌出，一瓶山岚白桃气泡水立在最上层，瓶身挂满细密的水珠。",
     "旁白：夏天，是从打开冰箱开始的。", "2秒"],
    ["2", "近景", "推", "女孩（二十岁出头，白色T恤，齐肩短发）拧开瓶盖，气泡“嘶”地一声涌上瓶口。", "（音效：开瓶声）", "2秒"],
    ["3", "中景", "跟", "女孩骑着薄荷绿单车穿过林荫道，阳光从树叶间洒下来，气泡水放在车筐里。", "旁白：一口山岚，", "3秒"],
    ["4", "大特写", "固定", "白桃果肉与气泡在玻璃杯中翻滚，慢动作。", "", "2秒"],
    ["5", "全景", "右摇", "傍晚的河边草地，女孩和三个朋友野餐，举起气泡水碰杯，大家都笑了。", "旁白：夏天就来了。", "3秒"],
    ["6", "特写", "固定", "品牌定版：山岚Logo、白桃气泡水产品居中，口号“一口山岚，夏天就来了”。", "旁白：山岚白桃气泡水。", "3秒"],
]


def brief_en() -> bytes:
    doc = BriefPDF(
        "Aurora Coffee - First Light - 30s spot", author="Northbound Creative",
        subject="Creative brief and storyboard: First Light Morning Blend launch",
        keywords=["Aurora Coffee", "First Light", "30s", "16:9", "storyboard"],
        creator="Northbound Creative", created="2026-03-02T09:30:00+00:00",
    )
    doc.heading("Aurora Coffee: \"First Light\"")
    doc.paragraph("Creative brief and storyboard, 30-second TV and online spot", size=13)
    doc.fields({
        "Client": "Aurora Coffee Roasters",
        "Agency": "Northbound Creative",
        "Product": "First Light Morning Blend (340 g whole bean)",
        "Length": "30 seconds",
        "Aspect ratio": "16:9 (1920 x 1080)",
        "Deliverables": "30s master, 15s cutdown, 6s bumper",
        "Tone": "warm, quiet, hopeful; natural light, no voice-over hype",
        "Music": "solo piano that builds gently toward the end card",
    })
    doc.heading("Background", 2)
    doc.paragraph(
        "Aurora is a small-batch roaster from Portland that sells mostly through its own cafes. First Light is "
        "its first blend made for home brewing, roasted lighter for a sweet, bright morning cup. Supermarket "
        "coffee ads are loud and fast; we want the opposite: the calm first ten minutes of the day.")
    doc.heading("Objective", 2)
    doc.paragraph(
        "Launch First Light in 400 grocery stores this spring. Build awareness with urban professionals who "
        "already buy specialty coffee in cafes but brew supermarket beans at home.")
    doc.heading("Audience", 2)
    doc.paragraph(
        "Women and men aged 25-40 in large cities; they value small rituals, design and provenance, and they "
        "skip ads that shout.")
    doc.heading("Key message", 2)
    doc.paragraph("Your best cup can happen at home, before the city wakes up.")
    doc.heading("Mandatories", 2)
    doc.bullets([
        "End card of 3 seconds: Aurora logo, the tagline \"Start with light.\" and aurora.coffee.",
        "Show the First Light bag with its sunrise label at least once.",
        "No hot drink shown being carried by a child; no health claims.",
    ])
    doc.heading("Storyboard", 2)
    doc.table(EN_SHOTS, ruled=True, col_widths=[0.6, 0.95, 1.1, 3.5, 2.2, 0.9])
    doc.paragraph("Total running time: 30 seconds.")
    return doc.build()


def brief_zh() -> bytes:
    doc = BriefPDF(
        "山岚白桃气泡水 15秒竖屏短视频创意简报", author="青禾创意",
        subject="山岚白桃气泡水新品上市短视频分镜", keywords=["山岚", "白桃气泡水", "15秒", "9:16", "分镜"],
        creator="青禾创意", created="2026-05-18T10:00:00+08:00",
    )
    doc.heading("山岚白桃气泡水 · 新品上市短视频")
    doc.paragraph("创意简报与分镜表（15秒竖屏）", size=13)
    doc.fields({
        "客户": "山岚饮品",
        "代理": "青禾创意",
        "产品": "山岚白桃气泡水 330毫升罐装与玻璃瓶装",
        "时长": "15秒",
        "画幅": "9:16 竖屏（1080×1920）",
        "投放平台": "抖音、小红书信息流",
        "调性": "清新、轻快、有夏日阳光感",
        "音乐": "轻快的尤克里里，最后三秒收在开瓶的气泡声上",
    })
    doc.heading("项目背景", 2)
    doc.paragraph(
        "山岚是一家来自浙江的年轻饮料品牌，主打零糖果味气泡水。白桃口味是今年夏天的新品，"
        "希望在六月上市期间迅速建立认知，并带动线上旗舰店的首批销量。")
    doc.heading("传播目标", 2)
    doc.paragraph("让年轻消费者记住“白桃 + 气泡 + 夏天”的联想，信息流完播率高于行业均值。")
    doc.heading("目标受众", 2)
    doc.paragraph("十八到二十八岁的大学生与刚工作的年轻人，喜欢户外、骑行、野餐，对包装颜值敏感。")
    doc.heading("核心信息", 2)
    doc.paragraph("一口山岚，夏天就来了。")
    doc.heading("强制要求", 2)
    doc.bullets([
        "结尾3秒品牌定版：山岚Logo、产品与口号“一口山岚，夏天就来了”。",
        "产品必须清晰出镜至少两次；画面中不出现其他饮料品牌。",
    ])
    doc.heading("分镜表", 2)
    doc.table(ZH_SHOTS, ruled=True, col_widths=[0.6, 0.8, 0.7, 3.8, 2.4, 0.7])
    doc.paragraph("总时长：15秒。")
    return doc.build()


def write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE), help="output folder (default: examples/)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, build in (("brief_en.pdf", brief_en), ("brief_zh.pdf", brief_zh)):
        write(out / name, encrypt(build(), user=PASSWORDS[name], owner=f"owner-{PASSWORDS[name]}", R=6))
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
