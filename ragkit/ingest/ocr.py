"""Text of page images through rapidocr (PP-OCR detection and recognition models shipped in its wheel, run by
onnxruntime): the page's orientation found, lines put in reading order.

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

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx"}
"""The model files of rapidocr 3.x's wheel used for detection and recognition (its defaults for Chinese, which also
read Latin); its direction classifier is not used (see recognize)."""
SETTINGS: dict[str, object] = {"Det.limit_type": "min", "Det.limit_side_len": 736, "Global.max_side_len": 2000,
                               "Global.use_cls": False}
"""rapidocr's settings that change what it reads (its defaults; benchmarks/ocr.py compares others)."""
_TALL = 1.5  # rapidocr turns a crop this much taller than wide by 90 degrees before reading it
UPRIGHT_CONFIDENCE = 0.9
"""Below this mean recognition confidence a page is also read upside down (benchmarks/ocr.py)."""


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
    """The text of an RGB page image, lines in reading order; "" when it holds none.

    A page that looks turned is also read turned upright, and the reading with the higher recognition confidence
    wins: lines taller than wide mean a quarter turn (both are tried), a low confidence perhaps a half turn. This
    replaces rapidocr's per-line direction classifier, which calls many upright Latin lines upside down."""
    import numpy as np

    boxes, confidence, tall = _read(image)
    turns = (90, 270) if tall else (180,) if confidence < UPRIGHT_CONFIDENCE else ()
    for turn in turns:
        turned, score, _ = _read(np.ascontiguousarray(np.rot90(image, k=-turn // 90)))
        if score > confidence:
            boxes, confidence = turned, score
    return reading_order(boxes)


def _read(image: np.ndarray) -> tuple[list[Box], float, bool]:
    """The recognized boxes of an image, their mean recognition confidence per character, and whether most of its
    lines are taller than wide (the page lies on its side)."""
    out = engine()(image)
    if out.boxes is None or not out.txts:
        return [], 0.0, False
    boxes = [Box(min(float(p[0]) for p in quad), min(float(p[1]) for p in quad), max(float(p[0]) for p in quad),
                 max(float(p[1]) for p in quad), text) for quad, text in zip(out.boxes, out.txts)]
    chars = sum(len(text) for text in out.txts) or 1
    confidence = sum(float(score) * len(text) for score, text in zip(out.scores, out.txts)) / chars
    tall = sum(_distance(q[1], q[2]) >= _TALL * _distance(q[0], q[1]) for q in out.boxes) * 2 > len(out.boxes)
    return boxes, confidence, tall


def _distance(a: Any, b: Any) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)
