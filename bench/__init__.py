
import os

# The benches serve the site in one language, so the addresses they ask for need no language
# prefix (/en/...). A site in two languages does the same work per request: its language layer
# reads the prefix where this one sets the only language.
os.environ.setdefault("PORTAL_LANGUAGES", "en")
