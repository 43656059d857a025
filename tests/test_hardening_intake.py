"""Issue 13, intake: every decoded stream is capped whatever its type says (peak memory measured on the real
parse), and parse children are bounded machine-wide (observed in /proc)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pikepdf
import pytest

from examples.briefpdf import BriefPDF
from briefreel.parsers import LimitExceeded, Limits, open_brief

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20


def _pdf_with_content(data: bytes, filters: list[str], **keys) -> bytes:
    """One page whose content stream is ``data`` (already encoded by ``filters``), with extra dictionary keys."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, data)
    stream.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
    for key, value in keys.items():
        stream[f"/{key}"] = pikepdf.Name(f"/{value}")
    pdf.pages[0].Contents = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _deflated_spaces(mib: int) -> bytes:
    comp = zlib.compressobj(9)
    chunk = b" " * MiB
    return b"".join(comp.compress(chunk) for _ in range(mib)) + comp.flush()


@pytest.fixture(scope="module")
def image_typed_bomb() -> bytes:
    """~250 kB whose page content stream says /Type /XObject /Subtype /Image and inflates to 256 MiB of spaces."""
    return _pdf_with_content(_deflated_spaces(256), ["/FlateDecode"], Type="XObject", Subtype="Image")


# The CLI runs under a small wrapper that reports RUSAGE_CHILDREN: a child forked straight from this (large,
# long-lived) pytest process would start with pytest's RSS already counted in its ru_maxrss, so the figure would
# depend on which tests ran before.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).returncode\n"
    "sys.stderr.write('\\nPEAK_RSS_KB=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(rc)\n"
)


def _run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> tuple[int, int, str]:
    """Run ``briefreel ARGS``; returns (exit code, peak RSS in bytes of it and its children, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, sys.executable, "-m", "briefreel.cli", *args],
                          cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    err, _, peak = proc.stderr.rpartition("\nPEAK_RSS_KB=")
    return proc.returncode, int(peak.strip()) * 1024, err


def test_image_typed_content_stream_is_capped_and_memory_stays_bounded(image_typed_bomb, tmp_path):
    """Before: the check skipped /Subtype /Image streams, PDFium and pdfminer inflated the page content in full (a
    1 GiB version peaked at 2.1 GB and ended as 'no text layer'). After: refused at the cap, peak RSS ~160 MB."""
    path = tmp_path / "bomb.pdf"
    path.write_bytes(image_typed_bomb)
    rc, peak, err = _run_cli("parse", str(path))
    assert rc == 14, err
    assert "decompressed size" in err and "BRIEFREEL_MAX_STREAM_MB" in err  # the setting a user can change
    assert peak < 200 * MiB, f"peak RSS {peak / MiB:.0f} MiB"  # the inflated stream alone would be 256 MiB


@pytest.mark.parametrize("filters,encode", [
    (["/FlateDecode", "/DCTDecode"], lambda b: zlib.compress(b, 9)),  # qpdf calls the chain unfilterable
    (["/FlateDecode", "/NoSuchFilter"], lambda b: zlib.compress(b, 9)),
    (["/ASCIIHexDecode", "/FlateDecode"], lambda b: zlib.compress(b, 9).hex().encode()),
], ids=["flate+dct", "flate+unknown", "hex+flate"])
def test_chains_the_extractors_half_decode_are_capped(filters, encode):
    data = _pdf_with_content(encode(b" " * (8 * MiB)), filters, Subtype="Image")
    with pytest.raises(LimitExceeded, match="decompressed size"):
        open_brief(data, sandbox=False, limits=Limits(max_stream_bytes=2 * MiB))


def _lzw_bomb(codes: int) -> bytes:
    """An LZW stream whose every code names the entry being made (zeros, one longer each time), then the longest
    code over and over: a few kB that decode to many MB."""
    bits, table, width = [(256, 9), (0, 9)], 258, 9
    for _ in range(codes):
        code = min(table, 4095)
        bits.append((code, width))
        table += 1
        width = 10 if table == 511 else 11 if table == 1023 else 12 if table == 2047 else width
    acc = n = 0
    out = bytearray()
    for code, w in bits:
        acc, n = (acc << w) | code, n + w
        while n >= 8:
            n -= 8
            out.append((acc >> n) & 0xFF)
            acc &= (1 << n) - 1
    if n:
        out.append((acc << (8 - n)) & 0xFF)
    return bytes(out)


def test_lzw_bomb_is_capped():
    bomb = _lzw_bomb(8000)  # 12 kB -> ~24 MiB
    from pdfminer.lzw import lzwdecode

    assert len(lzwdecode(bomb)) > 16 * MiB  # what pdfminer would inflate, uncapped
    data = _pdf_with_content(bomb, ["/LZWDecode"])
    with pytest.raises(LimitExceeded, match="decompressed size"):
        open_brief(data, sandbox=False, limits=Limits(max_stream_bytes=4 * MiB))


def test_flate_images_count_towards_the_total():
    """An image is decoded and counted too: three 3 MiB Flate images against a 8 MiB total."""
    pdf = pikepdf.open(io.BytesIO(BriefPDF().paragraph("A lighthouse at dawn.").build()))
    for i in range(3):
        image = pikepdf.Stream(pdf, zlib.compress(bytes(3 * MiB)))
        image.Filter = pikepdf.Name.FlateDecode
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 1024, 1024, 8
        image.ColorSpace = pikepdf.Name.DeviceRGB
        resources = pdf.pages[0].obj.Resources
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        resources.XObject[f"/Im{i}"] = pdf.make_indirect(image)
    out = io.BytesIO()
    pdf.save(out)
    with pytest.raises(LimitExceeded, match="Limits.max_decompressed_bytes"):
        open_brief(out.getvalue(), sandbox=False, limits=Limits(max_decompressed_bytes=8 * MiB))
    brief = open_brief(out.getvalue(), sandbox=False)  # under the default caps it opens as before
    assert "lighthouse" in brief.text


# -- the machine-wide bound on parse children ---------------------------------------------------------------------

def _sandbox_children(parents: set[int]) -> set[int]:
    """Live parse children (``python -m briefreel.parsers.sandbox``) whose parent is one of ``parents``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if fields[0] != b"Z" and int(fields[1]) in parents and b"briefreel.parsers.sandbox" in cmdline:
            found.add(int(entry))
    return found


@pytest.fixture(scope="module")
def long_brief(tmp_path_factory) -> Path:
    """A 40-page brief: its parse takes long enough for parses to overlap."""
    pdf = BriefPDF("Slots")
    for i in range(40):
        pdf.heading(f"Page {i + 1}").paragraph("A lighthouse keeper climbs the stairs at dawn. " * 40).page_break()
    path = tmp_path_factory.mktemp("slots") / "long.pdf"
    path.write_bytes(pdf.build())
    return path


def _cli(args: list[str], env: dict) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFREEL_")}
    full_env.update(env)
    return subprocess.Popen([sys.executable, "-m", "briefreel.cli", *args], cwd=ROOT, env=full_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_n_plus_one_parses_run_at_most_n_children_at_once(long_brief, tmp_path):
    n = 2
    env = {"BRIEFREEL_RUNTIME_DIR": str(tmp_path / "run"), "BRIEFREEL_PARSE_SLOTS": str(n),
           "BRIEFREEL_PARSE_WAIT": "120"}
    procs = [_cli(["parse", str(long_brief)], env) for _ in range(n + 1)]
    parents = {p.pid for p in procs}
    seen: set[int] = set()
    most = 0
    while any(p.poll() is None for p in procs):
        alive = _sandbox_children(parents)
        seen |= alive
        most = max(most, len(alive))
        time.sleep(0.01)
    for p in procs:
        assert p.returncode == 0, p.stderr.read().decode()
    print("most parse children at once:", most)
    assert 1 <= most <= n, most
    assert len(seen) == n + 1  # every parse got its child in the end: the extra one waited, then ran


def test_a_parse_waits_for_a_slot_then_runs(simple_pdf, tmp_path):
    from briefreel.parsers.slots import parse_slot

    run_dir = tmp_path / "run"
    path = tmp_path / "simple.pdf"
    path.write_bytes(simple_pdf)
    env = {"BRIEFREEL_RUNTIME_DIR": str(run_dir), "BRIEFREEL_PARSE_SLOTS": "1", "BRIEFREEL_PARSE_WAIT": "60"}
    os.environ["BRIEFREEL_RUNTIME_DIR"] = str(run_dir)
    try:
        with parse_slot(slots=1, wait_s=0):  # this test process holds the machine's only slot
            proc = _cli(["parse", str(path)], env)
            time.sleep(2.5)
            assert proc.poll() is None and not _sandbox_children({proc.pid})  # waiting, no child started
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    finally:
        del os.environ["BRIEFREEL_RUNTIME_DIR"]


def test_no_slot_within_the_wait_is_a_typed_busy_error(simple_pdf, tmp_path, monkeypatch):
    from briefreel.errors import BriefreelError, error_payload
    from briefreel.parsers import ParseBusy
    from briefreel.parsers.slots import parse_slot

    monkeypatch.setenv("BRIEFREEL_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("BRIEFREEL_PARSE_SLOTS", "1")
    monkeypatch.setenv("BRIEFREEL_PARSE_WAIT", "0")
    path = tmp_path / "simple.pdf"
    path.write_bytes(simple_pdf)
    with parse_slot(limits=Limits(max_seconds=40)):
        with pytest.raises(ParseBusy) as exc:
            open_brief(simple_pdf)
        proc = _cli(["parse", str(path)], {k: os.environ[k] for k in
                                           ("BRIEFREEL_RUNTIME_DIR", "BRIEFREEL_PARSE_SLOTS", "BRIEFREEL_PARSE_WAIT")})
        assert proc.wait(timeout=60) == 16
        assert "busy" in proc.stderr.read().decode()
    err = exc.value
    assert isinstance(err, BriefreelError) and 1 <= err.retry_after_s <= 180
    assert error_payload(err) == {"code": "busy", "message": err.message, "exit_code": 16, "status": 503}
    assert open_brief(simple_pdf).text  # the slot is free again
