"""The watched kinds and their collection paths."""

from stswatch.kube.kinds import PERSISTENT_VOLUME, POD, STATEFUL_SET, WATCHED_KINDS


def test_list_paths() -> None:
    assert POD.list_path(namespace="lab") == "/api/v1/namespaces/lab/pods"
    assert POD.list_path(namespace=None) == "/api/v1/pods"
    assert STATEFUL_SET.list_path(namespace="lab") == "/apis/apps/v1/namespaces/lab/statefulsets"
    assert PERSISTENT_VOLUME.list_path(namespace="lab") == "/api/v1/persistentvolumes"


def test_secrets_are_never_watched() -> None:
    assert all(kind.plural != "secrets" for kind in WATCHED_KINDS)
    assert len({kind.name for kind in WATCHED_KINDS}) == 8
