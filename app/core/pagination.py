"""One page of a longer list, shared by every paginated view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
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


def paginate(db: Session, query: Select[Any], *, number: int, size: int) -> Page[Any]:
    """Return page `number` of `query`'s rows; past the end gives an empty page the caller may 404."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    # unique(): queries that load a relationship by join repeat the row for each related one.
    items = db.scalars(query.limit(size).offset((number - 1) * size)).unique().all()
    return Page(items, number, size, total)
