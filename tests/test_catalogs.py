"""The translation catalogs: every interface text has its translation, and German pages show them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.core import i18n
from app.core.config import PROJECT_ROOT
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import soup

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
TRANSLATED = [code for code in i18n.catalog_languages() if code != i18n.SOURCE_LANGUAGE]


@cache
def source_messages() -> frozenset[str]:
    """Every msgid in the code and templates, found the way `make messages` finds them."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(found)


def catalog(code: str) -> Catalog:
    with i18n.catalog_path(code).open("rb") as file:
        return read_po(file, locale=code)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_interface_text_has_a_translation(code: str) -> None:
    translated = catalog(code)
    missing = sorted(m for m in source_messages() if not translated.get(m) or not _complete(translated, m))
    assert not missing, f"{code}: {len(missing)} texts without translation (make messages): {missing[:10]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_catalog_keeps_texts_the_site_no_longer_shows(code: str) -> None:
    kept = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(code) if m.id}
    assert not sorted(kept - source_messages())


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder(code: str) -> None:
    wrong = []
    for message in catalog(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        wrong += [ids[0] for text in strings if text and set(PLACEHOLDER.findall(text)) != wanted]
    assert not wrong


def _complete(translated: Catalog, msgid: str) -> bool:
    message = translated.get(msgid)
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


@pytest.fixture
def german(bilingual_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(bilingual_app) as browser:
        _publish_the_pages_to_check(bilingual_app.state.session_factory())
        yield browser


def _publish_the_pages_to_check(db: Session) -> None:
    """Enough articles for every public page to show its lists, panels and page links."""
    gated = (
        "Open words.\n\n::: professional physician\nDosing for physicians only.\n:::\n\nMore [^smith2020].\n"
    )
    factories.article(
        db, slug="gated", body=gated, tags=["Sleep"], references=[factories.reference()], featured=True
    )
    for number in range(5):
        factories.article(db, slug=f"sleep-{number}", summary="Sleep and mood.", tags=["Sleep"])
    db.close()


# The pages whose text is in the catalog; each page joins the list as its text is translated.
GERMAN_PAGES = [
    "/de/",
    "/de/articles",
    "/de/articles?page=2",
    "/de/articles/gated",
    "/de/categories/mental-health",
    "/de/tags/sleep",
    "/de/search?q=sleep",
    "/de/search?q=sleep&page=9",
    "/de/search?q=walrus",
    "/de/search",
    "/de/contact",
    "/de/contact/sent",
    "/de/privacy",
    "/de/terms",
    "/de/imprint",
    "/de/articles/nope",
    "/de/login",
    "/de/forgot-password",
    "/de/request-access",
    "/de/request-access/sent",
    "/de/verify-email",  # a link that does not work
    "/de/reset-password",  # likewise
]


@pytest.mark.parametrize("path", GERMAN_PAGES)
def test_a_german_page_shows_no_interface_text_in_english(german: TestClient, path: str) -> None:
    assert not sorted(shown_texts(german.get(path).text) & _untranslated_english("de"))


# Meta tags whose content people read (in search results, in a shared link's preview); the others
# carry protocol values such as og:type "article".
READ_META = {"description", "og:title", "og:description", "twitter:title", "twitter:description"}


def shown_texts(html: str) -> set[str]:
    """Every text a person reads on the page, and the labels screen readers announce."""
    page = soup(html)
    shown = {" ".join(text.split()) for text in page.stripped_strings}
    for tag in page.find_all(True):
        shown |= {
            str(tag[name]).strip()
            for name in ("aria-label", "placeholder", "title", "alt")
            if tag.has_attr(name)
        }
        if tag.name == "meta" and (tag.get("name") in READ_META or tag.get("property") in READ_META):
            shown.add(str(tag.get("content", "")).strip())
    return shown


@cache
def _untranslated_english(code: str) -> frozenset[str]:
    """The catalog's English texts (without placeholders) whose translation reads differently."""
    texts = set()
    for message in catalog(code):
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else message.string[0]
        if msgid and string and msgid != string and not PLACEHOLDER.search(msgid) and "<" not in msgid:
            texts.add(" ".join(msgid.split()))
    return frozenset(texts)


def test_the_extraction_finds_the_page_templates() -> None:
    assert "Skip to content" in source_messages()
    assert Path(PROJECT_ROOT / "babel.cfg").is_file()
