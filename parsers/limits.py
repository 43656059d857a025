"""Safety limits for parsing untrusted PDFs. Every limit raises :class:`parsers.errors.LimitExceeded` naming itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Override any field: ``open_brief(path, limits=Limits(max_pages=50))``.

    max_file_bytes: size of the PDF file itself.
    max_pages: pages in the document.
    max_stream_bytes: one stream, decompressed (qpdf's Flate/RunLength/PNG/TIFF/DCT decoder memory cap).
    max_decompressed_bytes: all content, form, font and metadata streams together, decompressed.
    max_seconds: wall clock for the whole parse (the sandboxed child is killed after it; CPU is capped too).
    max_memory_bytes: address space of the sandboxed parsing process.
    """

    max_file_bytes: int = 200 * MiB
    max_pages: int = 2000
    max_stream_bytes: int = 64 * MiB
    max_decompressed_bytes: int = 512 * MiB
    max_seconds: float = 180.0
    max_memory_bytes: int = 3072 * MiB

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Limits":
        """Defaults, overridden by BRIEFREEL_MAX_FILE_MB, BRIEFREEL_MAX_PAGES, BRIEFREEL_MAX_STREAM_MB,
        BRIEFREEL_MAX_DECOMPRESSED_MB, BRIEFREEL_PARSE_TIMEOUT (seconds) and BRIEFREEL_PARSE_MEMORY_MB."""
        import os

        env = os.environ if environ is None else environ
        values = {}
        for var, name, scale in _ENV:
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                continue
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(f"{var} must be a number, not {raw!r}") from None
            if number <= 0:
                raise ValueError(f"{var} must be positive")
            values[name] = number * scale if name == "max_seconds" else int(number * scale)
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Limits":
        if not d:
            return cls()
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


_ENV = (
    ("BRIEFREEL_MAX_FILE_MB", "max_file_bytes", MiB),
    ("BRIEFREEL_MAX_PAGES", "max_pages", 1),
    ("BRIEFREEL_MAX_STREAM_MB", "max_stream_bytes", MiB),
    ("BRIEFREEL_MAX_DECOMPRESSED_MB", "max_decompressed_bytes", MiB),
    ("BRIEFREEL_PARSE_TIMEOUT", "max_seconds", 1),
    ("BRIEFREEL_PARSE_MEMORY_MB", "max_memory_bytes", MiB),
)


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} bytes"
