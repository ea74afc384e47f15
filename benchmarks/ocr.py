"""OCR of scanned pages: character error rate (CER) and pages per second of ragkit's PDF loader by render resolution
and rapidocr detection setting, on A4 pages rendered here from known Chinese and English text in several fonts and
sizes, clean and degraded (noise + blur, a few degrees of skew, both).

Each page is an image-only PDF at 300 dpi (a scanner's resolution); ragkit renders it at the setting's resolution
and OCRs it, one process. Results are appended to a JSON-lines file, so a run split into several (--only) resumes.

    .venv/bin/python benchmarks/ocr.py [--settings 150,200-max3000] [--quick] [--results /tmp/ocr-bench.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ragkit.eval.metrics import character_error_rate
from ragkit.eval.scans import CJK_FONT, Look, render_pages, save_pdf
from ragkit.ingest import ocr
from ragkit.ingest.formats import pdf

ZH = """青禾科技设备采购管理办法
第一条 为规范公司设备采购行为，降低采购成本，提高资金使用效率，制定本办法。
第二条 单台价格在五千元以下的办公设备，由部门负责人审批后自行采购；五千元至五万元之间的，须经财务部审核；五万元以上的，须提交总经理办公会议讨论决定。
第三条 采购人员应当至少比较三家供应商的报价，并在采购申请单上写明选择理由。紧急采购可以先行购买，但须在七个工作日内补办审批手续。
第四条 设备到货后，由使用部门和资产管理员共同验收，验收合格后三日内录入固定资产台账，编号格式为 QH-2024-0815。
第五条 本办法自二〇二四年七月一日起施行，由财务部负责解释，咨询电话 0571-8876 5432。"""
EN = """Qinghe Technology Equipment Purchasing Policy
1. Office equipment under 5,000 yuan per unit is approved by the head of the department and bought directly.
2. Purchases between 5,000 and 50,000 yuan need a review by the finance department; larger ones are decided by the
management meeting, which sits on the second Tuesday of every month.
3. Buyers compare quotes from at least three suppliers and record the reason for their choice. Urgent purchases may be
made first, with the approval completed within seven working days.
4. Delivered equipment is checked by the user department and the asset clerk together and entered in the fixed-asset
register within three days, numbered like QH-2024-0815. Questions: extension 8876, assets@qinghe.example."""
FONTS = {
    "zh": [("wqy-microhei", CJK_FONT, 0), ("wqy-zenhei", Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
           ("uming", Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0)],
    "en": [("dejavu-serif", Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"), 0),
           ("liberation-sans", Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"), 0),
           ("wqy-microhei", CJK_FONT, 0)],
}
"""Fonts per language (name, file, face index); a missing one is left out with a message."""
LOOKS = {"clean": {}, "noise+blur": {"noise": 18.0, "blur": 1.0}, "skew 3deg": {"skew": 3.0},
         "photo-like": {"noise": 24.0, "blur": 1.4, "skew": -2.0}}
SIZES = (10.5, 8.0)
SETTINGS = {
    "100": (100, {}),
    "150": (150, {}),
    "200": (200, {}),
    "200-max3000": (200, {"Global.max_side_len": 3000}),
    "150-detmax960": (150, {"Det.limit_type": "max", "Det.limit_side_len": 960}),
}
"""Name -> (render dpi, rapidocr settings over ragkit's): rapidocr shrinks pages to max_side_len (2,000 px) by default."""
SCAN_DPI = 300


def pages(folder: Path, quick: bool) -> list[tuple[str, Path, str]]:
    """(description, image-only PDF, its text) for each language, font, size and look."""
    made = []
    for language, text in (("zh", ZH), ("en", EN)):
        for name, font, index in FONTS[language][: 1 if quick else None]:
            if not font.is_file():
                print(f"font {name} not installed ({font}): left out")
                continue
            for size in SIZES[: 1 if quick else None]:
                for look_name, degradation in LOOKS.items():
                    look = Look(font=font, font_index=index, points=size, dpi=SCAN_DPI, **degradation)
                    label = f"{language} {name} {size}pt {look_name}"
                    path = folder / f"{len(made):03d}.pdf"
                    save_pdf(render_pages(text, look), path, SCAN_DPI)
                    made.append((label, path, text))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma-separated, of {', '.join(SETTINGS)}")
    parser.add_argument("--quick", action="store_true", help="one font and size per language")
    parser.add_argument("--results", type=Path, default=Path(tempfile.gettempdir()) / "ocr-bench.jsonl")
    args = parser.parse_args()
    chosen = args.settings.split(",")
    done = {(r["setting"], r["page"]) for r in map(json.loads, args.results.read_text().splitlines())} \
        if args.results.exists() else set()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before; results in {args.results}")
    defaults = dict(ocr.SETTINGS)
    with tempfile.TemporaryDirectory() as tmp:
        made = pages(Path(tmp), args.quick)
        for setting in chosen:
            dpi, overrides = SETTINGS[setting]
            pdf.RENDER_DPI = dpi
            ocr.SETTINGS.clear()
            ocr.SETTINGS.update({**defaults, **overrides})
            ocr.engine.cache_clear()
            ocr.engine()  # load before timing
            for label, path, text in made:
                if (setting, label) in done:
                    continue
                started = time.perf_counter()
                read = "\n".join(page.text for page in pdf.load_pdf(path))
                seconds = time.perf_counter() - started
                row = {"setting": setting, "page": label, "cer": character_error_rate(read, text),
                       "seconds": seconds}
                with args.results.open("a") as out:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                print(f"{setting:>14} {label:<40} CER {row['cer']:.3f} {seconds:5.1f} s", flush=True)
    summarize(args.results)
    print(f"load average {os.getloadavg()[0]:.2f} after")
    return 0


def summarize(results: Path) -> None:
    """Mean CER per setting and language, per look, and pages/s per setting."""
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    print(f"\n{'setting':>14} {'pages':>5} {'CER zh':>7} {'CER en':>7} " + " ".join(f"{k:>11}" for k in LOOKS)
          + f" {'pages/s':>8}")
    for setting in dict.fromkeys(r["setting"] for r in rows):
        mine = [r for r in rows if r["setting"] == setting]

        def mean(keep: str, of: list[dict] = mine) -> str:
            picked = [r["cer"] for r in of if keep in r["page"]]
            return f"{statistics.fmean(picked):.3f}" if picked else "-"

        per_look = " ".join(f"{mean(' ' + k):>11}" for k in LOOKS)
        speed = len(mine) / sum(r["seconds"] for r in mine)
        print(f"{setting:>14} {len(mine):>5} {mean('zh '):>7} {mean('en '):>7} {per_look} {speed:8.2f}")


if __name__ == "__main__":
    sys.exit(main())
