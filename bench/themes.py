"""How well the theme, sentiment and signal rules read the labelled feedback set.

Reads tests/data/themes_eval.txt (the same file tests/bot/domain/test_theme_eval.py holds the bar
on), prints every comment the rules got wrong, then per-theme precision / recall / F1 and
the micro figures last.

    python bench/themes.py [--lang en|ms]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.themes import read  # noqa: E402
from bot.domain.vocabulary import Theme
from tests.theme_eval import load, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("en", "ms"), default=None)
    args = parser.parse_args()
    rows = [row for row in load() if args.lang in (None, row.language)]
    result = score(rows)
    print(f"Misses ({len(result.misses)}):")
    for row, got in result.misses:
        want = ", ".join(sorted(row.themes)) or "-"
        found = ", ".join(sorted(got)) or "-"
        why = read(row.text).evidence
        print(f"  [{row.language}] {row.text}\n      want {want} · got {found} · {why}")
    print("\nPer theme:  precision  recall  F1   (support)")
    for theme in Theme:
        support = result.tp[theme] + result.fn[theme]
        print(
            f"  {theme.value:18} {result.precision(theme):.2f}      "
            f"{result.recall(theme):.2f}    {result.f1(theme):.2f} ({support})"
        )
    print(f"\nComments: {result.total}")
    print(f"Sentiment accuracy: {result.sentiment_right / result.total:.3f}")
    print(f"Signals exactly right: {result.signals_right / result.total:.3f}")
    print(
        f"Micro precision {result.precision():.3f} · recall {result.recall():.3f} · "
        f"F1 {result.f1():.3f}"
    )


if __name__ == "__main__":
    main()
