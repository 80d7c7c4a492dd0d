"""The lab's throughput flags: upstream's limits by default, raised only for scale."""

from pathlib import Path

from stswatch.lab import components
from stswatch.lab.build import Binaries
from stswatch.lab.certs import Pki
from stswatch.lab.cluster import fake_node
from stswatch.lab.components import ComponentSpec, LabFiles, Throughput

PORTS = {name: 20000 + i for i, name in enumerate(components.PORT_NAMES)}


def _files(directory: Path) -> LabFiles:
    return LabFiles(
        directory=directory,
        pki=Pki(directory / "ca.crt", directory / "admin.crt", directory / "admin.key"),
        kubeconfig=directory / "kubeconfig",
        stages=directory / "stages.yaml",
        etcd_data=directory / "etcd",
        volumes=directory / "volumes",
        storage_class="lab",
        audit_policy=directory / "audit-policy.yaml",
        audit_log=directory / "audit.jsonl",
        kwok_config=directory / "kwok.yaml",
    )


def _specs(throughput: Throughput) -> dict[str, ComponentSpec]:
    binaries = Binaries(*(Path(f"/bin/{n}") for n in ("apiserver", "kcm", "sched", "etcd", "kwok")))
    specs = components.component_specs(
        binaries=binaries, files=_files(Path("/lab")), ports=PORTS, throughput=throughput
    )
    return {spec.name: spec for spec in specs}


def _limits(argv: tuple[str, ...]) -> tuple[int, int]:
    flags = dict(a.removeprefix("--").split("=", 1) for a in argv if a.startswith("--kube-api-"))
    return int(flags["kube-api-qps"]), int(flags["kube-api-burst"])


def test_a_default_lab_keeps_upstreams_limits_and_kwoks_own_configuration() -> None:
    specs = _specs(Throughput())
    manager = specs["kube-controller-manager"].argv
    assert _limits(manager) == (20, 30)
    scheduler = specs["kube-scheduler"].argv
    assert _limits(scheduler) == (50, 100)
    assert [a for a in specs["kwok"].argv if a.startswith("--config=")] == [
        "--config=/lab/stages.yaml"
    ]
    assert Throughput().kwok_configuration() is None
    assert fake_node("n")["status"]["capacity"]["pods"] == "110"


def test_for_scale_raises_the_controllers_and_gives_kwok_more_workers() -> None:
    scale = Throughput.for_scale()
    specs = _specs(scale)
    manager = specs["kube-controller-manager"].argv
    assert _limits(manager) == (500, 1000)
    scheduler = specs["kube-scheduler"].argv
    assert _limits(scheduler) == (500, 1000)
    assert "--config=/lab/kwok.yaml" in specs["kwok"].argv
    # The apiserver is not throttled for system:masters: its flags do not change.
    assert specs["kube-apiserver"].argv == _specs(Throughput())["kube-apiserver"].argv
    node = fake_node("n", pods=scale.pods_per_node)
    assert node["status"]["capacity"]["pods"] == node["status"]["allocatable"]["pods"] == "1000"


def test_the_kwok_configuration_spells_out_every_default_kwok_would_set() -> None:
    document = Throughput.for_scale().kwok_configuration()
    assert document is not None
    options = document["options"]
    assert document["kind"] == "KwokConfiguration"
    assert options["podPlayStageParallelism"] == 16
    assert options["enablePodsOnNodeSyncListPager"] is True  # kwok's default, unset is false
    assert options["nodeLeaseParallelism"] == options["nodePlayStageParallelism"] == 4


def test_the_api_server_enables_pod_security_admission() -> None:
    # Scenario namespaces enforce Pod Security's baseline level (issue 19, item 2).
    argv = _specs(Throughput())["kube-apiserver"].argv
    assert "--enable-admission-plugins=PodSecurity" in argv
    disabled = [a for a in argv if a.startswith("--disable-admission-plugins=")]
    assert disabled == ["--disable-admission-plugins=ServiceAccount"]


def test_feature_gates_go_to_the_apiserver_and_the_controller_manager_only() -> None:
    binaries = Binaries(*(Path(f"/bin/{n}") for n in ("apiserver", "kcm", "sched", "etcd", "kwok")))
    gates = ("MaxUnavailableStatefulSet=true",)
    specs = components.component_specs(
        binaries=binaries,
        files=_files(Path("/lab")),
        ports=PORTS,
        throughput=Throughput(),
        feature_gates=gates,
    )
    flagged = {s.name for s in specs if "--feature-gates=MaxUnavailableStatefulSet=true" in s.argv}
    assert flagged == {"kube-apiserver", "kube-controller-manager"}
    assert not any(
        a.startswith("--feature-gates") for s in _specs(Throughput()).values() for a in s.argv
    )


def test_lab_up_refuses_a_malformed_feature_gate() -> None:
    from click.testing import CliRunner

    from stswatch.cli import main

    result = CliRunner().invoke(
        main, ["lab", "up", "--dir", "/nonexistent/lab", "--feature-gates", "Max Unavailable"]
    )
    assert result.exit_code == 2
    assert "'Max Unavailable' is not NAME=true|false" in result.output
