"""How much one article body may hold, for the editor, the importer and every page that renders it.

Rendering parses the Markdown again for each reader, in pure Python: its cost follows the number
of characters at which the parser must try its rules, and the number of elements it makes. Caps
on both, on the size and on the nesting keep every accepted body quick to render, whatever it
holds; `bench/render_worst_case.py` renders the worst bodies that pass and prints the slowest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

ARTICLE_MAX_BYTES = 200 * 1024
# The characters at which markdown-it's inline parser stops to try its rules, the pipes of
# tables and the line breaks at which the block parser does: a long prose article has a few
# thousand (the ten demo articles, repeated to 200 KB: about 6,100).
MARKUP = re.compile(r"[\n!#$%&*+\-:<=>@\[\\\]^_`{}~|]")
MAX_MARKUP = 10_000
# Tokens and their inline children (the demo articles repeated to 200 KB: about 8,800).
MAX_ELEMENTS = 14_000
# Lists, quotes and `:::` blocks inside one another. The parser itself silently stops at 20
# levels (a list counts two), so anything it would drop is refused here first.
MAX_NESTING = 8
CONTAINERS = {"blockquote", "bullet_list", "ordered_list", "container_professional"}


def before_parsing(source: str) -> str:
    """Why the body is too large to parse at all, or ""."""
    size = len(source.encode("utf-8"))
    if size > ARTICLE_MAX_BYTES:
        return (
            f"The body is {-(-size // 1024):,} KB; an article can hold at most {ARTICLE_MAX_BYTES // 1024} "
            "KB. Split it into two articles, or shorten it."
        )
    markup = len(MARKUP.findall(source))
    if markup > MAX_MARKUP:
        return (
            f"The body has {markup:,} Markdown markup characters (such as * _ [ ] ` | # > and line "
            f"breaks); an article can hold at most {MAX_MARKUP:,}. Split it into two articles."
        )
    return ""


def after_parsing(tokens: Sequence[Token]) -> tuple[int, str]:
    """The line and reason at which the parsed body nests too deeply or holds too much; (0, "") if not."""
    depth = elements = line = 0
    for token in tokens:
        line = token.map[0] + 1 if token.map else line
        kind = token.type.removesuffix("_open").removesuffix("_close")
        if kind in CONTAINERS:
            depth += token.nesting
        if depth > MAX_NESTING:
            return line, (
                f"blocks are nested {depth} deep here (lists, quotes and ::: blocks inside one another); "
                f"at most {MAX_NESTING} levels can be shown. Flatten the structure."
            )
        elements += 1 + len(token.children or ())
        if elements > MAX_ELEMENTS:
            return line, (
                f"the body holds more than {MAX_ELEMENTS:,} Markdown elements (paragraphs, list items, "
                "links, emphasis, table cells and the like) by this line; split it into two articles."
            )
    return 0, ""
