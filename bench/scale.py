"""`make bench-scale`: the same pages with few and with many articles, loaded in turns.

Serves two data sets side by side (each `portal serve --workers 2`, production mode, SQLite) and
runs wrk on each page as a visitor and as an approved physician, alternating between the two
servers for several rounds, so a busy machine slows both alike. Prints requests per second for
each size and their ratio (many / few; 1.0 is flat, the target is at least 1 / 1.5).

    python -m bench.scale --small FILE --large FILE [--rounds 2] [--seconds 3]

Build the data sets first with `make bench BENCH_ARGS="--articles N --database FILE"` (or
`portal db upgrade` and `portal demo --articles N` with `PORTAL_DATABASE_URL` set).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench import login, one_language, servers, wrk
from bench.pages import BROWSER, _free_port, _production

PAGES = [
    ("home", "/"),
    ("article list", "/articles"),
    ("article", "/articles/addressing-immunity-in-depression"),
    ("search", "/search?q=immunity"),
]


def main() -> None:
    """Serve both data sets, load each page in turns and print the table."""
    args = _arguments()
    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    with tempfile.TemporaryDirectory(prefix="portal-scale-") as tmp:
        small_port, large_port = _free_port(), _free_port()
        small_env = _production(f"sqlite:///{args.small}", tmp)
        large_env = _production(f"sqlite:///{args.large}", tmp)
        with (
            # A busy machine can take minutes to start four workers.
            servers.serving(servers.portal(small_port), small_env, small_port, timeout=600),
            servers.serving(servers.portal(large_port), large_env, large_port, timeout=600),
        ):
            viewers = {
                port: {
                    "visitor": BROWSER,
                    "physician": {
                        **BROWSER,
                        "Cookie": login.session_cookie(port, APPLICANTS[0][0], APPLICANT_PASSWORD),
                    },
                }
                for port in (small_port, large_port)
            }
            rates: dict[tuple[str, str, int], list[float]] = {}
            for _ in range(args.rounds):
                for name, path in PAGES:
                    for viewer in ("visitor", "physician"):
                        for port in (small_port, large_port):
                            run = wrk.run(
                                f"http://127.0.0.1:{port}{path}",
                                seconds=args.seconds,
                                connections=args.connections,
                                headers=viewers[port][viewer],
                            )
                            if run.errors:
                                raise RuntimeError(f"{path} gave {run.errors} errors on port {port}")
                            rates.setdefault((name, viewer, port), []).append(run.requests_per_second)
    print(f"\n{args.rounds} rounds of wrk {args.seconds} s x {args.connections} connections, in turns\n")
    print(f"| page | viewer | req/s {args.small.name} | req/s {args.large.name} | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, _ in PAGES:
        for viewer in ("visitor", "physician"):
            small = statistics.median(rates[(name, viewer, small_port)])
            large = statistics.median(rates[(name, viewer, large_port)])
            ratio = f"{large / small:.2f}" if small else "-"
            print(f"| {name} | {viewer} | {small:,.0f} | {large:,.0f} | {ratio} |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=Path, required=True, help="the SQLite file with few articles")
    parser.add_argument("--large", type=Path, required=True, help="the SQLite file with many articles")
    parser.add_argument("--rounds", type=int, default=2, help="turns on each page (default 2)")
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    return parser.parse_args()


if __name__ == "__main__":
    one_language()
    main()
