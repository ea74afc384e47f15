"""Text of page images through rapidocr (PP-OCR detection, direction and recognition models shipped in its wheel,
run by onnxruntime): the page's orientation found, lines put in reading order.

The models are named by their path inside the installed package, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.errors import SkipFile
from ragkit.ingest.layout import Box, reading_order

if TYPE_CHECKING:
    import numpy as np

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
          "Rec": "PP-OCRv6_rec_small.onnx"}
"""The model files of rapidocr 3.x's wheel used for each stage (its defaults for Chinese, which also read Latin)."""
SETTINGS: dict[str, object] = {"Det.limit_type": "min", "Det.limit_side_len": 736, "Global.max_side_len": 2000}
"""rapidocr's settings that change what it reads (its defaults; benchmarks/ocr.py compares others)."""
_TALL = 1.5  # rapidocr turns a crop this much taller than wide by 90 degrees before reading it


@functools.cache
def engine() -> Any:  # cached: one engine per process (benchmarks clear it after changing SETTINGS)
    """The rapidocr engine of this process, loaded on first use; SkipFile when its bundled models are missing."""
    from importlib.metadata import version

    import rapidocr

    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    models = Path(rapidocr.__file__).parent / "models"
    params: dict[str, Any] = {"Global.log_level": "warning"}
    for stage, name in MODELS.items():
        path = models / name
        if not path.is_file():
            raise SkipFile(f"OCR model {name} is not in the installed rapidocr {version('rapidocr')}: "
                           "install the version pyproject.toml names")
        params[f"{stage}.model_path"] = str(path)
    return rapidocr.RapidOCR(params={**params, **SETTINGS})


def setup_id() -> str:
    """Names the OCR setup (models and settings) in cache keys: another setup gives other text."""
    return "rapidocr-3:" + ",".join(MODELS.values()) + ":" + json.dumps(SETTINGS, sort_keys=True)


def recognize(image: np.ndarray) -> str:
    """The text of an RGB page image, lines in reading order; "" when it holds none. A page found turned (sideways
    or upside down) is turned upright and read again: line by line the direction classifier misreads Latin text."""
    import numpy as np

    boxes, turn = _read(image)
    if turn:
        boxes, _ = _read(np.ascontiguousarray(np.rot90(image, k=-turn // 90)))
    return reading_order(boxes)


def _read(image: np.ndarray) -> tuple[list[Box], int]:
    """The recognized boxes of an image and how far its text is turned counter-clockwise (0, 90, 180 or 270)."""
    ocr = engine()
    # The steps of RapidOCR.__call__, kept apart to read the direction classifier's verdicts.
    original = ocr.load_img(image)
    prepared, record = ocr.preprocess_img(original)
    det, cls, rec, crops = ocr.run_ocr_steps(prepared, record)
    out = ocr.build_final_output(original, det, cls, rec, crops, record)
    if out.boxes is None or not out.txts:
        return [], 0
    boxes = [Box(min(float(p[0]) for p in quad), min(float(p[1]) for p in quad), max(float(p[0]) for p in quad),
                 max(float(p[1]) for p in quad), text) for quad, text in zip(out.boxes, out.txts)]
    return boxes, _turn(out.boxes, list(cls.cls_res or []))


def _turn(quads: Any, verdicts: list[tuple[str, float]]) -> int:
    """How far the page is turned counter-clockwise, by majority of its text lines: lines taller than wide mean a
    quarter turn, the direction classifier's "180" a half turn (after rapidocr's own quarter turn of tall crops)."""
    sides = [(_distance(q[0], q[1]), _distance(q[1], q[2])) for q in quads]
    tall = sum(h >= _TALL * w for w, h in sides) * 2 > len(sides)
    flipped = sum(label == "180" for label, _ in verdicts) * 2 > max(len(verdicts), 1)
    if tall:
        return 90 if flipped else 270
    return 180 if flipped else 0


def _distance(a: Any, b: Any) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)
