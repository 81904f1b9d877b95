"""The demo's German articles: each says what its English original says, with the same references,
citations, figures and gated blocks, and the demo's taxonomy and professions have German names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles.markdown import GATE, block_audience, parse
from app.articles.models import Article, Category, Tag
from app.core import i18n
from app.core.config import PROJECT_ROOT, Settings
from app.core.policy import NAMED_AUDIENCES, Profession
from app.core.text import is_slug, slugify
from app.demo import seed
from app.publishing.importer import FrontMatter, parse_file

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GERMAN = seed.DEMO_ARTICLES / "de"
TAXONOMY = seed.DEMO_ARTICLES.parent / "taxonomy_de.yaml"
TRANSLATION_KEYS = ("language", "translation_of")
ENGLISH = sorted(seed.DEMO_ARTICLES.glob("*.md"))
TRANSLATED = sorted(GERMAN.glob("*.md"))


def read_translation(path: Path) -> tuple[FrontMatter, str, dict[str, str]]:
    """Parse a German file with the importer; also return its translation keys."""
    meta, body = parse_file(path)
    return meta, body, {"language": str(meta.language), "translation_of": str(meta.translation_of)}


def german_slug(text: str) -> str:
    """A slug as a German address writes it: umlauts and ß spelled out, not dropped."""
    for letter, spelled in {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
    }.items():
        text = text.replace(letter, spelled)
    return slugify(text)


@dataclass
class Shape:
    """What a translation must keep from its original: where each citation, gate and figure is."""

    sections: int = 0
    citations: list[tuple[int, str, str]] = field(default_factory=list)  # (section, gate, key)
    gates: list[tuple[int, str, frozenset[Profession]]] = field(default_factory=list)
    figures: list[tuple[int, str]] = field(default_factory=list)  # (section, src)
    captions: list[tuple[str, str]] = field(default_factory=list)  # (alt, title)
    prose: list[str] = field(default_factory=list)


def shape(body: str) -> Shape:
    found, gate = Shape(), ""
    for token in parse(body):
        if token.type == "heading_open" and token.tag == "h2":
            found.sections += 1
        elif token.type == f"container_{GATE}_open":
            gate = token.info.strip()
            found.gates.append((found.sections, gate, block_audience(token).professions))
        elif token.type == f"container_{GATE}_close":
            gate = ""
        for child in token.children or []:
            if child.type == "citation":
                found.citations.append((found.sections, gate, child.meta["key"]))
            elif child.type == "image":
                found.figures.append((found.sections, str(child.attrs["src"])))
                found.captions.append((child.content, str(child.attrs.get("title", ""))))
            elif child.type == "text":
                found.prose.append(child.content)
    return found


def original_of(path: Path) -> tuple[FrontMatter, str]:
    return parse_file(seed.DEMO_ARTICLES / path.name)


def test_the_depression_article_and_at_least_three_others_are_in_german() -> None:
    names = {path.name for path in TRANSLATED}
    assert "01-addressing-immunity-in-depression.md" in names
    assert len(names) >= 4
    assert names <= {path.name for path in ENGLISH}


def svg_texts(path: str) -> tuple[ET.Element, list[str]]:
    """The root of a figure under app/static and the text of each of its elements, spaces joined."""
    root = ET.parse(PROJECT_ROOT / "app" / path.lstrip("/")).getroot()
    return root, [" ".join("".join(element.itertext()).split()) for element in root.iter() if element.text]


def assert_german_figure(src: str, english_src: str) -> None:
    """The German SVG says it is German, and its title, description and words are German ones."""
    german, words = svg_texts(src)
    assert german.get("lang") == "de" and german.get(XML_LANG) == "de"
    english = set(svg_texts(english_src)[1])
    # Nothing is left in English but names and symbols: "Hypothalamus", "IL-6", "TNF-α".
    name = re.compile(r"[\W\d]*[A-Z][\w-]*[\W\d]*")
    assert [text for text in words if text and text in english and not name.fullmatch(text)] == []


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: p.stem)
def test_a_translation_keeps_the_originals_references_gates_and_figures(path: Path, tmp_path: Path) -> None:
    meta, body, keys = read_translation(path)
    english, english_body = original_of(path)
    assert keys == {"language": "de", "translation_of": english.slug}

    # The references stay verbatim, titles in their own language (which the German file names, so
    # that pages mark them as English); so do the article's facts.
    kept = [r.model_dump(exclude={"language"}) for r in meta.references]
    assert kept == [r.model_dump(exclude={"language"}) for r in english.references]
    assert [r.language for r in meta.references] == ["en"] * len(meta.references)
    assert (meta.category, meta.tags, meta.audience) == (english.category, english.tags, english.audience)
    assert (meta.status, meta.published, meta.featured) == (
        english.status,
        english.published,
        english.featured,
    )
    assert (meta.hero_image, bool(meta.hero_alt)) == (english.hero_image, bool(english.hero_alt))

    # Translated: the title, summary and address are German, the slug written out in ASCII.
    assert meta.title != english.title and meta.summary != english.summary
    assert meta.slug and is_slug(meta.slug) and meta.slug != english.slug
    assert set(meta.slug.split("-")) <= set(german_slug(meta.title).split("-"))

    german, original = shape(body), shape(english_body)
    assert german.sections == original.sections
    # The same keys cited in the same sections, in the same order, inside the same gates.
    assert german.citations == original.citations
    assert german.gates == original.gates
    # In the same places; a figure with words in it (an SVG) has a German version beside it.
    assert [section for section, _src in german.figures] == [section for section, _src in original.figures]
    for (_section, src), (_same, english_src) in zip(german.figures, original.figures, strict=True):
        if english_src.endswith(".svg"):
            assert src == english_src.removesuffix(".svg") + "-de.svg"
            assert_german_figure(src, english_src)
        else:
            assert src == english_src
    for (alt, title), (english_alt, english_title) in zip(german.captions, original.captions, strict=True):
        assert alt and alt != english_alt
        assert bool(title) == bool(english_title)
        assert not title or title != english_title


@pytest.mark.parametrize("path", TRANSLATED, ids=lambda p: p.stem)
def test_a_translation_is_set_in_german_typography(path: Path, tmp_path: Path) -> None:
    meta, body, _keys = read_translation(path)
    prose = [meta.title, meta.summary, *shape(body).prose, *(alt for alt, _title in shape(body).captions)]
    for text in prose:
        assert '"' not in text, f"straight quotes instead of „…“ in {text!r}"
        assert " - " not in text, f"a hyphen used as a dash in {text!r}"
        assert not re.search(r"\d\.\d", text), f"a decimal point instead of a comma in {text!r}"
        # A dash never starts a line: the space before it does not break.
        assert not re.search(r"[ \n]–", text), f"a dash that may start a line in {text!r}"


def test_german_slugs_are_unique_and_differ_from_the_english_ones(tmp_path: Path) -> None:
    german = [read_translation(path)[0].slug for path in TRANSLATED]
    english = {parse_file(path)[0].slug for path in ENGLISH}
    assert len(german) == len(set(german))
    assert not set(german) & english


def test_the_demo_loads_each_german_file_as_a_translation(settings: Settings, db: Session) -> None:
    seed.load_into_empty(settings)
    stored = {article.slug: article for article in db.scalars(select(Article))}
    assert set(stored) == {parse_file(path)[0].slug for path in [*ENGLISH, *TRANSLATED]}
    for path in TRANSLATED:
        meta, _body, _keys = read_translation(path)
        german, english = stored[str(meta.slug)], stored[str(meta.translation_of)]
        assert (german.language, english.language) == ("de", "en")
        assert german.translation_group_id == english.id == english.translation_group_id
        assert german.status == english.status


def test_the_demo_names_its_categories_and_tags_in_german(settings: Settings, db: Session) -> None:
    seed.load_into_empty(settings)
    taxonomy = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    category = db.scalars(select(Category).where(Category.name == "Mental health")).one()
    tag = db.scalars(select(Tag).where(Tag.name == "Nutrition")).one()
    assert category.translations == {"de": {"name": taxonomy["categories"]["Mental health"]["name"]}}
    with i18n.using("de"):
        assert (category.label, tag.label) == ("Psychische Gesundheit", "Ernährung")
    assert (category.label, tag.label) == ("Mental health", "Nutrition")


def test_the_taxonomy_names_every_category_tag_and_profession_in_german() -> None:
    taxonomy = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    used = [parse_file(path)[0] for path in ENGLISH]
    assert set(taxonomy["categories"]) == {meta.category for meta in used}
    assert set(taxonomy["tags"]) == {tag for meta in used for tag in meta.tags}
    for kind in ("categories", "tags"):
        entries = taxonomy[kind].values()
        wrong = {
            entry["name"]: entry["slug"] for entry in entries if entry["slug"] != german_slug(entry["name"])
        }
        assert not wrong, f"{kind} whose slug is not their German name written out"
        slugs = [entry["slug"] for entry in entries]
        assert len(slugs) == len(set(slugs)), f"two {kind} share a German slug"
    assert set(taxonomy["professions"]) == {p.value for p in Profession}
    for labels in taxonomy["professions"].values():
        assert labels["singular"] and labels["plural"] and labels["singular"] != labels["plural"]
    assert set(taxonomy["audiences"]) == set(NAMED_AUDIENCES)
