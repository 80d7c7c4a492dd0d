"""A live StatefulSet, read from the API server's objects: `status` (what it is) and `doctor`
(what is wrong with it and how to fix it).

Everything here is a pure function over the objects as the API server returns them (plain JSON
dicts); `watcher/stswatch/live.py` fetches them and `watcher/stswatch/cli/live.py` prints. Nothing
here imports
kubernetes-asyncio.
"""
