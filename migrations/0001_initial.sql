-- stswatch schema v1: sessions, recorder runs, changes, gaps and marks.
-- Times: *_wall_ns is the recorder's wall clock (ns since the Unix epoch); *_mono_ns is its
-- monotonic clock (ns, comparable only within one run).

CREATE TABLE session (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    created_wall_ns  INTEGER NOT NULL,
    -- JSON: {"namespace": str|null, "all_namespaces": bool, "statefulset": str|null}
    scope            TEXT    NOT NULL
);

-- One row per recorder process that wrote into a session; a resumed session has several.
CREATE TABLE run (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER NOT NULL REFERENCES session(id),
    started_wall_ns   INTEGER NOT NULL,
    ended_wall_ns     INTEGER,           -- NULL: the run never closed (killed, crashed)
    end_reason        TEXT,              -- 'duration', 'signal', 'error: ...'
    server_url        TEXT    NOT NULL,
    server_version    TEXT    NOT NULL,  -- e.g. v1.34.4 (gitVersion of /version)
    stswatch_version  TEXT    NOT NULL,
    keep_env          INTEGER NOT NULL DEFAULT 0
);

-- Every recorded change of every watched object, in receive order (id).
CREATE TABLE change (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER NOT NULL REFERENCES session(id),
    run_id            INTEGER NOT NULL REFERENCES run(id),
    kind              TEXT    NOT NULL,  -- Pod, PersistentVolumeClaim, StatefulSet, ...
    namespace         TEXT,              -- NULL for cluster-scoped kinds (PersistentVolume)
    name              TEXT    NOT NULL,
    uid               TEXT    NOT NULL,
    event             TEXT    NOT NULL CHECK (event IN ('ADDED', 'MODIFIED', 'DELETED')),
    resource_version  TEXT    NOT NULL,
    -- how the change was seen: the first list, a watch event, or a relist diff after a gap
    observed          TEXT    NOT NULL CHECK (observed IN ('list', 'watch', 'relist')),
    received_wall_ns  INTEGER NOT NULL,
    received_mono_ns  INTEGER NOT NULL,
    written_wall_ns   INTEGER NOT NULL,  -- when its batch was handed to SQLite
    object            TEXT    NOT NULL   -- JSON, after redaction
);
CREATE INDEX change_by_object ON change (session_id, kind, namespace, name, id);
CREATE INDEX change_by_uid ON change (session_id, uid, id);
CREATE INDEX change_by_time ON change (session_id, received_wall_ns);

-- A window in which changes of one kind may have been missed and could not be replayed.
-- Changes seen by the relist that closed it carry observed = 'relist'.
CREATE TABLE gap (
    id                     INTEGER PRIMARY KEY,
    session_id             INTEGER NOT NULL REFERENCES session(id),
    run_id                 INTEGER NOT NULL REFERENCES run(id),
    kind                   TEXT    NOT NULL,
    reason                 TEXT    NOT NULL,  -- '410 Gone', 'recorder down', ...
    from_resource_version  TEXT,              -- last version seen before the gap
    to_resource_version    TEXT,              -- version of the relist that closed it
    from_wall_ns           INTEGER NOT NULL,
    to_wall_ns             INTEGER NOT NULL
);
CREATE INDEX gap_by_session ON gap (session_id, from_wall_ns);

-- A labelled moment (a scenario step, a user's note).
CREATE TABLE mark (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER NOT NULL REFERENCES session(id),
    run_id            INTEGER NOT NULL REFERENCES run(id),
    label             TEXT    NOT NULL,
    detail            TEXT    NOT NULL DEFAULT '{}',  -- JSON
    received_wall_ns  INTEGER NOT NULL,
    received_mono_ns  INTEGER NOT NULL
);
CREATE INDEX mark_by_session ON mark (session_id, received_wall_ns);
