"""End to end with the real models: a scanned two-page Chinese PDF and a photo-like PNG, made here from text written
for the test, are indexed with the defaults and a question about each is answered citing that file (and page)."""

from pathlib import Path

import pytest

from ragkit import KnowledgeBase
from ragkit.eval.scans import CJK_FONT, Look, render_pages, save_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.skipif(not CJK_FONT.is_file(), reason="needs fonts-wqy-microhei (apt-get install)")]

ROOMS = ("青禾科技会议室使用规定\n会议室须通过「青禾 OA」预订，使用完毕后请关闭投影仪和空调。\n"
         "小会议室「孤山」可容纳六人，无需审批。")
HALL = ("大会议室「西湖厅」最多可容纳三十人，须提前两个工作日预订，并由行政部审批。\n"
        "西湖厅配有视频会议设备，如需技术支持请拨打内线 6100。")
PARKING = ("访客停车须知\n访客车辆请停放在青禾大厦地下二层 B2 区。\n每辆访客车辆每天最多可以免费停放四小时，"
           "超出部分每小时收费十元。\n停车登记请到一楼前台办理。")


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    docs = tmp_path_factory.mktemp("scans")
    look = Look(points=12, dpi=200)
    save_pdf([render_pages(ROOMS, look)[0], render_pages(HALL, look)[0]], docs / "meeting-rooms.pdf", look.dpi)
    photo = Look(points=14, dpi=150, noise=18, blur=1.0, skew=2.0)
    render_pages(PARKING, photo, margin_mm=8, size_mm=(150, 90))[0].convert("RGB").save(docs / "parking.png")
    kb = KnowledgeBase(path=tmp_path_factory.mktemp("idx") / "scans")
    report = kb.index([docs])
    # Only scans: the corpus language was detected from their OCR'd text, which indexing then reads from the cache.
    assert (report.indexed_files, report.skipped, report.ocr_pages + report.ocr_cached_pages) == (2, [], 3), report
    return kb


@pytest.mark.parametrize(("question", "source", "page", "facts"), [
    ("西湖厅最多可以容纳多少人？", "meeting-rooms.pdf", 2, ("三十", "30")),
    ("访客车辆每天最多可以免费停放几个小时？", "parking.png", 1, ("四小时", "4小时", "4 小时", "四个小时")),
])
def test_a_question_about_a_scan_is_answered_citing_it(kb: KnowledgeBase, question: str, source: str, page: int,
                                                      facts: tuple[str, ...]):
    answer = kb.ask(question)
    seen = (answer.text, [(c.n, Path(c.source).name, c.page) for c in answer.citations])
    assert answer.found and answer.citations, seen
    assert (Path(answer.citations[0].source).name, answer.citations[0].page) == (source, page), seen
    assert any(fact in answer.text for fact in facts), seen
