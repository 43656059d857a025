"""Intake speed: decrypt + parse pages/s of ``open_brief`` beside pdfplumber alone, measured in the same run.

    python bench/parse.py [--pages 122] [--repeat 3]

Two generated documents: a feature-length screenplay (Courier, standard indents, no tables) and a brief that mixes
prose with storyboard tables (ruled and unruled, wrapped cells, Chinese and English). ``open_brief`` reads the
AES-256 (R6) encrypted copy with its password, in the sandboxed child process (startup included) and in-process;
the baseline is pdfplumber on the *unencrypted* copy: ``extract_text()`` on every page, and ``extract_text()`` plus
``extract_tables()`` on every page. Best of ``--repeat`` runs; the ratio is ours / baseline in pages per second
(above 1: faster than pdfplumber alone).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples.briefpdf import LETTER, BriefPDF, encrypt  # noqa: E402

PASSWORD = "bench-密码-2026"


def screenplay(pages: int) -> bytes:
    rnd = random.Random(7)
    words = ("the rain keeps falling on the old harbour while she counts the boats one by one and nobody "
             "answers the phone at the end of the pier").split()

    def sentence(n):
        return " ".join(rnd.choice(words) for _ in range(n)).capitalize() + "."

    doc = BriefPDF("Harbour Lights", pagesize=LETTER, margins=(72, 72, 72, 72), page_numbers=True)
    els = []
    for scene in range(pages * 2):
        els.append(("scene", f"{rnd.choice(['INT.', 'EXT.'])} {rnd.choice(['HARBOUR', 'KITCHEN', 'PIER', 'CAR'])} "
                             f"- {rnd.choice(['DAY', 'NIGHT', 'DAWN'])}"))
        for _ in range(2):
            els.append(("action", " ".join(sentence(rnd.randint(6, 14)) for _ in range(rnd.randint(1, 3)))))
            els.append(("character", rnd.choice(["MAYA", "JONAS", "THE CAPTAIN"])))
            if rnd.random() < 0.3:
                els.append(("parenthetical", "(beat)"))
            els.append(("dialogue", sentence(rnd.randint(4, 20))))
        if rnd.random() < 0.3:
            els.append(("transition", "CUT TO:"))
    doc.screenplay(els)
    return _trim(doc.build(), pages)


def mixed_brief(pages: int) -> bytes:
    rnd = random.Random(11)
    doc = BriefPDF("Campaign book", author="bench")
    en = [["Shot", "Size", "Movement", "Description", "Dialogue", "Duration"]]
    zh = [["镜号", "景别", "运镜", "画面内容", "台词", "时长"]]
    for i in range(1, 9):
        en.append([str(i), rnd.choice(["WS", "MS", "CU"]), rnd.choice(["Static", "Push in", "Pan left"]),
                   "The rider crosses the bridge at dawn while the city lights go out one by one behind her.",
                   "VO: Every city has a first light.", f"{rnd.randint(2, 5)}s"])
        zh.append([str(i), rnd.choice(["全景", "中景", "特写"]), rnd.choice(["固定", "推", "右摇"]),
                   "清晨的山谷，雾气缓缓散开，一瓶矿泉水立在石头上，阳光照在瓶身上。", "旁白：每一滴，都来自山里。", f"{rnd.randint(2, 5)}秒"])
    for n in range(pages):
        doc.heading(f"Spot {n + 1}", 2)
        doc.paragraph("Background. " + "The brand wants a calm, warm film about the first minutes of the day. " * 12)
        if n % 4 == 1:
            doc.table(en, ruled=True)
        elif n % 4 == 3:
            doc.table(zh, ruled=False)
        else:
            doc.paragraph("Story. " + "We open wide on the harbour; then a close-up of her hands on the rope. " * 14)
        doc.page_break()
    return _trim(doc.build(), pages)


def _trim(pdf: bytes, pages: int) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        del doc.pages[pages:]
        out = io.BytesIO()
        doc.save(out, static_id=True)
    return out.getvalue()


def pdfplumber_alone(data: bytes, tables: bool) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            if tables:
                page.extract_tables()
            page.close()
        return len(pdf.pages)


def ours(data: bytes, sandbox: bool) -> int:
    from briefreel.parsers import open_brief

    return open_brief(data, PASSWORD, sandbox=sandbox).page_count


def best(fn, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (this process + its reaped children) over ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), os.times()
        fn()
        c1 = os.times()
        walls.append(time.perf_counter() - t0)
        cpus.append((c1.user - c0.user) + (c1.system - c0.system)
                    + (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system))
    return min(walls), min(cpus)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=122)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"# intake speed, {args.pages} pages per document, best of {args.repeat}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times suffer under load; CPU times less)")
    print(f"{'document':<12} {'run':<48} {'wall s':>7} {'pages/s':>8} {'ratio':>6} {'cpu s':>7} {'ratio':>6}")
    for name, build in (("screenplay", screenplay), ("mixed brief", mixed_brief)):
        plain = build(args.pages)
        locked = encrypt(plain, user=PASSWORD, owner="bench-owner", R=6)
        n = args.pages
        base = best(lambda: pdfplumber_alone(plain, tables=False), args.repeat)
        rows = [
            ("pdfplumber alone: extract_text (baseline)", base),
            ("pdfplumber alone: extract_text + extract_tables", best(lambda: pdfplumber_alone(plain, True), args.repeat)),
            ("open_brief R6, sandboxed child (default)", best(lambda: ours(locked, sandbox=True), args.repeat)),
            ("open_brief R6, in-process", best(lambda: ours(locked, sandbox=False), args.repeat)),
        ]
        for label, (wall, cpu) in rows:
            print(f"{name:<12} {label:<48} {wall:7.2f} {n / wall:8.1f} {base[0] / wall:5.2f}x {cpu:7.2f} "
                  f"{base[1] / cpu:5.2f}x")
        wall, cpu = rows[2][1]
        print(f"{name:<12} open_brief (sandboxed: decrypt + text + lines + tables) vs pdfplumber extract_text alone: "
              f"{base[0] / wall:.2f}x pages/s (wall), {base[1] / cpu:.2f}x (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
