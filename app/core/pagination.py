"""One page of a longer list, shared by every paginated view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: Sequence[T]
    number: int
    size: int
    total: int

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
    db: Session, query: Select[Any], *, number: int, size: int, params: dict[str, Any] | None = None
) -> Page[Any]:
    """Return page `number` of `query`'s rows; past the end gives an empty page the caller may 404.

    With `params`, `query` is a statement built once with bound parameters (the values are in
    `params`): its count and its page statements are then built once too.
    """
    if params is None:
        count, paged = _count_and_page(query)
    else:
        count, paged = _built_once(query)
    values = {**(params or {}), "page_limit": size, "page_offset": (number - 1) * size}
    total = db.scalar(count, values) or 0
    # unique(): queries that load a relationship by join repeat the row for each related one.
    items = db.scalars(paged, values).unique().all()
    return Page(items, number, size, total)


def _count_and_page(query: Select[Any]) -> tuple[Select[Any], Select[Any]]:
    count = select(func.count()).select_from(query.order_by(None).subquery())
    return count, query.limit(bindparam("page_limit")).offset(bindparam("page_offset"))


# Statements built once, by the statement they were made from (kept alive here, so ids stay theirs).
_BUILT: dict[int, tuple[Select[Any], tuple[Select[Any], Select[Any]]]] = {}


def _built_once(query: Select[Any]) -> tuple[Select[Any], Select[Any]]:
    found = _BUILT.get(id(query))
    if found is None or found[0] is not query:
        found = _BUILT[id(query)] = (query, _count_and_page(query))
    return found[1]
