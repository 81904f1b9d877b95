"""Follow every link a visitor can reach, for tests that must see the whole site."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urldefrag, urlsplit

from bs4 import BeautifulSoup
from starlette.testclient import TestClient


def normalise(text: str) -> str:
    """Lowercase words only, so a sentence matches whatever markup or typography surrounds it."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


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
        for anchor in BeautifulSoup(response.text, "html.parser").find_all(["a", "link", "img"]):
            target = urldefrag(str(anchor.get("href") or anchor.get("src") or "")).url
            if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
                queue.append(target)
