"""The recorder: list-then-watch reflectors per kind into the SQLite store, gaps recorded.

`recorder.Recorder` runs one `reflector.Reflector` per kind (`stswatch.kube.kinds`) inside the scope
(`scope.py`), redacts what it must (`redact.py`), and hands frozen records (`records.py`) to the
one writer task (`writer.py`) that owns the store (`writable_store.py`). One recorder per session
(`holder.py` in the store, `lease.py` in a cluster); permissions are checked before anything is
written (`permissions.py`). Knows nothing of the reading side.
"""
