"""A live StatefulSet, read from the API server's objects: `status` (what it is) and `doctor`
(what is wrong with it and how to fix it).

Everything here is a pure function over the objects as the API server returns them (plain JSON
dicts); `watcher/stswatch/set_reader.py` fetches them and `watcher/stswatch/cli/checker.py`
prints. Nothing here imports kubernetes-asyncio.
"""
