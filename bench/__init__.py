import os


def one_language() -> None:
    """Serve the site in one language, so the addresses the benches ask for need no prefix (/en/...).

    A site in two languages does the same work per request: its language layer reads the prefix
    where this one sets the only language. Called by each bench as it starts, never on import (the
    tests import bench modules).
    """
    os.environ.setdefault("PORTAL_LANGUAGES", "en")
