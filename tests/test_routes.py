"""Every route declares who may open it: a route without a declared access policy fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _IncludedRouter
from starlette.routing import Mount

from app.core.policy import RouteAccess

# Framework routes that serve no content of ours.
FRAMEWORK = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
STATIC_MOUNTS = {"/static"}


def declared(dependant: Dependant) -> Iterator[RouteAccess]:
    for dependency in dependant.dependencies:
        access = getattr(dependency.call, "route_access", None)
        if access is not None:
            yield access
        yield from declared(dependency)


def api_routes(routes: list[Any]) -> Iterator[Any]:
    """Every API route as served, with the dependencies its router was included with.

    FastAPI keeps included routers as branches; their effective routes carry the combined
    dependencies (router-level declarations included), so that is what is audited here.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif isinstance(route, _IncludedRouter):
            yield from _effective(route)


def _effective(branch: _IncludedRouter) -> Iterator[Any]:
    for candidate in branch.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            yield from _effective(candidate)
        else:
            yield candidate


def route_policies(app: FastAPI) -> dict[str, set[RouteAccess]]:
    policies = {}
    for route in api_routes(app.routes):
        policies[f"{sorted(route.methods)} {route.path}"] = set(declared(route.dependant))
    return policies


def test_every_route_declares_its_access_policy(app: FastAPI) -> None:
    undeclared = [name for name, policies in route_policies(app).items() if not policies]
    assert undeclared == []


def test_no_route_is_both_public_and_guarded(app: FastAPI) -> None:
    mixed = [name for name, policies in route_policies(app).items() if len(policies) > 1]
    assert mixed == []


def test_nothing_else_is_served(app: FastAPI) -> None:
    others = [
        getattr(route, "path", "")
        for route in app.routes
        if not isinstance(route, APIRoute | _IncludedRouter)
        and getattr(route, "path", "") not in FRAMEWORK
        and not (isinstance(route, Mount) and route.path in STATIC_MOUNTS)
    ]
    assert others == []


STAFF_ACCESS = {RouteAccess.STAFF, RouteAccess.REVIEWER, RouteAccess.EDITOR, RouteAccess.ADMIN}


def test_staff_routes_are_guarded_for_staff(app: FastAPI) -> None:
    for name, policies in route_policies(app).items():
        if " /admin" in name:
            assert policies & STAFF_ACCESS, name


def test_the_audit_sees_every_route(app: FastAPI) -> None:
    paths = {name.split(" ", 1)[1] for name in route_policies(app)}
    assert {"/", "/articles/{slug}", "/login", "/admin/requests/{request_id}"} <= paths
