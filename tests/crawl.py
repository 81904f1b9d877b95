"""Follow every link a visitor can reach, for tests that must see the whole site."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urldefrag, urlsplit

from tests.asgi_client import TestClient

# An <a>, <link> or <img> start tag, its attributes read one by one so that no text inside a
# quoted value is taken for an attribute; comments are skipped first. A regular expression instead
# of a parser: a crawl reads every page of the site for every kind of viewer, and building a tree
# of each page cost about a third as much as rendering it.
COMMENT = re.compile(r"<!--.*?-->", re.S)
LINKING_TAG = re.compile(r"""<(?:a|link|img)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.I)
ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def normalise(text: str) -> str:
    """Lowercase words only, so a sentence matches whatever markup or typography surrounds it."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def links(html: str) -> list[str]:
    """The href of each <a> and <link> and the src of each <img>, in page order, as a browser reads them."""
    found = []
    for tag in LINKING_TAG.finditer(COMMENT.sub("", html)):
        attributes: dict[str, str] = {}
        for name, double, single, bare in ATTRIBUTE.findall(tag.group(1)):
            # The first of a repeated attribute counts, as in a browser.
            attributes.setdefault(name.lower(), unescape(double or single or bare))
        found.append(attributes.get("href") or attributes.get("src") or "")
    return found


def through_switch(target: str) -> str:
    """Where a link leads: the language switch's link leads to the page in its `next`.

    Crawling that page instead of the switch spares a second fetch of every page through the
    switch's redirect; the switch itself is probed by the route matrix.
    """
    parts = urlsplit(target)
    if not parts.path.startswith("/language/"):
        return target
    return parse_qs(parts.query).get("next", [""])[0]


def crawl(client: TestClient, start: tuple[str, ...] = ("/",), limit: int = 500) -> Iterator[tuple[str, str]]:
    """Yield (path, body) for every internal page reachable from `start`, headers included.

    The path is the one that answered: after a redirect, where it led.
    """
    seen: set[str] = set()
    queue = deque(start)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=True)
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        yield response.url.raw_path.decode(), headers + "\n" + response.text
        if "html" not in response.headers.get("content-type", ""):
            continue
        for link in links(response.text):
            target = through_switch(urldefrag(link).url)
            if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
                queue.append(target)
