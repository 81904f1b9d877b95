"""Log in over plain HTTP as a browser would (form, CSRF token, cookies) and keep the cookies."""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def session_cookie(port: int, email: str, password: str) -> str:
    """Log in and return the Cookie header a logged-in browser would send."""
    cookies: dict[str, str] = {}
    page = _request(port, "GET", "/login", cookies)
    token = CSRF.search(page)
    if not token:
        raise RuntimeError("the login page has no CSRF token")
    form = {"email": email, "password": password, "next": "", "csrf_token": token.group(1)}
    _request(port, "POST", "/login", cookies, body=urlencode(form))
    if not any("session" in name for name in cookies):
        raise RuntimeError(f"logging in as {email} gave no session cookie")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _request(port: int, method: str, path: str, cookies: dict[str, str], *, body: str | None = None) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    for header in response.headers.get_all("set-cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value
    text = response.read().decode()
    connection.close()
    return text
