"""The health checks a proxy or orchestrator polls: neither waits on the database past a deadline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

router = APIRouter()
# An answer about this moment: no proxy, browser or page cache may keep it.
NOW_ONLY = {"Cache-Control": "no-store"}


@router.get("/healthz", name="site.healthz")
def healthz() -> Response:
    """Answer while the process is alive, without touching the database."""
    return JSONResponse({"status": "ok"}, headers=NOW_ONLY)


@router.get("/readyz", name="site.readyz")
def readyz(request: Request) -> Response:
    """Answer 200 when the database is reachable and its schema is at the newest migration."""
    problem = request.app.state.readiness.problem()
    if problem:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503, headers=NOW_ONLY)
    return JSONResponse({"status": "ready"}, headers=NOW_ONLY)
