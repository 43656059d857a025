"""The OCR engine (RapidOCR with its wheel-shipped ONNX models), loaded once per process."""

from __future__ import annotations

import os

ENGINE = "rapidocr-onnxruntime"


class OcrUnavailable(RuntimeError):
    """The OCR engine is not installed (``pip install rapidocr-onnxruntime``)."""


_engine = None


def engine():
    """The RapidOCR engine, loaded once per process (the models take ~0.5 s to load)."""
    global _engine
    if _engine is None:
        try:
            import logging

            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            import importlib.util

            if importlib.util.find_spec("rapidocr_onnxruntime") is not None:
                # installed but its native libraries could not be mapped: the parse child's memory cap
                raise MemoryError("the OCR engine does not fit in the parse memory limit") from None
            raise OcrUnavailable("OCR needs rapidocr-onnxruntime (pip install rapidocr-onnxruntime)") from exc
        threads = int(os.environ.get("BRIEFREEL_OCR_THREADS", "0") or 0) or min(4, os.cpu_count() or 1)
        _engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return _engine
