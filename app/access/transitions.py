"""The access request's state machine: each named transition, the states it leaves and the one it
reaches, and the compare-and-set that takes it.

Every change of a request's state goes through `move`, so two reviewers (or a reviewer and
`portal tick`) clicking at once change it once; the loser learns it from the False it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from app.access.models import OPEN_STATES, AccessRequest, RequestState
from app.core.db import claim


class Transition(StrEnum):
    VERIFY = "verify"
    APPROVE = "approve"
    APPROVE_AUTOMATICALLY = "approve_automatically"
    REJECT = "reject"
    ASK = "ask"
    ANSWER = "answer"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    EXTEND = "extend"
    RENEW = "renew"
    CLOSE_ON_DELETION = "close_on_deletion"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[RequestState]
    target: RequestState


def _rule(sources: set[RequestState] | frozenset[RequestState], target: RequestState) -> Rule:
    return Rule(frozenset(sources), target)


S = RequestState
REVIEWABLE = frozenset({S.PENDING, S.NEEDS_INFO})
# Access that is running or has run out: a reviewer may suspend or extend it, the person renew it.
GRANTED = frozenset({S.APPROVED, S.EXPIRED})

TRANSITIONS: dict[Transition, Rule] = {
    Transition.VERIFY: _rule({S.UNVERIFIED}, S.PENDING),
    Transition.APPROVE: _rule(REVIEWABLE, S.APPROVED),
    # The system approves only what no reviewer has touched yet.
    Transition.APPROVE_AUTOMATICALLY: _rule({S.PENDING}, S.APPROVED),
    Transition.REJECT: _rule(REVIEWABLE, S.REJECTED),
    # One question at a time: a request waiting for an answer is not asked again.
    Transition.ASK: _rule({S.PENDING}, S.NEEDS_INFO),
    Transition.ANSWER: _rule({S.NEEDS_INFO}, S.PENDING),
    Transition.WITHDRAW: _rule(OPEN_STATES, S.WITHDRAWN),
    Transition.EXPIRE: _rule({S.APPROVED}, S.EXPIRED),
    Transition.SUSPEND: _rule(GRANTED, S.SUSPENDED),
    Transition.REINSTATE: _rule({S.SUSPENDED}, S.APPROVED),
    Transition.EXTEND: _rule(GRANTED, S.APPROVED),
    Transition.RENEW: _rule(GRANTED, S.APPROVED),
    # A deleted account leaves no request that still gives or awaits access.
    Transition.CLOSE_ON_DELETION: _rule({*OPEN_STATES, S.APPROVED}, S.WITHDRAWN),
}

# A reviewer's outcome, as the transition that reaches it.
DECISIONS = {
    S.APPROVED: Transition.APPROVE,
    S.REJECTED: Transition.REJECT,
    S.NEEDS_INFO: Transition.ASK,
}


def move(
    db: Session,
    request: AccessRequest,
    transition: Transition,
    *conditions: ColumnElement[bool],
    revision: int | None = None,
    **values: object,
) -> bool:
    """Take `transition` only while the request is in one of its states (and at `revision`); reload it."""
    rule = TRANSITIONS[transition]
    where = [AccessRequest.state.in_(rule.sources), *conditions]
    if revision is not None:
        where.append(AccessRequest.revision == revision)
    # Each change counts a revision, so a page showing the request before it can act on it no more.
    moved = {"state": rule.target, "revision": AccessRequest.revision + 1, **values}
    return compare_and_set(db, request, *where, **moved)


def compare_and_set(
    db: Session, request: AccessRequest, *conditions: ColumnElement[bool], **values: object
) -> bool:
    """Write `values` only while every condition holds; reload the request."""
    won = claim(db, AccessRequest, request.id, where=conditions, values=values)
    db.refresh(request)
    return won
