"""The bench reads wrk's report right (the bench itself needs wrk and minutes, so it is not a test)."""

from __future__ import annotations

import pytest

from bench import wrk

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
