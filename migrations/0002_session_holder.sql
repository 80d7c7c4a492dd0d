-- stswatch schema v2: one recorder per session.
-- The run that is recording a session now, where it runs, and when it last proved alive. A
-- recorder claims the row before its run starts, refreshes heartbeat_wall_ns with every commit
-- (and every few seconds when idle), and deletes it when its run ends. A row whose heartbeat is
-- stale, or whose pid is gone on this host, belongs to a recorder that died: it is taken over.
CREATE TABLE holder (
    session_id         INTEGER PRIMARY KEY REFERENCES session(id),
    run_id             INTEGER NOT NULL REFERENCES run(id),
    host               TEXT    NOT NULL,
    pid                INTEGER NOT NULL,
    since_wall_ns      INTEGER NOT NULL,
    heartbeat_wall_ns  INTEGER NOT NULL
);
