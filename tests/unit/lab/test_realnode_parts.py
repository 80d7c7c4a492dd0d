"""Real nodes' pure parts: the kubelet module, the image archives, the plan and the configs."""

import io
import re
import tarfile
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.lab import realnode
from stswatch.lab.build import COMPONENTS, NODE_COMPONENTS, module_version
from stswatch.lab.images import _Layer, write_archive
from stswatch.lab.paths import controlplane_modules


def _replaces(go_mod: str) -> list[str]:
    block = re.search(r"^replace \((.*?)^\)", go_mod, flags=re.MULTILINE | re.DOTALL)
    assert block is not None
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_kubelet_module_pins_the_control_planes_kubernetes() -> None:
    modules = controlplane_modules()
    kubernetes = next(c for c in COMPONENTS if c.name == "kubernetes")
    kubelet = next(c for c in NODE_COMPONENTS if c.name == "kubelet")
    assert module_version(kubelet, modules=modules) == module_version(kubernetes, modules=modules)
    ours = (modules / "kubelet" / "go.mod").read_text()
    theirs = (modules / "kubernetes" / "go.mod").read_text()
    assert _replaces(ours) == _replaces(theirs)


def test_etcdctl_module_pins_the_labs_etcd_version() -> None:
    modules = controlplane_modules()
    etcd = next(c for c in COMPONENTS if c.name == "etcd")
    etcdctl = next(c for c in NODE_COMPONENTS if c.name == "etcdctl")
    assert module_version(etcdctl, modules=modules) == module_version(etcd, modules=modules)


def test_coredns_module_is_pinned() -> None:
    coredns = next(c for c in NODE_COMPONENTS if c.name == "coredns")
    assert module_version(coredns, modules=controlplane_modules()).startswith("v1.")


def test_archive_is_what_ctr_import_reads(tmp_path: Path) -> None:
    layer = _Layer()
    layer.file("/etc/hello", b"hi\n")
    layer.symlink("/bin/sh", "busybox")
    archive = tmp_path / "x.tar"
    write_archive(
        archive, layer=layer.bytes(), tags=["docker.io/library/x:1"], config={"Cmd": ["sh"]}
    )
    with tarfile.open(archive) as outer:
        manifest = orjson.loads(outer.extractfile("manifest.json").read())  # type: ignore[union-attr]
        (entry,) = manifest
        assert entry["RepoTags"] == ["docker.io/library/x:1"]
        config = orjson.loads(outer.extractfile(entry["Config"]).read())  # type: ignore[union-attr]
        layer_bytes = outer.extractfile(entry["Layers"][0]).read()  # type: ignore[union-attr]
    assert config["rootfs"]["diff_ids"][0].endswith(entry["Layers"][0].split("/")[0])
    assert config["config"] == {"Cmd": ["sh"]}
    with tarfile.open(fileobj=io.BytesIO(layer_bytes)) as inner:
        names = {member.name: member for member in inner.getmembers()}
    assert names["etc"].isdir()
    assert names["etc/hello"].isfile()
    assert names["bin/sh"].issym()
    assert names["bin/sh"].linkname == "busybox"


def test_plan_names_nodes_by_loopback_ips_and_keys_host_objects(tmp_path: Path) -> None:
    layout = realnode.plan(tmp_path / "lab", count=2)
    assert [node.name for node in layout.nodes] == ["127.0.0.2", "127.0.0.3"]
    assert len(layout.bridge) <= 15
    assert layout.key in layout.bridge
    assert layout.key in layout.network
    assert all(layout.key in node.cgroup_root for node in layout.nodes)
    assert layout.nodes[0].cgroup_root != layout.nodes[1].cgroup_root
    assert layout.gateway.startswith(layout.subnet.rsplit(".", 1)[0])
    other = realnode.plan(tmp_path / "other", count=1)
    assert other.key != layout.key
    mac = realnode.bridge_mac(layout)
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", mac)  # locally administered, fixed per lab
    assert mac != realnode.bridge_mac(other)


def test_plan_refuses_too_many_nodes(tmp_path: Path) -> None:
    with pytest.raises(realnode.LabError):
        realnode.plan(tmp_path, count=realnode.MAX_REAL_NODES + 1)


def test_layout_round_trips(tmp_path: Path) -> None:
    layout = realnode.plan(tmp_path, count=1)
    realnode.write_layout(layout)
    assert realnode.read_layout(tmp_path) == layout


def test_configs_keep_traffic_in_the_lab(tmp_path: Path) -> None:
    layout = realnode.plan(tmp_path, count=1)
    (node,) = layout.nodes
    cni = realnode.cni_conflist(layout, node)
    bridge = cni["plugins"][0]
    assert bridge["ipMasq"] is False
    assert bridge["isDefaultGateway"] is False
    assert bridge["ipam"]["routes"] == [{"dst": layout.subnet}]
    kubelet = realnode.kubelet_config(layout, node)
    assert kubelet["address"] == node.name
    assert kubelet["clusterDNS"] == [layout.gateway]
    assert kubelet["resolvConf"] == ""
    assert kubelet["cgroupRoot"] == node.cgroup_root
    containerd = realnode.containerd_config(node, pause_image="registry.k8s.io/pause:3.10")
    assert "restrict_oom_score_adj = true" in containerd
    assert f'Root = "{node.path}/runc"' in containerd
    corefile = realnode.corefile(layout, kubeconfig=tmp_path / "kubeconfig")
    assert "forward" not in corefile
    assert f"bind {layout.gateway}" in corefile
    assert f"cluster.local:{layout.dns_port}" in corefile


def test_up_refuses_with_exit_8_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        realnode,
        "host_problems",
        lambda: ["Debian packages containerd runc (apt-get install them)"],
    )
    result = CliRunner().invoke(
        main, ["lab", "up", "--real-nodes", "1", "--dir", str(tmp_path / "lab")]
    )
    assert result.exit_code == ExitCode.LAB, result.output
    assert "containerd runc" in result.output


def test_teardown_without_real_nodes_does_nothing(tmp_path: Path) -> None:
    assert realnode.teardown(tmp_path, records={}, api=None, report=print) == ([], [])
