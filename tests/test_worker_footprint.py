"""A worker loads only what serving its site needs: every library it imports costs each worker its
megabytes, shared pages included (issue 13: at most 80 MB per worker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A worker as `portal serve` starts one (uvicorn's options included), that has searched in both languages.
WORKER = """
import sys
import uvicorn
from app.core.config import Settings
from app.core.serving import SERVER_OPTIONS
from app.main import create_app
from app.search import stemming

app = create_app(Settings(_env_file=None, env="test", database_url=sys.argv[1]))
uvicorn.Config(app, **SERVER_OPTIONS).load()
stemming.stems("Inflammation studies", "english")
stemming.stems("Entzündungen", "german")
print("\\n".join(sys.modules))
"""


def test_a_worker_on_sqlite_loads_none_of_the_libraries_no_page_uses(
    sqlite_database: str,
) -> None:
    loaded = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", WORKER, sqlite_database], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "sqlalchemy.dialects.sqlite" in loaded
    assert "sqlalchemy.dialects.postgresql" not in loaded
    assert not [name for name in loaded if name.startswith("websockets")]
    # PyStemmer makes a stemmer per language asked for; snowballstemmer imported all 30 (3 MB).
    assert "Stemmer" in loaded
    assert not [name for name in loaded if name.startswith("snowballstemmer")]
    # Sending mail and comparing revisions are left to `portal send-mail` and the revisions page.
    assert "smtplib" not in loaded
    assert "difflib" not in loaded
