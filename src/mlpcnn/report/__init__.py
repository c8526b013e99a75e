"""The study's report as Markdown, rendered from results handed in by the report stage."""
