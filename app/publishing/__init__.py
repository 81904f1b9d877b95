"""Writing articles: the editor, revisions and the importer; above articles, media and search."""
