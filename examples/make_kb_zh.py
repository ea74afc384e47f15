"""Write the binary and legacy-encoded files of the Chinese example knowledge base (an invented company, 青禾科技).

onboarding.md is kept as written; this script writes travel-expenses.docx (python-docx), security.txt (GBK) and
product-faq.pdf (reportlab, with its built-in CID font STSong-Light, so no font file is needed). The output is
byte-for-byte the same on every run. reportlab is a tool of this script only, not a ragkit dependency:

    .venv/bin/pip install reportlab && .venv/bin/python examples/make_kb_zh.py
"""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "kb-zh"
FIXED = datetime.datetime(2024, 3, 1, 9, 0, 0)
"""The date written into the files and their zip entries, so the output does not change between runs."""

TRAVEL_TITLE = "青禾科技差旅报销制度（2024 年版）"
TRAVEL_INTRO = ("本制度适用于青禾科技全体员工因公出差产生的交通、住宿和伙食费用，自 2024 年 3 月 1 日起执行，"
                "由财务部负责解释。")
TRAVEL_RULES = [
    ("一、出差申请", "出差前至少三个工作日，员工须在「青禾 OA」系统提交出差申请，写明出差事由、地点和天数，"
                "由部门负责人审批。未经审批的出差费用不予报销。"),
    ("二、交通", "国内航班一律乘坐经济舱；飞行时间超过六小时的国际航班，总监及以上职级可乘坐商务舱。"
              "高铁乘坐二等座。市内交通优先选择地铁和公交，出租车单程超过八十元的须在报销单上注明事由。"),
    ("三、住宿", "住宿费用按出差城市的类别报销，标准如下表，超出部分由员工自行承担。"),
]
HOTEL_TABLE = [("城市类别", "包括的城市", "每晚住宿上限"),
               ("一类城市", "北京、上海、深圳", "650 元"),
               ("二类城市", "省会城市和计划单列市", "450 元"),
               ("三类城市", "其他城市", "350 元")]
TRAVEL_TAIL = [
    ("四、伙食补贴", "出差期间每天发放伙食补贴一百元，按自然日计算，无需提供发票。"),
    ("五、报销时限", "出差结束后十五日内，员工须在 OA 系统提交报销单并附上发票。逾期提交的，"
                  "须经财务总监王立新审批后方可报销。报销款在审批通过后的每周四统一转入员工的工资卡。"),
]

SECURITY = """青禾科技信息安全规范

第一条 账号与密码
员工的登录密码至少十二位，须同时包含大写字母、小写字母、数字和符号。密码每九十天更换一次，不得与最近五次使用过的密码相同。
严禁把密码告诉他人，也不得把密码写在便签上贴在显示器旁。

第二条 终端安全
离开工位时必须锁定电脑屏幕。公司电脑在十分钟无操作后会自动锁屏。未经信息安全部批准，不得在公司电脑上安装来源不明的软件。

第三条 数据保护
客户数据不得存放在个人网盘或个人邮箱中。向公司外部传输文件时，必须使用公司的加密网盘「禾盘」，分享链接的有效期最长为七天。

第四条 安全事件报告
发生安全事件时，例如丢失笔记本电脑、工牌，或者误点了可疑邮件中的链接，员工必须在一小时内报告信息安全部。
报告方式：拨打内线电话 8008，或发送邮件到 security@qinghe.example。

第五条 访客管理
访客须在前台登记身份证件并领取访客证，在办公区内由接待员工全程陪同。

第六条 培训与演练
每年十一月，信息安全部组织一次全员安全培训和钓鱼邮件演练，培训成绩计入年度考核。

本规范由信息安全部负责解释，信息安全负责人为陈思远。
"""

FAQ_TITLE = "禾风 H3 智能温控器常见问题"
FAQ = [
    ("问：电池能用多久？", "答：禾风 H3 使用两节 AA 碱性电池，在正常使用下续航约十四个月。电量低于百分之十时，"
                   "屏幕会显示电池图标，「青禾家居」App 也会发送提醒。"),
    ("问：支持哪些 Wi-Fi 网络？", "答：只支持 2.4GHz 频段的 Wi-Fi，不支持 5GHz 频段。如果路由器是双频合一的，"
                          "请在配网时暂时关闭 5GHz。"),
    ("问：温度可以调节到多少度？", "答：可调节范围为五摄氏度到三十五摄氏度，每次调节零点五摄氏度。"),
    ("问：怎样恢复出厂设置？", "答：同时长按电源键和模式键十秒，屏幕显示 RESET 后松开，温控器会重新启动。"),
    ("问：保修期是多久？", "答：整机保修两年，自购买之日起计算。屏幕碎裂、进水等人为损坏不在保修范围内。"),
    ("问：一台温控器可以绑定几个家庭成员？", "答：在「青禾家居」App 中，一台温控器最多可以绑定八个家庭成员账号。"),
    ("问：如何联系客服？", "答：客服热线 400-600-3721，服务时间为每天上午八点到晚上十点。"),
]


def write_docx(path: Path) -> None:
    """The travel policy: a title, headed paragraphs and the hotel table."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author, props.title, props.created, props.modified = "青禾科技财务部", TRAVEL_TITLE, FIXED, FIXED
    document.add_heading(TRAVEL_TITLE, level=1)
    document.add_paragraph(TRAVEL_INTRO)
    for heading, text in TRAVEL_RULES:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    table = document.add_table(rows=0, cols=3)
    for row in HOTEL_TABLE:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    for heading, text in TRAVEL_TAIL:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry dated FIXED (zipfile stamps entries with the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, FIXED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(item))
    return out.getvalue()


def write_pdf(path: Path) -> None:
    """The product FAQ on one A4 page, in reportlab's built-in STSong-Light with CJK line wrapping."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, spaceAfter=8)
    story = [Paragraph(FAQ_TITLE, title)]
    for question, answer in FAQ:
        story += [Paragraph(question, body), Paragraph(answer, body), Spacer(1, 6)]
    SimpleDocTemplate(str(path), pagesize=A4, title=FAQ_TITLE, author="青禾科技客户服务部", invariant=True).build(story)


def main() -> None:
    write_docx(HERE / "travel-expenses.docx")
    (HERE / "security.txt").write_bytes(SECURITY.encode("gbk"))
    write_pdf(HERE / "product-faq.pdf")


if __name__ == "__main__":
    main()
