"""OCR speed, peak memory and accuracy, beside the text-layer path measured in the same run.

    python bench/ocr.py                 # intake: text PDF vs its scan (seconds per page, peak RSS, ratios)
    python bench/ocr.py --compare       # also RapidOCR vs Tesseract on the same scans (CER, s/page, install size)

The pages are the bundled briefs (``examples/brief_en.pdf``, ``brief_zh.pdf``: 2 pages each) and their scans made
here (``tests/support/scans.py``: every page rendered at 150 dpi, tilted ±1°, paper tone, noise, JPEG, an
image-only PDF encrypted with AES-256 like the original). Each intake runs in a fresh process (``open_brief(...,
sandbox=False)``, so the figure is the parse itself, not the sandbox's start-up); its wall time is divided by the
pages, and its peak RSS is ``wait4``'s ``ru_maxrss``. The ratio is OCR / text layer.

Accuracy (``--compare``): character error rate = Levenshtein distance / reference length, the reference being the
text PDF's page text (reading order), whitespace collapsed (Chinese: removed). RapidOCR is briefreel's own OCR path
(``parsers/ocr.py``: deskew, spaces restored); Tesseract 5 (Debian's ``tesseract-ocr`` with ``eng`` / ``chi_sim``)
reads the same deskewed page through ``pytesseract`` (``--psm 3``, ``chi_sim+eng`` for Chinese). Install size:
the wheels' folders in site-packages; Debian's ``Installed-Size`` of the packages. Speeds on a shared 2-core VM vary
by ±30 % from run to run; compare figures from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRIEFS = {"en": ("brief_en.pdf", "reel-2026"), "zh": ("brief_zh.pdf", "分镜2026")}

CHILD = r"""
import sys, time, json
sys.path.insert(0, {root!r})
from briefreel.parsers import open_brief
data = open({path!r}, "rb").read()
t = time.perf_counter()
brief = open_brief(data, {password!r}, sandbox=False)
print(json.dumps({{"seconds": time.perf_counter() - t, "pages": brief.page_count,
                  "ocr": [p.number for p in brief.pages if p.ocr is not None]}}))
"""


def measure(path: Path, password: str) -> dict:
    """Parse ``path`` in a fresh process: seconds (parse only), pages, peak RSS (MiB) of that process."""
    code = CHILD.format(root=str(ROOT), path=str(path), password=password)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"parse failed: {err.decode()[-800:]}")
    row = json.loads(out.decode().strip().splitlines()[-1])
    row["peak_mib"] = usage.ru_maxrss / 1024
    return row


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(text: str, lang: str) -> str:
    return re.sub(r"\s+", "" if lang == "zh" else " ", text).strip()


def cer(ref: str, hyp: str, lang: str) -> float:
    r, h = norm(ref, lang), norm(hyp, lang)
    return levenshtein(r, h) / max(1, len(r))


def site_size(*names: str) -> float:
    import site

    total = 0
    for base in site.getsitepackages():
        for name in names:
            for p in Path(base).glob(name):
                for f in (p.rglob("*") if p.is_dir() else [p]):
                    if f.is_file():
                        total += f.stat().st_size
    return total / 2**20


def deb_size(*packages: str) -> float | None:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}\n", *packages], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    sizes = [int(x) for x in out.split() if x.isdigit()]
    return sum(sizes) / 1024 if sizes else None


def compare(scans: dict[str, bytes], texts: dict) -> list[dict]:
    """RapidOCR (briefreel's path) and Tesseract on the same deskewed pages: CER and seconds per page."""
    import numpy as np  # noqa: F401

    from briefreel.parsers.ocr import deskew, ocr_image
    from tests.support.scans import render_pages

    rows = []
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
    except Exception:  # noqa: BLE001
        pytesseract = None
    for lang, scan in scans.items():
        name, password = BRIEFS[lang]
        pages = render_pages(scan, password)
        ref = texts[lang]
        for engine in ("rapidocr", "tesseract"):
            if engine == "tesseract" and pytesseract is None:
                continue
            errs, seconds = [], 0.0
            for i, img in enumerate(pages):
                t = time.perf_counter()
                if engine == "rapidocr":
                    text = ocr_image(img, i + 1, 595.28, 841.89).page.text
                else:
                    level, _ = deskew(img)
                    text = pytesseract.image_to_string(level, lang="eng" if lang == "en" else "chi_sim+eng",
                                                       config="--psm 3")
                seconds += time.perf_counter() - t
                errs.append(cer(ref[i], text, lang))
            rows.append({"lang": lang, "engine": engine, "cer": sum(errs) / len(errs),
                         "s_per_page": seconds / len(pages)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", action="store_true", help="also RapidOCR vs Tesseract (accuracy, speed, size)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)

    from briefreel.parsers import open_brief
    from tests.support.scans import scanned_copy

    results: dict = {"intake": [], "compare": []}
    scans: dict[str, bytes] = {}
    texts: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lang, (name, password) in BRIEFS.items():
            data = (ROOT / "examples" / name).read_bytes()
            scans[lang] = scanned_copy(data, password, encrypt_with=password)
            texts[lang] = [p.text for p in open_brief(data, password, sandbox=False).pages]
            scan_path = Path(tmp) / f"scan_{name}"
            scan_path.write_bytes(scans[lang])
            text = measure(ROOT / "examples" / name, password)
            ocr = measure(scan_path, password)
            assert ocr["ocr"] == list(range(1, ocr["pages"] + 1)), ocr
            row = {"lang": lang, "pages": text["pages"],
                   "text_s_per_page": text["seconds"] / text["pages"], "ocr_s_per_page": ocr["seconds"] / ocr["pages"],
                   "text_peak_mib": text["peak_mib"], "ocr_peak_mib": ocr["peak_mib"]}
            row["speed_ratio"] = row["ocr_s_per_page"] / row["text_s_per_page"]
            row["memory_ratio"] = row["ocr_peak_mib"] / row["text_peak_mib"]
            results["intake"].append(row)
    print("intake, per page (fresh process; peak RSS of that process)")
    print("| brief | text layer s/page | OCR s/page | ratio | text layer peak MiB | OCR peak MiB | ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in results["intake"]:
        print(f"| {r['lang']} ({r['pages']} p) | {r['text_s_per_page']:.3f} | {r['ocr_s_per_page']:.2f} | "
              f"{r['speed_ratio']:.0f}x | {r['text_peak_mib']:.0f} | {r['ocr_peak_mib']:.0f} | "
              f"{r['memory_ratio']:.1f}x |")
    if args.compare:
        results["compare"] = compare(scans, texts)
        sizes = {"rapidocr": site_size("rapidocr_onnxruntime", "onnxruntime", "pyclipper*", "shapely",
                                       "Shapely*"),
                 "rapidocr_opencv_python": site_size("opencv_python.libs", "cv2"),
                 "tesseract": deb_size("tesseract-ocr", "libtesseract5", "tesseract-ocr-eng", "tesseract-ocr-chi-sim",
                                       "tesseract-ocr-osd", "liblept5")}
        results["install_mib"] = sizes
        print("\nengines on the same scans (CER vs the text PDF; s/page on the deskewed page)")
        print("| engine | EN CER | ZH CER | EN s/page | ZH s/page | install |")
        print("|---|---|---|---|---|---|")
        for engine in ("rapidocr", "tesseract"):
            by = {r["lang"]: r for r in results["compare"] if r["engine"] == engine}
            if not by:
                continue
            size = sizes.get(engine)
            extra = (f" (+{sizes['rapidocr_opencv_python']:.0f} MiB: opencv-python beside -headless)"
                     if engine == "rapidocr" else "")
            print(f"| {engine} | {by['en']['cer'] * 100:.1f} % | {by['zh']['cer'] * 100:.1f} % | "
                  f"{by['en']['s_per_page']:.1f} | {by['zh']['s_per_page']:.1f} | "
                  f"{'?' if size is None else f'{size:.0f} MiB'}{extra} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
