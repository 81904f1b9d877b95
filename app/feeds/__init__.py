"""What machines read: the Atom feed, the sitemap, robots.txt and the share metadata of articles.

Everything here is built from what every visitor may see of a published article (title, summary,
author, dates, category, tags) and never from its body, so no gated text can reach these outputs.
"""
