"""Poll results for staff: CSV and XLSX tables, and a PNG chart of each question's answers.

Takes the plain results document of Polls.results, so what a file shows is exactly what the JSON says.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

HEADER = ["question", "alley", "n", "mean", "ci95_low", "ci95_high", "1", "2", "3"]
CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei")
# Where Debian/Ubuntu put them: matplotlib's font cache predates a font installed later, so add them by path.
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def rows(results: dict[str, Any]) -> list[list[Any]]:
    """One row per question overall and per alley shown (alleys under the anonymity threshold are not)."""
    out: list[list[Any]] = []
    for q in results["questions"]:
        for alley, part in [("全部", q), *q["by_alley"].items()]:
            ci = part["ci95"] or [None, None]
            dist = part["distribution"]
            out.append([q["text"], alley, part["n"], part["mean"], ci[0], ci[1], dist["1"], dist["2"], dist["3"]])
    return out


def correlation_rows(results: dict[str, Any]) -> list[list[Any]]:
    return [[c["a"], c["b"], c["r"], c["p"], c["n"]] for c in results["correlations"]]


def write_csv(results: dict[str, Any], path: Path) -> None:
    path.write_bytes(csv_bytes(results))


def csv_bytes(results: dict[str, Any]) -> bytes:
    # utf-8-sig: Excel on a street office's Windows PC opens it with the Chinese intact.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(results))
    writer.writerow([])
    writer.writerow(["question_a", "question_b", "r", "p", "n"])
    writer.writerows(correlation_rows(results))
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(results: dict[str, Any], path: Path) -> None:
    path.write_bytes(xlsx_bytes(results))


def xlsx_bytes(results: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "结果"
    sheet.append(HEADER)
    for row in rows(results):
        sheet.append(row)
    corr = book.create_sheet("相关")
    corr.append(["question_a", "question_b", "r", "p", "n"])
    for row in correlation_rows(results):
        corr.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cjk_font() -> str | None:
    """A font that has Chinese glyphs, or None (the chart then labels questions Q1, Q2, …)."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    if not any(name in available for name in CJK_FONTS):
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        available = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in available), None)


def write_png(results: dict[str, Any], path: Path) -> None:
    """A stacked bar per question (shares of 3/2/1) with its mean and 95% CI written beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font]
    questions = results["questions"]
    labels = [q["text"] if font else f"Q{i}" for i, q in enumerate(questions, 1)]
    levels = (("3", "#2e7d32", "满意/赞同" if font else "3"), ("2", "#f9a825", "一般" if font else "2"),
              ("1", "#c62828", "不满意/反对" if font else "1"))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.6 * len(questions)), dpi=120)
    left = [0.0] * len(questions)
    for key, colour, name in levels:
        shares = [q["distribution"][key] / q["n"] if q["n"] else 0.0 for q in questions]
        ax.barh(labels, shares, left=left, color=colour, label=name)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for y, q in enumerate(questions):
        ci = q["ci95"]
        note = f"n={q['n']}  mean={q['mean']}" + (f"  95% CI {ci[0]:.2f}–{ci[1]:.2f}" if ci else "")
        ax.text(1.02, y, note, va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(f"Poll {results['id']}")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.45 if len(questions) < 3 else -0.25), ncol=3, fontsize=8)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
