"""The reading rule has two forms, `may_read` in Python and `readable` in SQL; they always agree."""

from __future__ import annotations

import itertools

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core.policy import (
    VISITOR,
    Profession,
    Viewer,
    may_read,
    may_read_gated,
    parse_audience,
    readable,
    reading_variant,
    stored_professions,
)
from app.search.models import SearchEntry
from tests import factories

AUDIENCES = [
    "public",
    *Profession,
    "professional",
    "prescribers",
    "physician pharmacist",
    "psychotherapist naturopath therapist",
    "prescribers therapist",
]
VIEWERS = {
    "visitor": VISITOR,
    **{
        f"applicant {state}": Viewer(logged_in=True, request_state=state)
        for state in RequestState
        if state != RequestState.APPROVED
    },
    **{
        f"approved {profession}": Viewer(profession=profession, logged_in=True, request_state="approved")
        for profession in Profession
    },
    # An approved physician who has not accepted the current terms reads as a member without one.
    "unconsented": Viewer(logged_in=True, request_state="approved", needs_consent=True),
    "staff": Viewer(is_staff=True, logged_in=True),
}


def test_the_sql_form_of_the_reading_rule_agrees_with_may_read(db: Session) -> None:
    # Search rows are the rows the SQL form filters; the article only anchors them.
    article = factories.article(db)
    stored = {}
    for audience in AUDIENCES:
        parsed = parse_audience(audience)
        row = {"article_id": article.id, "public": parsed.is_public}
        row["audience"] = stored_professions(parsed.professions)
        stored[audience] = db.scalar(insert(SearchEntry).values(row).returning(SearchEntry.id))
    db.commit()
    ids = {row_id: audience for audience, row_id in stored.items()}
    for kind, viewer in VIEWERS.items():
        condition = readable(viewer, public=SearchEntry.public, professions=SearchEntry.audience)
        found = db.scalars(select(SearchEntry.id).where(SearchEntry.id.in_(ids), condition)).all()
        expected = {a for a in AUDIENCES if may_read(viewer, parse_audience(a))}
        assert {ids[row_id] for row_id in found} == expected, kind


def every_viewer() -> list[Viewer]:
    """Every combination of what a viewer can be, possible or not: the property must hold for all."""
    return [
        Viewer(
            profession=profession,
            is_staff=staff,
            logged_in=logged_in,
            request_state=state,
            needs_consent=consent,
        )
        for profession, staff, logged_in, state, consent in itertools.product(
            [None, *Profession], [False, True], [False, True], [None, *RequestState], [False, True]
        )
    ]


def what_the_pages_learn(viewer: Viewer) -> tuple[object, ...]:
    """All a reading page decides from its reader: what they may read, and the header's entries."""
    audiences = tuple(may_read(viewer, parse_audience(audience)) for audience in AUDIENCES)
    return (audiences, may_read_gated(viewer), viewer.is_staff, viewer.logged_in, viewer.is_visitor, viewer)


def test_viewers_of_the_same_reading_variant_read_the_same_and_see_the_same_navigation() -> None:
    by_variant: dict[str, set[tuple[object, ...]]] = {}
    for viewer in every_viewer():
        by_variant.setdefault(reading_variant(viewer), set()).add(what_the_pages_learn(viewer))
    assert all(len(learnt) == 1 for learnt in by_variant.values())
    # And the variant tells apart every viewer the locked panels could tell apart.
    assert len(by_variant) == len(set(every_viewer()))
    assert len({reading_variant(viewer) for viewer in VIEWERS.values()}) == len(VIEWERS)
