"""A lab directory too deep for the kubelet's unix sockets is refused before anything starts."""

from pathlib import Path

import pytest

from stswatch.errors import LabError
from stswatch.lab import realnode


def test_a_deep_lab_directory_is_refused_with_the_length_it_may_have() -> None:
    deep = Path("/tmp/pytest-of-root/pytest-204/test_lab_down_leaves_nothing_on_the_host_normal_0")
    with pytest.raises(LabError) as info:
        realnode.check_socket_room(deep, count=1)
    message = info.value.message
    assert f"the lab directory {deep} is too deep for real nodes" in message
    assert "over the 108 a unix socket path may hold" in message
    allowed = int(message.split("at most ")[1].split(" bytes")[0])
    root = realnode.kubelet_root(Path("/" + "d" * (allowed - 1)) / "nodes" / "127.0.0.2")
    assert len(str(root)) + realnode.KUBELET_SOCKET_TAIL == realnode.UNIX_PATH_MAX


def test_a_lab_directory_of_the_allowed_length_passes() -> None:
    realnode.check_socket_room(Path("/" + "d" * 52), count=6)


def test_the_kubelet_runs_in_the_root_the_check_measures(tmp_path: Path) -> None:
    layout = realnode.plan(tmp_path / "lab", count=2)
    argv = realnode.kubelet_argv(layout.nodes[1], kubelet=Path("/bin/kubelet"))
    assert f"--root-dir={realnode.kubelet_root(layout.nodes[1].path)}" in argv
