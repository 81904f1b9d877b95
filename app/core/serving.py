"""How uvicorn serves the portal: `portal serve`, the tests' live servers, and any hand-made command.

- No access log: uvicorn's writes every query string, and with it the tokens of emailed links.
  The app writes its own line per request instead (app/core/requestlog.py).
- No `server: uvicorn` header: it tells a prober which software to try.
- No proxy headers: the app believes `X-Forwarded-*` only from PORTAL_TRUSTED_PROXIES
  (app/core/proxies.py); uvicorn's own handling would trust 127.0.0.1 whatever the setting says.

How long a worker may take to answer its supervisor is a setting
(`PORTAL_WORKER_HEALTHCHECK_SECONDS`), passed by `portal serve` beside these.
"""

from __future__ import annotations

from typing import Any

SERVER_OPTIONS: dict[str, Any] = {
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
}
