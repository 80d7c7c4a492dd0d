"""Talk to the lab's etcd through its JSON gateway (no etcdctl is built): revision, compaction.

Tests use this to compact history under the apiserver, so a watch or list at an old
resourceVersion meets "410 Gone" the way it does on a long-lived cluster.
"""

import base64
import urllib.request
from typing import Any

import orjson

TIMEOUT_S = 5.0


def _post(endpoint: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{endpoint}{path}",
        data=orjson.dumps(body),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        answer: dict[str, Any] = orjson.loads(response.read())
    return answer


def current_revision(endpoint: str) -> int:
    """etcd's current store revision (the apiserver's newest resourceVersion)."""
    key = base64.b64encode(b"\0").decode()
    answer = _post(endpoint, "/v3/kv/range", {"key": key, "limit": 1, "keys_only": True})
    return int(answer["header"]["revision"])


def compact(endpoint: str, *, revision: int | None = None) -> int:
    """Compact etcd history up to `revision` (default: now); returns the revision compacted."""
    target = current_revision(endpoint) if revision is None else revision
    _post(endpoint, "/v3/kv/compaction", {"revision": str(target), "physical": True})
    return target
