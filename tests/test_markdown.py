"""The Markdown pipeline: citations, figures, anchors, sanitising and gated blocks."""

from __future__ import annotations

import pytest

from app.articles.markdown import LockedPart, ReferenceData, check_body, render_body, whole_part
from app.core.image_size import static_size, svg_size
from app.core.policy import VISITOR, Audience, Profession, Viewer
from tests.conftest import page_text, soup

REFS = [ReferenceData("a", "Alpha A", "First"), ReferenceData("b", "Beta B", "Second")]


def panel(part: LockedPart) -> str:
    return f'<aside class="locked-panel">Reserved for {part.audience.label}</aside>'


def render(source: str, viewer: Viewer = VISITOR, references: list[ReferenceData] = REFS):  # type: ignore[no-untyped-def]
    return render_body(source, viewer=viewer, references=references, panel=panel)


def test_citations_are_numbered_in_order_of_first_use_and_link_both_ways() -> None:
    body = render("Later[^b] then earlier[^a] and again[^b].")
    links = [a.get_text() for a in soup(body.html).select("sup.citation a")]
    assert links == ["[1]", "[2]", "[1]"]
    assert [(c.number, c.reference.key) for c in body.references] == [(1, "b"), (2, "a")]
    assert body.references[0].backlinks == ("cite-1-1", "cite-1-2")
    assert soup(body.html).select_one("sup#cite-1-2 a")["href"] == "#ref-1"


def test_references_that_are_not_cited_are_not_listed() -> None:
    body = render("Only[^a].")
    assert [c.reference.key for c in body.references] == ["a"]


def test_an_image_alone_in_a_paragraph_becomes_a_figure_with_caption() -> None:
    html = soup(render('![Cytokines reach the brain](/static/x.svg "How signals travel")').html)
    figure = html.select_one("figure.figure")
    assert figure.img["alt"] == "Cytokines reach the brain"
    assert figure.img["src"] == "/static/x.svg"
    assert figure.figcaption.get_text() == "How signals travel"
    assert html.select_one("p figure") is None


def test_a_figure_has_its_measured_size_and_links_to_the_full_size_file() -> None:
    asked: list[list[str]] = []

    def sizes(sources):  # type: ignore[no-untyped-def]
        asked.append(list(sources))
        return {"/media/7/chart.png": (1200, 800)}

    source = "\n\n".join(
        (
            "![A chart](/media/7/chart.png)",
            "![Unknown](/media/8/gone.png)",
            "Inline ![x](/media/9/y.png) image.",
        )
    )
    body = render_body(source, viewer=VISITOR, references=[], panel=panel, sizes=sizes)
    measured, unknown = soup(body.html).select("figure.figure")

    assert asked == [["/media/7/chart.png", "/media/8/gone.png"]]
    assert (measured.img["width"], measured.img["height"]) == ("1200", "800")
    assert measured.a["href"] == "/media/7/chart.png" and measured.a.img["alt"] == "A chart"
    assert not unknown.img.has_attr("width") and unknown.a["href"] == "/media/8/gone.png"


def test_the_sites_own_figures_are_measured_from_their_svg() -> None:
    body = render("![Immune signals](/static/figures/immunity-depression.svg)")
    img = soup(body.html).select_one("figure a img")
    assert (img["width"], img["height"]) == ("960", "600")


def test_an_svg_is_measured_by_its_pixel_size_or_else_its_view_box() -> None:
    assert svg_size(b'<svg xmlns="http://www.w3.org/2000/svg" width="300px" height="200">') == (300, 200)
    assert svg_size(b'<?xml version="1.0"?>\n<svg width="100%" viewBox="0 0 640.4 480">') == (640, 480)
    assert svg_size(b'<svg viewBox="0,0,0,10">') is None
    assert svg_size(b"<html><body>not a drawing</body></html>") is None


def test_only_the_sites_own_files_are_measured_by_their_address() -> None:
    assert static_size("/static/figures/immunity-depression.svg") == (960, 600)
    assert static_size("/static/../../pyproject.toml") is None
    assert static_size("/static/figures/missing.svg") is None


def test_a_figure_from_another_site_opens_without_opener_or_referrer() -> None:
    link = soup(render("![A photo](https://images.example/photo.jpg)").html).select_one("figure a")
    assert link["href"] == "https://images.example/photo.jpg" and link["rel"] == ["noopener", "noreferrer"]


def test_headings_get_anchors_and_long_articles_a_table_of_contents() -> None:
    source = "\n\n".join(f"## Part {n}\n\ntext" for n in range(1, 4))
    body = render(source)
    assert [(e.anchor, e.text) for e in body.toc] == [
        ("part-1", "Part 1"),
        ("part-2", "Part 2"),
        ("part-3", "Part 3"),
    ]
    assert soup(body.html).select_one("h2#part-2").get_text() == "Part 2"


def test_short_articles_have_no_table_of_contents() -> None:
    assert render("## Only one\n\ntext").toc == []


def test_reading_time_counts_words_at_two_hundred_a_minute() -> None:
    assert render("word " * 50).reading_minutes == 1
    assert render("word " * 401).reading_minutes == 3


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "![pic](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "<iframe src='https://evil.example'></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_hostile_markdown_cannot_produce_active_content(hostile: str) -> None:
    html = render(f"Before.\n\n{hostile}\n\nAfter.").html
    tree = soup(html)
    assert tree.find(["script", "iframe", "div", "style"]) is None
    for element in tree.find_all(True):
        assert not any(name.startswith("on") or name == "style" for name in element.attrs)
        for name in ("href", "src"):
            assert not element.get(name, "").lower().startswith(("javascript:", "data:"))
    assert "Before." in page_text(html) and "After." in page_text(html)


def test_raw_html_is_shown_as_text_not_markup() -> None:
    assert "<b>bold</b>" in page_text(render("<b>bold</b>").html)


GATED = """Public intro.

## Public heading

::: professional prescribers
## Dosing notes
SECRET-PRESCRIBERS text citing[^b].
:::

::: professional
SECRET-ALL for every profession.
:::

Public outro citing[^a].
"""


def test_a_visitor_gets_panels_and_none_of_the_gated_text() -> None:
    body = render(GATED)
    text = page_text(body.html)
    assert "SECRET" not in body.html
    assert "Dosing notes" not in body.html
    assert "Public intro." in text and "Public outro" in text
    assert [p.get_text() for p in soup(body.html).select("aside.locked-panel")] == [
        "Reserved for Prescribers",
        "Reserved for Health professionals",
    ]
    assert body.locked_blocks == 2


def test_gated_text_leaves_no_trace_in_toc_references_or_reading_time() -> None:
    body = render(GATED)
    assert all(e.text != "Dosing notes" for e in body.toc)
    assert [c.reference.key for c in body.references] == ["a"]
    assert [a.get_text() for a in soup(body.html).select("sup.citation a")] == ["[1]"]


def test_a_professional_reads_the_blocks_meant_for_their_profession() -> None:
    therapist = render(GATED, Viewer(profession=Profession.THERAPIST))
    assert "SECRET-ALL" in therapist.html and "SECRET-PRESCRIBERS" not in therapist.html
    physician = render(GATED, Viewer(profession=Profession.PHYSICIAN))
    assert "SECRET-ALL" in physician.html and "SECRET-PRESCRIBERS" in physician.html
    assert [c.reference.key for c in physician.references] == ["b", "a"]
    assert physician.locked_blocks == 0


def test_a_nested_gated_block_is_removed_with_its_parent() -> None:
    source = (
        "::::: professional\nOUTER\n\n::: professional physician\nINNER\n:::\n\nOUTER-TAIL\n:::::\n\nafter"
    )
    body = render(source)
    assert "OUTER" not in body.html and "INNER" not in body.html
    assert "after" in page_text(body.html)
    assert body.locked_blocks == 1


def test_nesting_with_equal_fences_is_refused_because_it_would_publish_the_tail() -> None:
    source = "::: professional\nOUTER\n\n::: professional physician\nINNER\n:::\n\nOUTER-TAIL\n:::\n"
    problems = check_body(source, set())
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [(8, "a `:::` line here closes no block")]


def test_check_body_names_the_line_of_each_problem() -> None:
    source = (
        "# A title heading\n"
        "\n"
        "Cites [^missing].\n"
        "\n"
        "![](/static/x.svg)\n"
        "\n"
        "::: professional surgeons\n"
        "text\n"
        ":::\n"
        "\n"
        "::: professional\n"
        "never closed\n"
    )
    problems = {(p.line, p.message) for p in check_body(source, {"unused"})}
    assert (1, "use ## for sections: the title is the page's heading") in problems
    assert (3, "citation [^missing] has no matching reference") in problems
    assert (5, "image has no alt text: write ![description](src)") in problems
    assert any(line == 7 and "unknown audience 'surgeons'" in msg for line, msg in problems)
    assert (11, "`::: professional` block is never closed with `:::`") in problems
    assert (0, "reference 'unused' is never cited in the body") in problems


def test_code_blocks_keep_their_text_and_close_their_tags() -> None:
    html = render("Before.\n\n```\nCRP 4.2 mg/l\n```\n\n    indented code\n\nAfter.").html
    tree = soup(html)
    assert [c.get_text() for c in tree.select("pre > code")] == ["CRP 4.2 mg/l\n", "indented code\n"]
    assert tree.select("p")[-1].get_text() == "After." and tree.select_one("code p") is None


def test_tables_scroll_in_their_own_box() -> None:
    html = soup(render("| a | b |\n|---|---|\n| 1 | 2 |").html)
    assert html.select_one("div.table-scroll > table td").get_text() == "1"


def test_slugs_split_words_at_dashes_and_drop_accents() -> None:
    from app.core.text import slugify

    assert slugify("The gut–brain axis: Ärzte & Café") == "the-gut-brain-axis-arzte-cafe"


def test_column_alignment_is_a_class_not_an_inline_style() -> None:
    html = soup(render("| drug | dose |\n|:--|--:|\n| A | 5 mg |").html)
    assert [cell["class"] for cell in html.select("th, td")] == [["align-left"], ["align-right"]] * 2
    assert html.find(style=True) is None


def test_links_to_other_sites_carry_noopener_noreferrer() -> None:
    source = "Read [the trial](https://example.org/t?a=1), <http://example.net>, [ours](/articles/x), [^a]."
    links = {a["href"]: a.get("rel") for a in soup(render(source).html).find_all("a")}
    assert links == {
        "https://example.org/t?a=1": ["noopener", "noreferrer"],
        "http://example.net": ["noopener", "noreferrer"],
        "/articles/x": None,
        "#ref-1": None,
    }


def test_repeated_headings_get_numbered_anchors() -> None:
    html = soup(render("## A\n\n## A\n\n### A-1\n\n## A\n\n#### A\n").html)
    assert [h.get("id") for h in html.select("h2, h3, h4")] == ["a", "a-1", "a-1-1", "a-2", None]


def test_a_public_headings_anchor_tells_nothing_of_a_gated_heading_before_it() -> None:
    source = "::: professional\n## Dosing\n\nStart low.\n:::\n\n## Dosing\n\nOpen.\n"
    visitor = soup(render(source).html)
    staff = soup(render(source, Viewer(is_staff=True, logged_in=True)).html)
    assert [h["id"] for h in visitor.select("h2")] == ["dosing"]
    assert [h["id"] for h in staff.select("h2")] == ["dosing-1", "dosing"]


def test_each_locked_block_gets_the_panel_of_its_audience_in_order() -> None:
    made: list[str] = []

    def counting_panel(part: LockedPart) -> str:
        made.append(part.audience.label)
        return panel(part)

    source = "".join(
        f"::: professional {who}\nFor {who}.\n:::\n\nOpen {n}.\n\n"
        for n, who in enumerate(["dentist", "pharmacist", "dentist", "pharmacist", "dentist"])
    )
    body = render_body(source, viewer=VISITOR, references=[], panel=counting_panel)
    panels = [p.get_text() for p in soup(body.html).select("aside.locked-panel")]
    assert len(panels) == 5 and panels[0] == panels[2] == panels[4] != panels[1] == panels[3]
    assert page_text(body.html).index("Open 0") < page_text(body.html).index("Open 4")
    assert len(made) == 2 and "locked-slot" not in body.html


def test_german_headings_spell_umlauts_out_in_their_anchors() -> None:
    source = "## Entzündung und Gehirn\n\n## Größe, Maße und Übelkeit\n"
    german = render_body(source, viewer=VISITOR, panel=panel, language="de")
    assert [h["id"] for h in soup(german.html).select("h2")] == [
        "entzuendung-und-gehirn",
        "groesse-masse-und-uebelkeit",
    ]
    # An English article's anchors stay as they were, even for a German name in a heading.
    english = render("## Inflammation and the brain\n\n## Müller’s findings\n")
    assert [h["id"] for h in soup(english.html).select("h2")] == [
        "inflammation-and-the-brain",
        "muller-s-findings",
    ]


def test_a_readable_gated_block_is_a_box_labelled_with_its_audience() -> None:
    html = soup(render(GATED, Viewer(profession=Profession.PHYSICIAN)).html)
    boxes = html.select("section.gated")
    labels = [html.select_one(f"#{box['aria-labelledby']}").get_text() for box in boxes]
    assert labels == ["For prescribers", "For health professionals"]
    assert "SECRET-PRESCRIBERS" in page_text(str(boxes[0])) and "SECRET-ALL" in page_text(str(boxes[1]))
    assert "Public intro." not in page_text(str(boxes[0]))


def test_the_box_adds_no_words_to_the_reading_time_or_headings() -> None:
    source = "## Open\n\n" + "word " * 190 + "\n\n::: professional\n" + "more " * 15 + "\n:::\n"
    body = render(source, Viewer(profession=Profession.PHYSICIAN))
    assert body.reading_minutes == 2
    assert [e.text for e in body.toc] == []
    assert render(source.replace("::: professional\n", "").replace(":::\n", ""), VISITOR).reading_minutes == 2


def test_a_panel_is_told_how_many_blocks_and_words_its_audience_holds_never_the_text() -> None:
    told: list[LockedPart] = []

    def telling(part: LockedPart) -> str:
        told.append(part)
        return f"<aside>{part.sections} {part.about_words}</aside>"

    source = (
        "::: professional dentist\n" + "one " * 14 + "\n:::\n\nOpen.\n\n"
        "::: professional pharmacist\nshort\n:::\n\n"
        "::: professional dentist\n```\n" + "two " * 20 + "\n```\n:::\n"
    )
    body = render_body(source, viewer=VISITOR, references=[], panel=telling)
    dentist, pharmacist = told
    assert (dentist.sections, dentist.words, dentist.about_words) == (2, 34, 30)
    assert (pharmacist.sections, pharmacist.words, pharmacist.about_words) == (1, 1, 10)
    assert [a.get_text() for a in soup(body.html).select("aside")] == ["2 30", "1 10", "2 30"]


def test_a_closed_article_is_told_as_a_whole_with_all_its_words() -> None:
    part = whole_part("## Heading words\n\n" + "word " * 44, Audience(frozenset({Profession.DENTIST})))
    assert (part.whole, part.words, part.about_words) == (True, 46, 50)
