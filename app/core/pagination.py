"""One page of a longer list, shared by every paginated view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: Sequence[T]
    number: int
    size: int
    total: int
    # The list was cut at a bound before counting (search ranks only so many matches): there are more.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(
    db: Session, query: Select[Any], *, number: int, size: int, look_ahead: int | None = None
) -> Page[Any]:
    """Return page `number` of `query`'s rows; past the end gives an empty page the caller may 404.

    With `look_ahead`, rows are counted only up to that many past the page's start (`more` says
    the list goes on), so the count costs the same however long the list is.
    """
    start = (number - 1) * size
    counted = query.order_by(None)
    if look_ahead is not None:
        counted = counted.with_only_columns(literal_column("1")).limit(look_ahead + 1).offset(start)
    total = db.scalar(select(func.count()).select_from(counted.subquery())) or 0
    more = look_ahead is not None and total > look_ahead
    if look_ahead is not None and total:
        total = start + min(total, look_ahead)
    # unique(): queries that load a relationship by join repeat the row for each related one.
    items = db.scalars(query.limit(size).offset(start)).unique().all()
    return Page(items, number, size, total, more=more)
