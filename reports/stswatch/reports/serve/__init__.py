"""`stswatch serve`: any session of a store, whole or windowed, in a browser while it records.

The top room of the reading side: it reads the store read-only through the reading side's public
calls (`analysis.analyse`, `recording.list_sessions`, `tail`), draws with the one report renderer
(`timeline.html.render_report`: the page `stswatch report` writes), and answers JSON in the
shapes of `verify --format json` and `export`. Nothing here writes; nothing below imports it.
"""
