"""Questions about single cells and rows of tables, in English and Chinese: a budget sheet (.xlsx, two sheets), a
price list (.docx), a spare-parts price list (a ruled-table PDF), a training schedule (.pptx) and a shuttle timetable
(.csv), written here (own content, 14-36 rows a table, so a sheet splits into several chunks), indexed with the
defaults and asked with the default model.

Scores per question: the gold value in the answer; a citation of the right file whose label names the sheet/table
and a row range holding the row; retrieval hit@1 and hit@k (k = the default retrieval k) of a chunk holding the row.
Rows are appended to a JSON-lines file as they come, so a run split by --lang or stopped half-way resumes.

    .venv/bin/python benchmarks/table_qa.py [--lang en|zh|both] [--retrieval-only] [--results /tmp/table-qa.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.eval.breakdown import gold_contained  # noqa: E402

Rows = list[list[str]]


@dataclass(frozen=True)
class Question:
    """A question whose gold value sits in one row of one table of one file."""

    lang: str
    question: str
    gold: str
    file: str
    part: str
    """What the chunk label must name besides the rows, e.g. "sheet Budget 2025", "page 1, table 1"; "" for CSV."""
    row: int
    """The row's number in the source as ragkit numbers it (the header is row 1)."""


@dataclass(frozen=True)
class TableFile:
    """One file to write: its name, the title (sheet name, slide title, caption) and the rows, header first."""

    name: str
    title: str
    rows: Rows


EN_ITEMS = ["Laptops", "Monitors", "Office chairs", "Cloud hosting", "Email service", "Video conferencing",
            "Printer toner", "Trade fair booth", "Online ads", "Brochures", "Sales travel", "Customer dinners",
            "Recruiting fees", "Training courses", "Team offsite", "Legal counsel", "Audit fees", "Insurance",
            "Office rent", "Electricity", "Cleaning", "Coffee and snacks", "Security guards", "Software licences",
            "Backup storage", "Network upgrade", "Mobile phones", "Translation services", "Market research",
            "Press releases", "Website redesign", "Customer support tool", "Courier services", "Spare parts stock",
            "Vehicle leasing", "Charity sponsorship"]
ZH_ITEMS = ["笔记本电脑", "显示器", "办公椅", "云服务器", "企业邮箱", "视频会议", "打印耗材", "展会展位", "网络广告",
            "宣传册", "销售差旅", "客户招待", "招聘费用", "培训课程", "团建活动", "法律顾问", "审计费用", "保险",
            "办公室租金", "电费", "保洁", "茶水点心", "安保服务", "软件许可", "备份存储", "网络升级", "手机",
            "翻译服务", "市场调研", "新闻发布", "网站改版", "客服系统", "快递费用", "备件库存", "车辆租赁",
            "公益赞助"]
EN_DEPTS = ["IT", "Marketing", "Sales", "HR", "Finance", "Facilities"]
ZH_DEPTS = ["信息部", "市场部", "销售部", "人事部", "财务部", "行政部"]
EN_PEOPLE = ["Anna Berg", "Tom Hale", "Priya Nair", "Lukas Weber", "Mei Lin", "Omar Haddad", "Sara Costa",
             "Jonas Kraft"]
ZH_PEOPLE = ["王芳", "李强", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "周敏"]
EN_SUPPLIES = ["Ballpoint pens", "Gel pens", "Pencils", "Highlighters", "Whiteboard markers", "A4 paper",
               "A3 paper", "Sticky notes", "Notebooks", "Ring binders", "Lever arch files", "Plastic sleeves",
               "Staplers", "Staples", "Paper clips", "Scissors", "Glue sticks", "Sticky tape", "Envelopes C4",
               "Envelopes DL", "Calculators", "Desk organisers", "Label tape", "USB sticks", "Batteries AA",
               "Batteries AAA", "Mouse pads", "Headsets", "Webcams", "Desk lamps"]
ZH_SUPPLIES = ["圆珠笔", "中性笔", "铅笔", "荧光笔", "白板笔", "A4复印纸", "A3复印纸", "便利贴", "笔记本", "文件夹",
               "档案盒", "透明文件袋", "订书机", "订书钉", "回形针", "剪刀", "固体胶", "透明胶带", "牛皮信封",
               "白色信封", "计算器", "桌面收纳盒", "标签色带", "U盘", "五号电池", "七号电池", "鼠标垫", "耳机",
               "摄像头", "台灯"]
EN_UNITS = ["box of 10", "pack of 5", "box of 12", "ream", "pack of 100", "piece"]
ZH_UNITS = ["盒（10支）", "包（5个）", "盒（12支）", "包（500张）", "包（100个）", "个"]
EN_PARTS = ["Drive belt", "Air filter", "Oil filter", "Fuel pump", "Water pump", "Brake pad set", "Brake disc",
            "Spark plug", "Ignition coil", "Alternator", "Starter motor", "Radiator hose", "Thermostat",
            "Timing chain", "Clutch kit", "Shock absorber", "Wiper blade", "Headlight bulb", "Fan belt",
            "Cabin filter", "Wheel bearing", "Control arm", "Tie rod end", "Exhaust gasket", "Oxygen sensor",
            "Battery 70Ah", "Fuse box", "Door handle", "Side mirror", "Seat belt buckle"]
ZH_PARTS = ["传动皮带", "空气滤清器", "机油滤清器", "燃油泵", "水泵", "刹车片", "刹车盘", "火花塞", "点火线圈",
            "发电机", "起动机", "散热器软管", "节温器", "正时链条", "离合器套件", "减震器", "雨刮片", "大灯灯泡",
            "风扇皮带", "空调滤芯", "轮毂轴承", "控制臂", "转向拉杆球头", "排气垫片", "氧传感器", "蓄电池70Ah",
            "保险丝盒", "车门把手", "后视镜", "安全带卡扣"]
EN_SESSIONS = ["Welcome and company history", "Security awareness", "Expense system", "Product overview",
               "Customer service basics", "Data protection", "Working with the CRM", "Health and safety",
               "Meet the leadership team", "Sales process", "Quality management", "Writing good reports",
               "Time tracking", "Feedback and wrap-up"]
ZH_SESSIONS = ["欢迎致辞与公司历史", "信息安全意识", "报销系统使用", "产品概览", "客户服务基础", "个人信息保护",
               "客户管理系统操作", "职业健康与安全", "与管理层见面", "销售流程", "质量管理体系", "工作报告写作",
               "考勤与工时填报", "反馈与总结"]
EN_STOPS = ["Central Station", "North Campus", "Airport T2", "Harbour Gate", "Science Park", "Old Town",
            "Riverside", "Trade Fair"]
ZH_STOPS = ["火车东站", "北校区", "机场二号航站楼", "港口大门", "科技园", "老城区", "滨江路", "会展中心"]

EN_HEADERS = {
    "budget": ["Code", "Line item", "Department", "Q1", "Q2", "Q3", "Q4", "Owner"],
    "prices": ["SKU", "Product", "Unit", "Price (EUR)", "Minimum order"],
    "parts": ["Part no.", "Part", "Fits model", "Price (EUR)", "In stock"],
    "schedule": ["Day", "Time", "Session", "Room", "Trainer"],
    "shuttle": ["Trip", "From", "Departs", "To", "Arrives", "Vehicle"],
}
ZH_HEADERS = {
    "budget": ["编号", "预算项目", "部门", "第一季度", "第二季度", "第三季度", "第四季度", "负责人"],
    "prices": ["货号", "品名", "单位", "单价（元）", "起订量"],
    "parts": ["零件号", "零件名称", "适用车型", "单价（元）", "库存"],
    "schedule": ["日期", "时间", "课程", "教室", "讲师"],
    "shuttle": ["班次", "出发站", "发车时间", "到达站", "到达时间", "车辆"],
}


def tables(lang: str, rng: random.Random) -> dict[str, TableFile]:
    """The five tables of one language (the budget has two sheets: 'budget' and 'travel'), rows header first."""
    zh = lang == "zh"
    items, depts, people = (ZH_ITEMS, ZH_DEPTS, ZH_PEOPLE) if zh else (EN_ITEMS, EN_DEPTS, EN_PEOPLE)
    heads = ZH_HEADERS if zh else EN_HEADERS
    budget = [heads["budget"]] + [
        [f"BUD-{101 + i}", item, rng.choice(depts), *(str(rng.randrange(1000, 60000, 50)) for _ in range(4)),
         rng.choice(people)] for i, item in enumerate(items)]
    travel_head = ["出差编号", "员工", "目的地", "天数", "预算（元）"] if zh else ["Trip no.", "Employee",
                                                                              "Destination", "Days", "Budget"]
    cities = ["上海", "深圳", "成都", "西安", "武汉", "杭州", "南京", "青岛"] if zh else [
        "Lyon", "Milan", "Vienna", "Prague", "Porto", "Gdansk", "Ghent", "Basel"]
    travel = [travel_head] + [[f"TR-{501 + i}", rng.choice(people), rng.choice(cities), str(rng.randrange(1, 8)),
                               str(rng.randrange(800, 9000, 10))] for i in range(24)]
    supplies, units = (ZH_SUPPLIES, ZH_UNITS) if zh else (EN_SUPPLIES, EN_UNITS)
    prices = [heads["prices"]] + [[f"OS-{2201 + i}", name, rng.choice(units), f"{rng.randrange(80, 9000) / 100:.2f}",
                                   str(rng.choice([1, 2, 5, 10, 20]))] for i, name in enumerate(supplies)]
    models = ["QX-300", "QX-350", "Vela 2", "Vela 3", "Tarn E"]
    parts = [heads["parts"]] + [[f"SP-{4410 + 7 * i}", name, rng.choice(models), f"{rng.randrange(500, 40000) / 100:.2f}",
                                 str(rng.randrange(0, 250))] for i, name in enumerate(ZH_PARTS if zh else EN_PARTS)]
    days = ["周一", "周二", "周三", "周四", "周五"] if zh else ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    slots = ["09:00-10:30", "11:00-12:30", "14:00-15:30"]
    rooms = [f"{'教室' if zh else 'Room'} {f}{r:02d}" for f in "ABC" for r in (3, 7, 12, 14)]
    sessions = ZH_SESSIONS if zh else EN_SESSIONS
    schedule = [heads["schedule"]] + [[days[i // 3], slots[i % 3], name, rng.choice(rooms), rng.choice(people)]
                                      for i, name in enumerate(sessions)]
    stops = ZH_STOPS if zh else EN_STOPS
    shuttle = [heads["shuttle"]]
    for i in range(32):
        start, end = rng.sample(stops, 2)
        minutes = 6 * 60 + 25 * i
        arrive = minutes + rng.randrange(12, 55)
        shuttle.append([f"S{301 + i}", start, f"{minutes // 60:02d}:{minutes % 60:02d}", end,
                        f"{arrive // 60:02d}:{arrive % 60:02d}", f"{'车辆' if zh else 'Bus'} {rng.randrange(10, 99)}"])
    suffix = "zh" if zh else "en"
    return {
        "budget": TableFile(f"budget-{suffix}.xlsx", "2025年预算" if zh else "Budget 2025", budget),
        "travel": TableFile(f"budget-{suffix}.xlsx", "差旅预算" if zh else "Travel", travel),
        "prices": TableFile(f"prices-{suffix}.docx", "办公用品价格表（2025年）" if zh else "Office supplies price list 2025",
                            prices),
        "parts": TableFile(f"spare-parts-{suffix}.pdf", "备件价格表" if zh else "Spare parts price list", parts),
        "schedule": TableFile(f"onboarding-{suffix}.pptx", "新员工入职培训日程" if zh else "Onboarding training schedule",
                              schedule),
        "shuttle": TableFile(f"shuttle-{suffix}.csv", "", shuttle),
    }


def write_files(found: dict[str, TableFile], folder: Path) -> list[Path]:
    """Each table file written in its format; the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    _xlsx(folder / found["budget"].name, [found["budget"], found["travel"]])
    _docx(folder / found["prices"].name, found["prices"])
    _pdf(folder / found["parts"].name, found["parts"])
    _pptx(folder / found["schedule"].name, found["schedule"])
    with (folder / found["shuttle"].name).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(found["shuttle"].rows)
    return sorted(folder.iterdir())


def _xlsx(path: Path, sheets: list[TableFile]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.title)
        for row in sheet.rows:
            page.append([int(c) if c.isdigit() else c for c in row])
    book.save(path)


def _docx(path: Path, table: TableFile) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(table.title)
    grid = document.add_table(rows=0, cols=len(table.rows[0]))
    for row in table.rows:
        for cell, text in zip(grid.add_row().cells, row):
            cell.text = text
    document.add_paragraph("Prices include VAT." if table.name.endswith("en.docx") else "以上价格均含税。")
    document.save(str(path))


def _pdf(path: Path, table: TableFile) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light" if table.name.endswith("zh.pdf") else "Helvetica"
    grid = Table(table.rows, repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), font),
                              ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    title = Paragraph(table.title, ParagraphStyle("title", fontName=font, fontSize=14, leading=20))
    SimpleDocTemplate(str(path), pagesize=A4).build([title, grid])


def _pptx(path: Path, table: TableFile) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = table.title
    rows, cols = len(table.rows), len(table.rows[0])
    grid = slide.shapes.add_table(rows, cols, Inches(0.3), Inches(1.4), Inches(9.4), Inches(0.3 * rows)).table
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            grid.cell(r, c).text = text
            grid.cell(r, c).text_frame.paragraphs[0].font.size = Pt(9)
    deck.save(str(path))


ASKED = [  # (table, column holding the answer, part cited: "sheet" means the table's sheet, English, Chinese)
    ("budget", 5, "sheet", "What is the Q3 budget for {1} ({0})?", "{1}（{0}）第三季度的预算是多少？"),
    ("budget", 7, "sheet", "Who is the owner of the budget line {1}?", "预算项目{1}由哪位负责人负责？"),
    ("budget", 3, "sheet", "How much is budgeted for {1} in Q1?", "{1}第一季度预算多少元？"),
    ("travel", 2, "sheet", "What is the destination of trip {0}?", "出差编号{0}的目的地是哪里？"),
    ("prices", 3, "table 1", "What is the price of {1} in EUR?", "{1}的单价是多少元？"),
    ("prices", 4, "table 1", "What is the minimum order for {0}?", "货号{0}的起订量是多少？"),
    ("prices", 2, "table 1", "In what unit are {1} sold?", "{1}按什么单位销售？"),
    ("parts", 3, "page 1, table 1", "What is the price of part {0}?", "零件号{0}的单价是多少？"),
    ("parts", 4, "page 1, table 1", "How many units of {1} ({0}) are in stock?", "{1}（{0}）还有多少库存？"),
    ("parts", 2, "page 1, table 1", "Which model does the {1} {0} fit?", "{1}适用于哪个车型？"),
    ("schedule", 3, "slide 1, table 1", "In which room is the session '{2}'?", "“{2}”课程在哪个教室上？"),
    ("schedule", 4, "slide 1, table 1", "Who is the trainer of the session '{2}'?", "“{2}”课程的讲师是谁？"),
    ("shuttle", 4, "", "When does shuttle trip {0} arrive at {3}?", "班次{0}几点到达{3}？"),
    ("shuttle", 2, "", "At what time does trip {0} leave {1}?", "班次{0}几点从{1}发车？"),
]
"""The questions, one per row drawn at random; templates are filled with the row's cells."""


def questions(lang: str, found: dict[str, TableFile], rng: random.Random) -> list[Question]:
    """Questions about single cells of rows drawn at random, 14 per language, over every file and sheet."""
    asked: list[Question] = []
    for key, column, part, english, chinese in ASKED:
        table = found[key]
        index = rng.randrange(1, len(table.rows))
        row = table.rows[index]
        cited = f"sheet {table.title}" if part == "sheet" else part
        asked.append(Question(lang, (chinese if lang == "zh" else english).format(*row), row[column], table.name,
                              cited, index + 1))
    return asked


_ROWS = re.compile(r"rows (\d+)-(\d+)$")


def holds_row(source: str, label: str, question: Question) -> bool:
    """Whether a chunk (its source and label) is the question's file, names its part and holds its row."""
    found = _ROWS.search(label)
    if Path(source).name != question.file or found is None or not label.startswith(question.part):
        return False
    return int(found[1]) <= question.row <= int(found[2])


def run_language(lang: str, tmp: Path, results: Path, retrieval_only: bool) -> None:
    """Index one language's files with the defaults and ask (or only retrieve) each question not yet in results."""
    from ragkit.kb import KnowledgeBase
    from ragkit.settings import RetrievalSettings

    rng = random.Random(f"tables-{lang}")
    found = tables(lang, rng)
    asked = questions(lang, found, rng)
    mode = "retrieval" if retrieval_only else "answer"
    done = {(r["question"], r["mode"]) for r in _read(results)}
    todo = [q for q in asked if (q.question, mode) not in done]
    if not todo:
        return
    files = write_files(found, tmp / lang)
    kb = KnowledgeBase(path=tmp / f"{lang}-index", cache=False, events=False)
    started = time.perf_counter()
    report = kb.index(files)
    print(f"{lang}: {len(files)} files, {report.chunks} chunks, skipped {report.skipped}, embedder "
          f"{kb.embedder.spec}, {time.perf_counter() - started:.1f} s", flush=True)
    k = RetrievalSettings().k
    retriever = kb.retriever(language=lang)  # type: ignore[arg-type]
    for question in todo:
        docs = retriever.invoke(question.question)
        hits = [holds_row(str(d.metadata.get("source", "")), str(d.metadata.get("label", "")), question)
                for d in docs[:k]]
        row: dict[str, Any] = {**asdict(question), "mode": mode, "hit1": bool(hits[:1] and hits[0]),
                               "hitk": any(hits), "k": k, "retrieved": [str(d.metadata.get("label", "")) for d in docs[:k]]}
        if not retrieval_only:
            answer = kb.ask(question.question)
            row.update(answer=answer.text, generated=answer.generated, replaced_because=answer.replaced_because,
                       seconds=answer.timings.get("total_s", 0.0),
                       gold_in_answer=gold_contained(answer.text, [question.gold]),
                       cited=any(holds_row(c.source, c.where, question) for c in answer.citations),
                       citations=[f"{c.source} ({c.where})" for c in answer.citations])
        with results.open("a", encoding="utf-8") as log:
            log.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"  {row.get('seconds', 0):5.1f}s hit@1 {row['hit1']:d} hit@{k} {row['hitk']:d} "
              f"gold {row.get('gold_in_answer', '-')!s:5} cited {row.get('cited', '-')!s:5} {question.question[:50]!r} "
              f"-> {row.get('answer', '')[:60]!r}", flush=True)


def _read(results: Path) -> list[dict[str, Any]]:
    if not results.exists():
        return []
    return [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]


def summary(results: Path) -> list[str]:
    """One line per language and mode: n, gold in answer, right citation, both, hit@1, hit@k, median seconds."""
    rows = _read(results)
    lines = [f"{'set':16s}{'n':>4s}{'gold':>8s}{'cited':>8s}{'both':>8s}{'hit@1':>8s}{'hit@k':>8s}{'s/answer':>10s}"]
    for lang in ("en", "zh"):
        for mode in ("answer", "retrieval"):
            got = [r for r in rows if r["lang"] == lang and r["mode"] == mode]
            if not got:
                continue

            def share(key: str, got: list[dict[str, Any]] = got) -> str:
                return f"{sum(bool(r.get(key)) for r in got)}/{len(got)}" if key in got[0] else "-"

            both = f"{sum(r['gold_in_answer'] and r['cited'] for r in got)}/{len(got)}" if mode == "answer" else "-"
            seconds = sorted(r.get("seconds", 0.0) for r in got)
            median = f"{seconds[len(seconds) // 2]:.1f}" if mode == "answer" else "-"
            lines.append(f"{lang + ' ' + mode:16s}{len(got):4d}{share('gold_in_answer'):>8s}{share('cited'):>8s}"
                         f"{both:>8s}{share('hit1'):>8s}{share('hitk'):>8s}{median:>10s}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["en", "zh", "both"], default="both")
    parser.add_argument("--retrieval-only", action="store_true", help="no model: only retrieval hit@1 and hit@k")
    parser.add_argument("--results", type=Path, default=Path(tempfile.gettempdir()) / "table-qa.jsonl")
    parser.add_argument("--write", type=Path, default=None, help="only write the files of both languages here")
    args = parser.parse_args()
    if args.write is not None:
        for lang in ("en", "zh"):
            for path in write_files(tables(lang, random.Random(f"tables-{lang}")), args.write):
                print(path)
        return 0
    with tempfile.TemporaryDirectory(prefix="ragkit-tables-") as name:
        for lang in (["en", "zh"] if args.lang == "both" else [args.lang]):
            run_language(lang, Path(name), args.results, args.retrieval_only)
    print("\n".join(summary(args.results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
