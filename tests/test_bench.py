"""The bench reads wrk's report right, and its stack's floor reads the portal's data (the bench itself needs
wrk and minutes, so it is not a test)."""

from __future__ import annotations

import importlib
import sys

import pytest
from sqlalchemy.orm import Session

from app.core.config import Settings
from bench import wrk
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import SQLITE_ONLY

REPORT = """Running 5s test @ http://127.0.0.1:8000/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.01ms    3.12ms  60.00ms   90.00%
  Latency Distribution
     50%   19.50ms
     75%   21.00ms
     90%   23.00ms
     99%    1.20s
  8000 requests in 5.00s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1600.25
Transfer/sec:      8.00MB
"""


def test_the_bench_reads_rate_p99_and_errors_from_wrk() -> None:
    run = wrk.parse(REPORT)
    assert run == wrk.Run(requests_per_second=1600.25, p99_ms=1200.0, errors=7)


def test_the_bench_refuses_a_report_without_numbers() -> None:
    with pytest.raises(RuntimeError, match="wrk gave no numbers"):
        wrk.parse("unable to connect to 127.0.0.1:8000 Connection refused")


@SQLITE_ONLY
def test_the_stack_floor_serves_an_article_of_the_portal_data_set(
    db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bench compares the portal with this app on the same data set: it must keep reading it.
    factories.article(db, title="Immunity & depression", slug="immunity", body="Cytokines matter.")
    monkeypatch.setenv("BENCH_DATABASE_URL", settings.database_url)
    monkeypatch.delitem(sys.modules, "bench.stack_floor", raising=False)
    floor = importlib.import_module("bench.stack_floor")
    try:
        with TestClient(floor.app) as client:
            found, missing = client.get("/articles/immunity"), client.get("/articles/nothing-here")
    finally:
        floor.session_factory.kw["bind"].dispose()
        sys.modules.pop("bench.stack_floor", None)
    assert found.status_code == 200
    assert "<h1>Immunity &amp; depression</h1>" in found.text and "Cytokines matter." in found.text
    assert missing.status_code == 404
