"""Markdown to safe HTML, with citations, figures, anchors and gated `::: professional` blocks.

Gated blocks are cut out of the token stream *before* anything is rendered or counted, so text a
viewer may not read never reaches the HTML, the table of contents, the reading time or the list
of references. Each cut block leaves a slot that the caller fills with the panel that fits.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup, escape
from mdit_py_plugins.container import container_plugin

from app.articles import body_limits
from app.core.i18n import gettext as _
from app.core.image_size import Size, static_sizes
from app.core.policy import (
    Audience,
    AudienceError,
    Profession,
    Viewer,
    audience_in_text,
    may_read,
    parse_audience,
)
from app.core.text import slugify

GATE = "professional"
WORDS_PER_MINUTE = 200
TOC_MIN_HEADINGS = 3
# A `:::` left in the text closes no block. It usually means a block was nested inside another
# with the same fence: the inner `:::` then closes the *outer* block and what follows is public.
STRAY_FENCE = re.compile(r"^:{3,}\s*$", re.MULTILINE)
STRAY_FENCE_MESSAGE = (
    "a `:::` line here closes no block; to nest blocks, give the outer one a longer fence (`::::`)"
)
CITATION = re.compile(r"\[\^([A-Za-z0-9_.:-]{1,60})\]")
# Another site opened from an article gets neither a handle on our tab nor the page's address.
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
EXTERNAL_REL = "noopener noreferrer"

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "strong",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "div",
    "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "id", "title", "class", "rel"},
    "img": {"src", "alt", "title", "loading", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "sup": {"id", "class"},
    "p": {"id", "class"},
    "section": {"class", "aria-labelledby"},
    "div": {"class"},
    "figure": {"class"},
    "ol": {"start"},
    "th": {"class"},
    "td": {"class"},
    "span": {"class"},
}


@dataclass(frozen=True)
class ReferenceData:
    """What the renderer needs of a bibliographic entry."""

    key: str
    authors: str
    title: str
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    language: str = ""  # of its title and journal, when not the article's


@dataclass(frozen=True)
class CitedReference:
    number: int
    anchor: str
    reference: ReferenceData
    backlinks: tuple[str, ...]


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    text: str
    level: int


@dataclass(frozen=True)
class RenderedBody:
    html: Markup
    toc: list[TocEntry]
    references: list[CitedReference]
    reading_minutes: int
    locked_blocks: int


@dataclass(frozen=True)
class LockedPart:
    """What a panel stands for: whom the text is for and how much of it there is, never the text.

    `sections` counts the blocks of this audience the reader may not read in the article, `words`
    their words; `whole` is an article whose whole body is for that audience.
    """

    audience: Audience
    sections: int = 1
    words: int = 0
    whole: bool = False

    @property
    def about_words(self) -> int:
        """The words in tens: an idea of the length, not a measure of the text."""
        return max(10, round(self.words, -1))


@dataclass
class _RenderState:
    numbers: dict[str, int] = field(default_factory=dict)
    uses: dict[str, list[str]] = field(default_factory=dict)


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[^", state.pos):
        return False
    match = CITATION.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"key": match.group(1)}
    state.pos = match.end()
    return True


def _anchor_rule(state: StateCore) -> None:
    """Give each h2 and h3 an id from its text: `findings`, then `findings-1`, `findings-2`...

    The ids mdit-py-plugins' anchors plugin gave, found in linear time: it tries every suffix
    from 1 again for each repeated heading, which thousands of equal headings make quadratic.
    """
    taken: set[str] = set()
    last_suffix: dict[str, int] = {}
    for index in _headings_public_first(state.tokens):
        token = state.tokens[index]
        children = state.tokens[index + 1].children or []
        text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        base = slugify(text, state.env.get("language", ""))
        suffix = last_suffix.get(base, 0)
        slug = f"{base}-{suffix}" if suffix else base
        while slug in taken:
            suffix += 1
            slug = f"{base}-{suffix}"
        last_suffix[base] = suffix
        taken.add(slug)
        token.attrSet("id", slug)


def _headings_public_first(tokens: list[Token]) -> list[int]:
    """Where the h2 and h3 headings are: those outside gated blocks first, so that no public
    heading's anchor (`dosing-1`) tells a visitor of a gated heading before it."""
    headings: list[tuple[bool, int]] = []
    depth = 0
    for index, token in enumerate(tokens):
        if token.type == f"container_{GATE}_open":
            depth += 1
        elif token.type == f"container_{GATE}_close":
            depth -= 1
        elif token.type == "heading_open" and token.tag in ("h2", "h3"):
            headings.append((depth > 0, index))
    return [index for _gated, index in sorted(headings)]


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough"])
    md.use(container_plugin, GATE)
    md.core.ruler.push("anchor", _anchor_rule)
    md.inline.ruler.before("link", "citation", _citation_rule)
    return md


PARSER = _build_parser()
RENDERER = cast(RendererHTML, PARSER.renderer)


def parse(source: str, language: str = "") -> list[Token]:
    """The tokens of a body; `language` is the article's, which its heading anchors are spelled in."""
    return PARSER.parse(source, {"language": language})


def block_audience(token: Token) -> Audience:
    """The audience named after `::: professional`; the keyword alone means all professions."""
    words = token.info.split()[1:]
    return parse_audience(words or [GATE])


def gated_readers(source: str) -> frozenset[Profession]:
    """The professions that read at least one gated block of a body, as the renderer cuts it.

    A block inside another is read only by those who may read both, so its readers are narrowed
    by every block around it.
    """
    readers: set[Profession] = set()
    around: list[frozenset[Profession]] = []
    for token in parse(source):
        if token.type == f"container_{GATE}_open":
            professions = block_audience(token).professions
            professions = professions & around[-1] if around else professions
            around.append(professions)
            readers |= professions
        elif token.type == f"container_{GATE}_close" and around:
            around.pop()
    return frozenset(readers)


def gated_audiences(source: str) -> list[Audience]:
    """The audience of every gated block in a body, in order."""
    return [block_audience(t) for t in parse(source) if t.type == f"container_{GATE}_open"]


def _cut_gated(tokens: list[Token], viewer: Viewer) -> tuple[list[Token], list[LockedPart]]:
    """Replace each block the viewer may not read by a single `locked` token; mark the others as
    `gated_open`/`gated_close`, which become a box labelled with their audience."""
    kept: list[Token] = []
    locked: list[LockedPart] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == f"container_{GATE}_open":
            audience = block_audience(token)
            if may_read(viewer, audience):
                kept.append(Token("gated_open", "section", 1, meta={"audience": audience}))
            else:
                close = _matching_close(tokens, i)
                slot = Token("locked", "", 0, meta={"index": len(locked)})
                locked.append(LockedPart(audience, words=_words(tokens[i:close])))
                kept.append(slot)
                i = close
        elif token.type == f"container_{GATE}_close":
            kept.append(Token("gated_close", "section", -1))
        else:
            kept.append(token)
        i += 1
    return kept, locked


def _by_audience(locked: Sequence[LockedPart]) -> dict[Audience, LockedPart]:
    """Each audience's locked blocks taken together: how many, and how many words."""
    parts: dict[Audience, LockedPart] = {}
    for part in locked:
        before = parts.get(part.audience, LockedPart(part.audience, sections=0))
        parts[part.audience] = LockedPart(part.audience, before.sections + 1, before.words + part.words)
    return parts


def _matching_close(tokens: list[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting if tokens[j].type.startswith(f"container_{GATE}") else 0
        if depth == 0:
            return j
    return len(tokens) - 1


def _lift_figures(tokens: list[Token]) -> list[Token]:
    """A paragraph holding only an image becomes a figure with its title as the caption."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        window = tokens[i : i + 3]
        if (
            len(window) == 3
            and window[0].type == "paragraph_open"
            and window[1].children
            and len(window[1].children) == 1
            and window[1].children[0].type == "image"
        ):
            out.append(Token("figure", "figure", 0, meta={"image": window[1].children[0]}))
            i += 3
            continue
        out.append(tokens[i])
        i += 1
    return out


def _number_citations(tokens: Sequence[Token], keys: set[str]) -> _RenderState:
    state = _RenderState()
    for token in tokens:
        for child in token.children or []:
            key = child.meta.get("key") if child.type == "citation" else None
            if key in keys:
                state.numbers.setdefault(key, len(state.numbers) + 1)
    return state


def _render_citation(key: str, state: _RenderState) -> str:
    number = state.numbers.get(key)
    if number is None:
        return f"[{escape(key)}?]"
    uses = state.uses.setdefault(key, [])
    anchor = f"cite-{number}-{len(uses) + 1}"
    uses.append(anchor)
    return (
        f'<sup class="citation" id="{anchor}">'
        f'<a href="#ref-{number}" class="citation-link">[{number}]</a></sup>'
    )


def _figure_source(token: Token) -> str:
    return str(token.meta["image"].attrGet("src") or "")


def _render_figure(image: Token, size: Size | None) -> str:
    """The figure, its image sized before it loads and a link to the file at full size (a phone
    shows a wide infographic too small to read)."""
    alt = escape(image.content)
    address = str(image.attrGet("src") or "")
    src = escape(address)
    measured = f' width="{size[0]}" height="{size[1]}"' if size else ""
    rel = f' rel="{EXTERNAL_REL}"' if EXTERNAL.match(address) else ""
    caption = image.attrGet("title")
    figcaption = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="figure"><a class="figure__full" href="{src}"{rel}>'
        f'<img src="{src}" alt="{alt}"{measured} loading="lazy"></a>{figcaption}</figure>\n'
    )


def gated_label(audience: Audience) -> str:
    """What the box around a gated block says it is for (the locked panel's own wording)."""
    if audience.is_every_profession:
        return _("For health professionals")
    return _("For %(readers)s") % {"readers": audience_in_text(audience)}


def _render(
    tokens: list[Token],
    state: _RenderState,
    slot_marker: Callable[[int], str],
    sizes: Mapping[str, Size],
) -> str:
    parts: list[str] = []
    boxes = 0
    for index, token in enumerate(tokens):
        if token.type == "locked":
            parts.append(f'<div class="locked-slot">{slot_marker(token.meta["index"])}</div>\n')
        elif token.type == "gated_open":
            boxes += 1
            label = escape(gated_label(token.meta["audience"]))
            # An underscore, which no heading's anchor holds: no heading can take the box's label.
            parts.append(
                f'<section class="gated" aria-labelledby="gated_part_{boxes}">'
                f'<p class="gated__label" id="gated_part_{boxes}">{label}</p>\n'
            )
        elif token.type == "gated_close":
            parts.append("</section>\n")
        elif token.type == "figure":
            parts.append(_render_figure(token.meta["image"], sizes.get(_figure_source(token))))
        elif token.type == "inline":
            parts.append(_render_inline(token.children or [], state))
        elif token.type in ("fence", "code_block"):
            parts.append(RENDERER.rules[token.type](tokens, index, PARSER.options, {}))
        elif token.type == "table_open":
            # Wide tables scroll inside their own box instead of widening the page on phones.
            parts.append(
                '<div class="table-scroll">' + RENDERER.renderToken(tokens, index, PARSER.options, {})
            )
        elif token.type == "table_close":
            parts.append(RENDERER.renderToken(tokens, index, PARSER.options, {}) + "</div>\n")
        elif token.type in ("th_open", "td_open"):
            _align_by_class(token)
            parts.append(RENDERER.renderToken(tokens, index, PARSER.options, {}))
        else:
            parts.append(RENDERER.renderToken(tokens, index, PARSER.options, {}))
    return "".join(parts)


def _align_by_class(cell: Token) -> None:
    """Turn a column's `style="text-align:..."` into a class: the CSP allows no style attributes."""
    style = str(cell.attrs.pop("style", ""))
    if style.startswith("text-align:"):
        cell.attrSet("class", "align-" + style.removeprefix("text-align:"))


def _render_inline(children: list[Token], state: _RenderState) -> str:
    parts: list[str] = []
    run: list[Token] = []
    for child in children:
        if child.type == "link_open" and EXTERNAL.match(str(child.attrGet("href") or "")):
            child.attrSet("rel", EXTERNAL_REL)
        if child.type == "citation":
            parts.append(RENDERER.renderInline(run, PARSER.options, {}))
            parts.append(_render_citation(child.meta["key"], state))
            run = []
        else:
            run.append(child)
    parts.append(RENDERER.renderInline(run, PARSER.options, {}))
    return "".join(parts)


def _toc(tokens: Sequence[Token]) -> list[TocEntry]:
    entries = []
    for heading, inline in zip(tokens, tokens[1:], strict=False):
        if heading.type == "heading_open" and heading.tag in ("h2", "h3"):
            anchor = str(heading.attrGet("id") or "")
            entries.append(TocEntry(anchor, inline.content, int(heading.tag[1])))
    return entries if sum(e.level == 2 for e in entries) >= TOC_MIN_HEADINGS else []


def _words(tokens: Sequence[Token]) -> int:
    return sum(len(t.content.split()) for t in tokens if t.type in ("inline", "fence", "code_block"))


def _reading_minutes(tokens: Sequence[Token]) -> int:
    return max(1, math.ceil(_words(tokens) / WORDS_PER_MINUTE))


def whole_part(source: str, audience: Audience) -> LockedPart:
    """What the panel in place of a whole body stands for: its audience and all its words."""
    return LockedPart(audience, sections=0, words=_words(parse(source)), whole=True)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


def render_body(
    source: str,
    *,
    viewer: Viewer,
    references: Sequence[ReferenceData] = (),
    panel: Callable[[LockedPart], str],
    sizes: Callable[[Sequence[str]], Mapping[str, Size]] = static_sizes,
    language: str = "",
) -> RenderedBody:
    """Render Markdown for one viewer, with each block they may not read replaced by `panel`.

    A panel is made once per audience and told how much of the article that audience holds.
    `sizes` measures the figures the viewer sees (asked once, with all their addresses).
    """
    tokens, locked = _cut_gated(parse(source, language), viewer)
    tokens = _lift_figures(tokens)
    sources = list(dict.fromkeys(_figure_source(t) for t in tokens if t.type == "figure"))
    measured = sizes(sources) if sources else {}
    by_key = {r.key: r for r in references}
    state = _RenderState()
    state.numbers = _number_citations(tokens, set(by_key)).numbers
    nonce = secrets.token_hex(8)
    html = sanitize(_render(tokens, state, lambda i: f"locked-{nonce}-{i}", measured))
    # One pass over the HTML, and one panel per audience, however many blocks are locked.
    panels: dict[Audience, str] = {}
    by_audience = _by_audience(locked)

    def fill(slot: re.Match[str]) -> str:
        audience = locked[int(slot.group(1))].audience
        if audience not in panels:
            panels[audience] = panel(by_audience[audience])
        return panels[audience]

    html = re.sub(f'<div class="locked-slot">locked-{nonce}-([0-9]+)</div>', fill, html)
    cited = [
        CitedReference(n, f"ref-{n}", by_key[key], tuple(state.uses.get(key, [])))
        for key, n in sorted(state.numbers.items(), key=lambda item: item[1])
    ]
    # The HTML was sanitised above and the panels come from our own templates.
    return RenderedBody(
        Markup(html),  # noqa: S704
        _toc(tokens),
        cited,
        _reading_minutes(tokens),
        len(locked),
    )


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def limit_problem(source: str) -> Problem | None:
    """Why the body is too large or too intricate to render quickly (body_limits), if it is."""
    if message := body_limits.before_parsing(source):
        return Problem(0, message)
    line, message = body_limits.after_parsing(parse(source))
    return Problem(line, message) if message else None


def check_body(source: str, reference_keys: set[str]) -> list[Problem]:
    """Find what an author must fix: size and nesting, bad audiences, open blocks, missing alt
    text, bad citations."""
    if message := body_limits.before_parsing(source):
        return [Problem(0, message)]
    tokens = parse(source)
    line, message = body_limits.after_parsing(tokens)
    if message:
        return [Problem(line, message)]
    lines = source.splitlines()
    problems: list[Problem] = []
    cited: set[str] = set()
    for token in tokens:
        line = (token.map[0] + 1) if token.map else 0
        if token.type == "heading_open" and token.tag == "h1":
            problems.append(Problem(line, "use ## for sections: the title is the page's heading"))
        if token.type == f"container_{GATE}_open":
            try:
                block_audience(token)
            except AudienceError as error:
                problems.append(Problem(line, str(error)))
            closing = token.map[1] if token.map else len(lines)
            if closing >= len(lines) or lines[closing].strip() != ":::":
                problems.append(Problem(line, "`::: professional` block is never closed with `:::`"))
        if token.type == "inline" and STRAY_FENCE.search(token.content):
            problems.append(Problem(line, STRAY_FENCE_MESSAGE))
        for child in token.children or []:
            if child.type == "image" and not child.content.strip():
                problems.append(Problem(line, "image has no alt text: write ![description](src)"))
            if child.type == "citation":
                key = child.meta["key"]
                cited.add(key)
                if key not in reference_keys:
                    problems.append(Problem(line, f"citation [^{key}] has no matching reference"))
    for key in sorted(reference_keys - cited):
        problems.append(Problem(0, f"reference {key!r} is never cited in the body"))
    return problems
