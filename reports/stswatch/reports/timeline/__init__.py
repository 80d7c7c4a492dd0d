"""How a session is drawn: the timeline model, its lanes and layout, the text timeline, the
self-contained HTML report and the two-session comparison."""
