"""The reading rule has two forms, `may_read` in Python and `readable` in SQL; they always agree."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core.policy import (
    VISITOR,
    Profession,
    Viewer,
    may_read,
    parse_audience,
    readable,
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
