"""Issues for staff as CSV or XLSX: one row per ticket, in the columns a street office's ledger (台账) keeps."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from bot.core.clock import BEIJING
from bot.issues.service import IssueView

HEADER = ["工单号", "胡同", "街道", "类别", "分类", "状态", "反映人数", "内容", "照片", "转派部门", "处理说明",
          "评价", "督办", "超期", "登记时间", "承诺时限", "办结时间"]


def _cell(text: str) -> str:
    """A resident's words as a spreadsheet shows them: text starting with = + - @ would otherwise be run as a
    formula by Excel (and by openpyxl's writer), so it gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def row(issue: IssueView) -> list[object]:
    def local(moment: object) -> str:
        return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if hasattr(moment, "astimezone") else ""

    return [issue.ticket, issue.alley, issue.street_office, issue.category_name, issue.triage, issue.status_name,
            issue.followers + 1, _cell(issue.text), sum(1 for p in issue.photos if p.status == "stored"),
            issue.department or "", _cell(issue.note or ""), issue.rating or "", "是" if issue.escalated else "",
            "是" if issue.overdue else "", local(issue.created_at), local(issue.due_at), local(issue.resolved_at)]


def csv_bytes(issues: Sequence[IssueView]) -> bytes:
    """The CSV in UTF-8 with a BOM: Excel on a street office's Windows PC opens it with the Chinese intact."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(row(i) for i in issues)
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(issues: Sequence[IssueView], path: Path) -> None:
    path.write_bytes(csv_bytes(issues))


def write_xlsx(issues: Sequence[IssueView], path: Path) -> None:
    path.write_bytes(xlsx_bytes(issues))


def xlsx_bytes(issues: Sequence[IssueView]) -> bytes:
    """One sheet, the CSV's columns, the header row frozen."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "随手拍工单"
    sheet.append(HEADER)
    for issue in issues:
        sheet.append(row(issue))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
