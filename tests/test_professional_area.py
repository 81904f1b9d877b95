"""The professional area as those outside it see it: the landing page and the locked panels.

Both tell what is there (how many parts, for whom, about how long) and never a word of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.articles.models import Article, ArticleStatus
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import page_text, soup
from tests.viewers import browser_for

SECRET = "ZEBRAFISHSECRET"
OPEN_BODY = (
    "Open words for everyone.\n\n"
    f"::: professional prescribers\n## Dosing {SECRET}\n\nStart low {SECRET} and go slow with care.\n:::\n\n"
    "More open words.\n\n"
    f"::: professional prescribers\nInteractions {SECRET}: check the liver first.\n:::\n\n"
    f"::: professional\nFor every profession {SECRET}.\n:::\n"
)


def plant(db: Session) -> None:
    factories.article(db, slug="dosing", title="Dosing in depression", body=OPEN_BODY)
    factories.article(
        db,
        slug="whole",
        title="Cytokine assays in practice",
        summary="A public teaser.",
        body=f"All of it for clinicians: {SECRET}.\n\n::: professional physician\nAnd a block in it.\n:::\n",
        audience="professional",
        category="Immunology",
    )
    factories.article(db, slug="plain", title="An open article", category="Immunology")
    draft = f"::: professional\n{SECRET}\n:::\n"
    factories.article(
        db, slug="draft", title="A draft for clinicians", body=draft, status=ArticleStatus.DRAFT
    )


def test_a_visitor_finds_what_the_area_holds_by_topic_and_how_to_join(
    client: TestClient, db: Session
) -> None:
    plant(db)
    response = client.get("/professional", follow_redirects=False)
    assert response.status_code == 200 and "public" in response.headers["cache-control"]
    assert SECRET not in response.text and "Start low" not in response.text
    page = soup(response.text)
    text = page_text(str(page.select_one("main")))
    assert "2 articles have content for health professionals: 1 of them as a whole, 3 sections" in text
    topics = {
        topic.h3.get_text(): (
            page_text(str(topic.select_one(".area__count"))),
            [a.get_text() for a in topic("a")],
        )
        for topic in page.select(".area__topic")
    }
    assert topics == {
        "Immunology": ("1 article", ["Cytokine assays in practice"]),
        "Mental health": ("1 article · 3 sections for professionals", ["Dosing in depression"]),
    }
    assert "Physicians" in text and "free and non-binding" in text
    assert "licence or registration number" in text
    assert page.select_one('main a.button[href="/request-access"]').get_text() == "Request access"
    assert "usually decided within" not in text  # no decisions yet: no figure


def test_the_usual_review_time_comes_from_recent_decisions(
    client: TestClient, db: Session, settings: Settings
) -> None:
    for n, days in enumerate([1, 2, 4, 6, 9]):
        request = factories.applicant(db, settings, state=RequestState.APPROVED, email=f"doc{n}@example.org")
        assert request.decided_at is not None
        db.execute(
            update(AccessRequest)
            .where(AccessRequest.id == request.id)
            .values(submitted_at=request.decided_at - timedelta(days=days, hours=1))
        )
    db.commit()
    text = page_text(client.get("/professional").text)
    assert "Requests are usually decided within 5 days." in text


def test_a_pending_applicant_sees_the_landing_page_and_their_request(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    pending = browser_for("pending", app, db, settings)
    response = pending.get("/professional", follow_redirects=False)
    pending.__exit__(None, None, None)
    assert response.status_code == 200 and SECRET not in response.text
    assert soup(response.text).select_one('main a.button[href="/account"]').get_text() == "See your request"


def test_an_approved_professional_keeps_the_list_of_what_they_may_read(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    physician = browser_for("physician", app, db, settings)
    page = soup(physician.get("/professional").text)
    physician.__exit__(None, None, None)
    assert sorted(a.get_text() for a in page.select(".card__title a")) == [
        "Cytokine assays in practice",
        "Dosing in depression",
    ]
    assert page.select_one(".area__topics") is None


def test_the_panel_says_how_much_is_locked_and_for_whom_never_what(client: TestClient, db: Session) -> None:
    plant(db)
    response = client.get("/articles/dosing")
    assert SECRET not in response.text and "Start low" not in response.text
    panels = [page_text(str(p)) for p in soup(response.text).select(".prose .locked-panel")]
    assert len(panels) == 3
    assert "2 sections of this article, about 20 words, are written for prescribers." in panels[0]
    assert "1 section of this article, about 10 words, is written for health professionals." in panels[2]
    link = soup(response.text).select_one('.locked-panel a[href="/professional"]')
    assert link is not None and link.get_text() == "What the professional area holds, and how to join"
    whole = soup(client.get("/articles/whole").text).select_one(".locked-panel")
    assert "The whole article, about 10 words, is written for health professionals." in page_text(str(whole))


def test_a_reader_of_another_profession_is_told_what_to_do_next(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    therapist = browser_for("therapist", app, db, settings)
    page = soup(therapist.get("/articles/dosing").text)
    therapist.__exit__(None, None, None)
    panel = page.select_one(".prose .locked-panel")
    assert "your professional access does not include it" in page_text(str(panel))
    assert "If your profession has changed" in page_text(str(panel))
    links = {a.get_text(): a["href"] for a in panel.select("a")}
    assert links == {"Write to the society": "/contact", "What your access includes": "/professional"}
    # The block for every profession is theirs, in its labelled box.
    assert [box.select_one(".gated__label").get_text() for box in page.select(".prose section.gated")] == [
        "For health professionals"
    ]


def test_one_persons_profession_reads_in_the_singular(app: FastAPI, db: Session, settings: Settings) -> None:
    physician = browser_for("physician", app, db, settings)
    page = soup(physician.get("/account").text)
    physician.__exit__(None, None, None)
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in page.select(".facts dt")}
    assert facts["Profession"] == "Physician"


def test_the_header_and_the_home_page_lead_visitors_to_the_area(client: TestClient) -> None:
    page = soup(client.get("/").text)
    assert page.select_one('.site-nav a[href="/professional"]').get_text() == "Professional area"
    assert page.select_one('.hero a[href="/professional"]') is not None


def test_a_block_opened_without_a_space_after_the_fence_counts_and_is_listed(
    app: FastAPI, db: Session, settings: Settings, client: TestClient
) -> None:
    # The parser opens a block for `:::professional` and `:::<tab>professional` too.
    for slug, title, fence in (("tight", "Tight fence", ":::"), ("tab", "Tab fence", ":::\t")):
        factories.article(db, slug=slug, title=title, body=f"Open.\n\n{fence}professional\n{SECRET}\n:::\n")
    factories.article(db, slug="prose", title="About professionals", body="For every professional reader.")
    landing = client.get("/professional").text
    assert "2 articles have content for health professionals: 2 sections" in page_text(landing)
    listed = sorted(a.get_text() for a in soup(landing).select(".area__topic a"))
    assert listed == ["Tab fence", "Tight fence"]
    assert SECRET not in landing
    physician = browser_for("physician", app, db, settings)
    hub = soup(physician.get("/professional").text)
    physician.__exit__(None, None, None)
    assert sorted(a.get_text() for a in hub.select(".card__title a")) == ["Tab fence", "Tight fence"]


def test_no_heading_can_take_the_label_of_a_readable_box(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    body = "## Gated part 1\n\nOpen.\n\n::: professional\nFor readers.\n:::\n"
    factories.article(db, slug="named", body=body)
    physician = browser_for("physician", app, db, settings)
    page = soup(physician.get("/articles/named").text)
    physician.__exit__(None, None, None)
    box = page.select_one(".prose section.gated")
    named = page.select(f"#{box['aria-labelledby']}")
    assert [page_text(str(label)) for label in named] == ["For health professionals"]


def test_a_block_inside_a_block_of_another_profession_does_not_list_the_article_for_it(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    # The renderer shows the inner block only to readers of both: physicians read none of it.
    body = "Open.\n\n:::: professional pharmacist\nOuter.\n\n::: professional physician\nInner.\n:::\n::::\n"
    factories.article(db, slug="nested", title="Nested blocks", body=body)
    listed = {}
    for kind in ("physician", "pharmacist"):
        reader = browser_for(kind, app, db, settings)
        listed[kind] = [a.get_text() for a in soup(reader.get("/professional").text).select(".card__title a")]
        reader.__exit__(None, None, None)
    assert listed == {"physician": [], "pharmacist": ["Nested blocks"]}


def area_figures(client: TestClient) -> str:
    return page_text(str(soup(client.get("/professional").text).select_one(".area__total")))


def test_the_landing_page_follows_an_edit_at_once(client: TestClient, db: Session) -> None:
    plant(db)
    assert "2 articles have content for health professionals: 1 of them as a whole, 3 sections" in (
        area_figures(client)  # and now stored for visitors
    )
    one_block_fewer = OPEN_BODY.split("::: professional\nFor every")[0]
    factories.article(db, slug="dosing", title="Dosing in depression", body=one_block_fewer)
    assert "1 of them as a whole, 2 sections inside articles open to all." in area_figures(client)
    factories.article(db, slug="dosing", title="Dosing in depression", body="Nothing gated any more.")
    assert area_figures(client) == "1 article has content for health professionals: 1 of them as a whole."


def test_each_topic_names_its_newest_titles_and_counts_the_rest(client: TestClient, db: Session) -> None:
    for n in range(7):
        body = f"Open.\n\n::: professional\nFor clinicians {n}.\n:::\n"
        factories.article(db, slug=f"dose-{n}", title=f"Dose {n}", body=body, category="Pharmacology")
    unfiled = factories.article(db, slug="unfiled", title="Unfiled", audience="physician")
    db.execute(update(Article).where(Article.id == unfiled.id).values(category_id=None))
    db.commit()
    page = soup(client.get("/professional").text)
    topics = {topic.h3.get_text(): page_text(str(topic)) for topic in page.select(".area__topic")}
    assert list(topics) == ["Pharmacology", "Other topics"]
    # Factory articles are published a minute apart, the first newest.
    assert topics["Pharmacology"] == (
        "Pharmacology 7 articles · 7 sections for professionals Dose 0 Dose 1 Dose 2 Dose 3 Dose 4 and 2 more"
    )
    assert topics["Other topics"] == "Other topics 1 article Unfiled"


def test_a_professionals_list_is_paged_and_holds_only_what_they_may_read(
    app_with: Callable[..., FastAPI], db: Session, settings: Settings
) -> None:
    factories.article(db, title="Whole for prescribers", audience="prescribers")
    factories.article(db, title="Block for physicians", body="::: professional physician\nDose.\n:::\n")
    factories.article(db, title="Other therapists only", body="::: professional psychotherapist\nX.\n:::\n")
    factories.article(db, title="Plain", body="Open to all.")
    factories.article(db, title="Block for all", body="::: professional\nFor every profession.\n:::\n")
    physician = browser_for("physician", app_with(page_size=2), db, settings)
    pages = [soup(physician.get(f"/professional?page={n}").text) for n in (1, 2)]
    physician.__exit__(None, None, None)
    titles = [[a.get_text() for a in page.select(".card__title a")] for page in pages]
    assert titles == [["Whole for prescribers", "Block for physicians"], ["Block for all"]]
