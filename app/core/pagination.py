"""One page of a longer list, shared by every paginated view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, literal_column, select
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
    db: Session,
    query: Select[Any],
    *,
    number: int,
    size: int,
    params: dict[str, Any] | None = None,
    look_ahead: int | None = None,
) -> Page[Any]:
    """Return page `number` of `query`'s rows; past the end gives an empty page the caller may 404.

    With `params`, `query` is a statement built once with bound parameters (the values are in
    `params`): its count and its page statements are then built once too. With `look_ahead`,
    rows are counted only up to that many past the page's start (`more` says the list goes on),
    so the count costs the same however long the list is.
    """
    start = (number - 1) * size
    if params is None:
        count, paged = _count_and_page(query, look_ahead)
    else:
        count, paged = _built_once(query, look_ahead)
    values = {**(params or {}), "page_limit": size, "page_offset": start}
    if look_ahead is not None:
        values["count_limit"] = look_ahead + 1
    total = db.scalar(count, values) or 0
    more = look_ahead is not None and total > look_ahead
    if look_ahead is not None and total:
        total = start + min(total, look_ahead)
    # unique(): queries that load a relationship by join repeat the row for each related one.
    items = db.scalars(paged, values).unique().all()
    return Page(items, number, size, total, more=more)


def _count_and_page(query: Select[Any], look_ahead: int | None) -> tuple[Select[Any], Select[Any]]:
    counted = query.order_by(None)
    if look_ahead is not None:
        counted = (
            counted.with_only_columns(literal_column("1"))
            .limit(bindparam("count_limit"))
            .offset(bindparam("page_offset"))
        )
    count = select(func.count()).select_from(counted.subquery())
    return count, query.limit(bindparam("page_limit")).offset(bindparam("page_offset"))


# Statements built once, by the statement they were made from (kept alive here, so ids stay theirs).
_BUILT: dict[tuple[int, int | None], tuple[Select[Any], tuple[Select[Any], Select[Any]]]] = {}


def _built_once(query: Select[Any], look_ahead: int | None) -> tuple[Select[Any], Select[Any]]:
    key = (id(query), look_ahead)
    found = _BUILT.get(key)
    if found is None or found[0] is not query:
        found = _BUILT[key] = (query, _count_and_page(query, look_ahead))
    return found[1]
