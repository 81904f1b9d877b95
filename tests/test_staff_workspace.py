"""The staff workspace: its own header, and navigation grouped by task, each person seeing the
groups and pages their role may open; never the public site's header and footer."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup

MENUS = {
    Role.REVIEWER: [
        ("Review", ["Dashboard", "Access requests"]),
        ("People and records", ["People", "Messages", "Outbox"]),
    ],
    Role.EDITOR: [
        ("Review", ["Dashboard"]),
        ("Content", ["Articles", "Media", "Categories and tags"]),
        ("People and records", ["Messages"]),
    ],
    Role.ADMIN: [
        ("Review", ["Dashboard", "Access requests"]),
        ("Content", ["Articles", "Media", "Categories and tags"]),
        ("People and records", ["People", "Messages", "Outbox", "Audit log"]),
    ],
}


def menu(html: str) -> list[tuple[str, list[str]]]:
    """The staff navigation as a person reads it: each group's name and its entries."""
    nav = soup(html).select_one("nav.admin-nav")
    assert nav is not None
    groups = []
    for group in nav.select(".admin-nav__group"):
        heading = group.select_one(".admin-nav__heading")
        assert heading is not None
        groups.append((heading.get_text(strip=True), [a.get_text(strip=True) for a in group.select("a")]))
    return groups


@pytest.mark.parametrize("role", list(MENUS))
def test_each_staff_role_sees_the_groups_and_pages_it_may_open(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    person = factories.staff(db, settings, role=role, name="Sam Staff")
    secret = factories.second_factor(db, settings, person) if role == Role.ADMIN else ""
    login(client, person.email, factories.PASSWORD, secret=secret)
    dashboard = client.get("/admin")
    assert menu(dashboard.text) == MENUS[role]
    # Every page in the menu opens for this role, in the workspace, marked as the current one.
    for link in soup(dashboard.text).select("nav.admin-nav a"):
        page = client.get(str(link["href"]))
        assert page.status_code == 200, link["href"]
        current = soup(page.text).select_one('nav.admin-nav a[aria-current="page"]')
        assert current is not None and current.get_text(strip=True) == link.get_text(strip=True)


def test_staff_pages_have_the_workspace_header_not_the_public_header_and_footer(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Reviewer")
    item = factories.applicant(db, settings, full_name="Dr Pat Pending")
    login(client, reviewer.email, factories.PASSWORD)
    for address in ("/admin", "/admin/requests", f"/admin/requests/{item.id}", "/admin/users"):
        page = soup(client.get(address).text)
        assert page.select(".site-header, .site-footer, .site-search") == [], address
        assert "Contact the society" not in page_text(str(page))
        header = page_text(str(page.select_one("header.staff-header")))
        assert "Staff workspace" in header and "Signed in as Rita Reviewer" in header
        assert "Log out" in header
        assert page.select_one('header.staff-header a[href="/"]').get_text(strip=True) == "Public site"  # type: ignore[union-attr]
    # The public site keeps its own header and footer.
    home = soup(client.get("/").text)
    assert home.select_one(".site-header") is not None and home.select_one(".staff-header") is None
