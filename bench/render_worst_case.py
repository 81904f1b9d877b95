"""Render the worst article bodies that the caps let through, and print the slowest render.

    .venv/bin/python bench/render_worst_case.py [--repeat N] [--budget-ms MS] [CASE ...]

Each body repeats one pathological piece of Markdown (deep nesting, thousands of links, gated
blocks, equal headings, citations, table cells, runs of emphasis or brackets...) as often as
`app/articles/body_limits.py` allows: the largest count that `check_body` still accepts. Each is
rendered for a visitor and for an approved physician, as every page, the API and the feeds do.

The time reported is CPU time, the best of N runs: what the server spends on the render, not
what other processes on a busy machine take meanwhile (wall time is printed beside it). Exits 1
when the slowest render passes the budget.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import one_language

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.articles import body_limits  # noqa: E402
from app.articles.markdown import ReferenceData, check_body, render_body  # noqa: E402
from app.core.policy import VISITOR, Profession, Viewer  # noqa: E402
from app.publishing.importer import split_front_matter  # noqa: E402

DEMO = Path(__file__).resolve().parents[1] / "app" / "demo" / "articles"
PHYSICIAN = Viewer(profession=Profession.PHYSICIAN, logged_in=True, request_state="approved")
KEYS = [f"ref{n}" for n in range(60)]  # as many reference rows as the editor has
REFERENCES = [ReferenceData(key=key, authors="Example A", title=f"Study {key}") for key in KEYS]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[int], str]  # the body with `count` repetitions of its pathological piece
    cites: bool = False


def repeated(piece: str, head: str = "", tail: str = "") -> Callable[[int], str]:
    return lambda count: head + piece * count + tail


def nested(depth: int, line: Callable[[int], str]) -> str:
    return "".join(line(level) for level in range(depth))


def table(count: int) -> str:
    row = "|a" * count + "|\n"
    return row + "|-" * count + "|\n" + row * 3


def demo_prose() -> str:
    text = ""
    for path in sorted(DEMO.glob("*.md")):
        _front, body, _line = split_front_matter(path, path.read_text(encoding="utf-8"))
        text += body + "\n\n"
    # Their citations become plain brackets: the keys are the demo's own, not KEYS.
    return text.replace("[^", "[")


DEPTH = body_limits.MAX_NESTING
# A gated block in the innermost of DEPTH - 1 nested lists: DEPTH levels in all.
LISTED = nested(DEPTH - 1, lambda n: "  " * n + "- An item\n")
INDENT = "  " * (DEPTH - 1)
CASES = [
    Case("demo articles (for comparison)", repeated(demo_prose())),
    Case("plain paragraphs", repeated("Sleep shapes how we feel and how we feel shapes sleep.\n\n")),
    Case("quotes nested to the limit", repeated("> " * DEPTH + "A quoted line.\n\n")),
    Case("lists nested to the limit", repeated(nested(DEPTH, lambda n: "  " * n + "- An item\n") + "\n")),
    Case("ordered lists nested", repeated(nested(DEPTH, lambda n: "   " * n + "1. An item\n") + "\n")),
    Case(
        "gated blocks inside lists",
        repeated(LISTED + f"\n{INDENT}::: professional\n{INDENT}Dosing.\n{INDENT}:::\n\n"),
    ),
    Case("gated blocks", repeated("::: professional physician\nDosing.\n:::\n\n")),
    Case(
        "gated blocks, two audiences",
        repeated("::: professional dentist\nA.\n:::\n\n::: professional pharmacist\nB.\n:::\n\n"),
    ),
    Case("equal headings", repeated("## Findings\n\n")),
    Case("distinct headings", repeated("## Findings about sleep\n\n### More\n\n")),
    Case("links", repeated("[a](/b) ")),
    Case("links in paragraphs", repeated("[a](/b) [c](/d)\n\n")),
    Case("autolinks", repeated("<https://a.example> ")),
    Case("images", repeated("![a](/x.png) ")),
    Case("figures", repeated('![a](/x.png "A caption")\n\n')),
    Case("citations", repeated("[^ref0]", head="".join(f"[^{key}]" for key in KEYS)), cites=True),
    Case("citations to many keys", repeated("".join(f"[^{key}] " for key in KEYS)), cites=True),
    Case("reference definitions and uses", repeated("[l]\n", head="[l]: /x\n\n")),
    Case("emphasis", repeated("*a* ")),
    Case("unclosed emphasis", repeated("*a ")),
    Case("mixed emphasis", repeated("*a **a ")),
    Case("underscores", repeated("a_")),
    Case("strikethrough", repeated("~~a ")),
    Case("nested emphasis", lambda count: "*" * count + "a" + "*" * count),
    Case("backticks", repeated("`a``")),
    Case("brackets", repeated("[")),
    Case("nested brackets", lambda count: "[" * count + "a" + "](/b)" * count),
    Case("image brackets", repeated("![")),
    Case("open links", repeated("[a](")),
    Case("angle brackets", repeated("<")),
    Case("entities", repeated("&amp;")),
    Case("hard breaks", repeated("a  \n")),
    Case("smart quotes", repeated("'a\" ")),
    Case("code fences", repeated("```\ncode\n```\n\n")),
    Case("table rows", repeated("|x|y|\n", head="|a|b|\n|-|-|\n")),
    Case("wide table", table),
    Case("table with empty cells", repeated("x\n", head="|" + "a|" * 400 + "\n|" + "-|" * 400 + "\n")),
    Case("horizontal rules", repeated("***\n\n")),
    Case("headings with emphasis", repeated("## *a* _b_ `c`\n\n")),
]


def accepted(case: Case, count: int) -> bool:
    return check_body(case.build(count), set(KEYS) if case.cites else set()) == []


def largest_accepted(case: Case) -> int:
    """The most repetitions the caps accept (by bisection: more never passes where fewer fail)."""
    low, high = 0, body_limits.ARTICLE_MAX_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(case, middle):
            low = middle
        else:
            high = middle - 1
    return low


def measure(source: str, cites: bool, repeat: int) -> tuple[float, float]:
    """The best CPU and wall times, in ms, of rendering for a visitor and for a physician."""
    references = REFERENCES if cites else []
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        for viewer in (VISITOR, PHYSICIAN):
            cpu, wall = time.process_time(), time.perf_counter()
            render_body(source, viewer=viewer, references=references, panel=lambda _a: "<p>Locked.</p>")
            best_cpu = min(best_cpu, (time.process_time() - cpu) * 1000)
            best_wall = min(best_wall, (time.perf_counter() - wall) * 1000)
    return best_cpu, best_wall


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument("cases", nargs="*", help="only the cases whose name contains one of these words")
    options = parser.parse_args()
    cases = [c for c in CASES if not options.cases or any(word in c.name for word in options.cases)]
    print(
        f"caps: {body_limits.ARTICLE_MAX_BYTES // 1024} KB, {body_limits.MAX_MARKUP:,} markup characters, "
        f"{body_limits.MAX_ELEMENTS:,} elements, {body_limits.MAX_NESTING} levels of nesting"
    )
    print(f"{'case':<34} {'KB':>6} {'markup':>7} {'cpu ms':>8} {'wall ms':>8}")
    slowest = ("", 0.0)
    for case in cases:
        source = case.build(largest_accepted(case))
        cpu, wall = measure(source, case.cites, options.repeat)
        markup = len(body_limits.MARKUP.findall(source))
        print(
            f"{case.name:<34} {len(source.encode()) / 1024:6.0f} {markup:7,} {cpu:8.1f} {wall:8.1f}",
            flush=True,
        )
        slowest = max(slowest, (case.name, cpu), key=lambda item: item[1])
    print(f"slowest: {slowest[1]:.1f} ms of CPU time ({slowest[0]}); budget {options.budget_ms:.0f} ms")
    return 0 if slowest[1] <= options.budget_ms else 1


if __name__ == "__main__":
    one_language()
    sys.exit(main())
