"""Command lines of the lab's components and the URL that says each one is healthy.

Flags follow kwokctl's binary runtime (kwok's `pkg/kwokctl/runtime/binary`). Leader election is
off for the controller-manager and scheduler: one replica each, and with it on they would exit
when the apiserver restarts (a fault the recorder tests inject on purpose).

How fast the controllers may act is `Throughput`: upstream's defaults for every lab, raised only
when asked (`lab up --for-scale`, `bench.scale`), since a faster controller-manager also floods a
loaded machine sooner.
"""

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stswatch.lab.build import Binaries
from stswatch.lab.certs import Pki
from stswatch.lab.ports import LOOPBACK

PORT_NAMES = (
    "etcd",
    "etcd-peer",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
)
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
NODE_IP = "10.250.0.1"
NODE_ANNOTATION = "kwok.x-k8s.io/node"
NODE_LEASE_SECONDS = 40
UNSCHEDULABLE_RETRY = "10s"  # kube-scheduler's unschedulable pods retried at least this often
# The lab StorageClass's provisioner (stswatch.lab.provisioner), named here so that importing
# the lab never imports the provisioner: `python -m stswatch.lab.provisioner` runs it fresh.
PROVISIONER_NAME = "stswatch.dev/lab-hostpath"
ALWAYS_ALLOW = "/healthz,/readyz,/livez,/metrics"


@dataclass(frozen=True)
class Throughput:
    """Client rate limits of the controllers, kwok's pod workers and each fake node's pod room.

    The defaults are upstream's: kube-controller-manager 20 QPS (burst 30), kube-scheduler 50
    (burst 100), kwok 4 pod workers (`podPlayStageParallelism`; kwok's client has no rate limit),
    110 pods per node (the kubelet's `--max-pods`). The apiserver needs no raise: every lab
    component authenticates as `system:masters`, which API Priority and Fairness exempts from
    `--max-requests-inflight`.
    """

    controller_qps: int = 20
    controller_burst: int = 30
    scheduler_qps: int = 50
    scheduler_burst: int = 100
    kwok_pod_workers: int = 4
    pods_per_node: int = 110

    @classmethod
    def for_scale(cls) -> "Throughput":
        """10,000 pods in minutes, not hours: each pod costs the controller-manager a claim, a
        pod and the PV binder's updates, which 20 QPS spreads over most of an hour."""
        return cls(
            controller_qps=500,
            controller_burst=1000,
            scheduler_qps=500,
            scheduler_burst=1000,
            kwok_pod_workers=16,
            pods_per_node=1000,
        )

    def kwok_configuration(self) -> dict[str, Any] | None:
        """kwok's `KwokConfiguration` document when its workers differ from kwok's default.

        kwok applies no defaults to a configuration read from a file, so every option its
        defaulting would set is spelled out here with kwok v0.8.0's default value.
        """
        if self.kwok_pod_workers == Throughput.kwok_pod_workers:
            return None
        return {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokConfiguration",
            "options": {
                "manageAllNodes": False,
                "enableDebuggingHandlers": True,
                "enableContentionProfiling": False,
                "enableProfilingHandler": True,
                "podPlayStageParallelism": self.kwok_pod_workers,
                "nodePlayStageParallelism": 4,
                "nodeLeaseParallelism": 4,
                "podsOnNodeSyncParallelism": 1,
                "enablePodsOnNodeSyncListPager": True,
                "enablePodsOnNodeSyncStreamWatch": False,
            },
        }


@dataclass(frozen=True)
class Health:
    """Where a component reports healthy, and how to talk to it."""

    url: str
    client_cert: bool = False  # the apiserver wants our admin cert; others allow anonymous


@dataclass(frozen=True)
class ComponentSpec:
    """One process of the lab."""

    name: str
    argv: tuple[str, ...]
    health: Health | None


@dataclass(frozen=True)
class LabFiles:
    """Paths inside the lab directory the components read or write."""

    directory: Path
    pki: Pki
    kubeconfig: Path
    stages: Path
    etcd_data: Path
    volumes: Path
    storage_class: str
    audit_policy: Path
    audit_log: Path
    kwok_config: Path


# Who deleted which pod, with the request's DeleteOptions (grace period, uid precondition): the
# evidence when a lab's pod vanishes unexpectedly. Nothing else is audited.
AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  verbs: [delete, deletecollection]
  resources: [{group: "", resources: [pods]}]
- level: None
"""


def etcd(*, binaries: Binaries, files: LabFiles, ports: dict[str, int]) -> ComponentSpec:
    """Single-member etcd on plain HTTP loopback."""
    client = f"http://{LOOPBACK}:{ports['etcd']}"
    peer = f"http://{LOOPBACK}:{ports['etcd-peer']}"
    argv = (
        str(binaries.etcd),
        "--name=node0",
        f"--data-dir={files.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=node0={peer}",
        "--initial-cluster-state=new",
        "--listen-metrics-urls=",
        "--quota-backend-bytes=8589934592",
        "--unsafe-no-fsync=true",
    )
    return ComponentSpec("etcd", argv, Health(f"{client}/health"))


def kube_apiserver(
    *,
    binaries: Binaries,
    files: LabFiles,
    ports: dict[str, int],
    feature_gates: tuple[str, ...] = (),
) -> ComponentSpec:
    """TLS on 127.0.0.1, RBAC on, the admin cert as serving cert and service-account key."""
    pki = files.pki
    port = ports["kube-apiserver"]
    argv = (
        str(binaries.kube_apiserver),
        f"--etcd-servers=http://{LOOPBACK}:{ports['etcd']}",
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        f"--secure-port={port}",
        f"--tls-cert-file={pki.admin_cert}",
        f"--tls-private-key-file={pki.admin_key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--service-account-key-file={pki.admin_key}",
        f"--service-account-signing-key-file={pki.admin_key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        "--endpoint-reconciler-type=none",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # A fresh namespace has no default ServiceAccount for a moment; pods must not wait.
        "--disable-admission-plugins=ServiceAccount",
        # On by default since v1.25; named so that no default change can turn it off: scenario
        # namespaces enforce the baseline level (`stswatch.scenario.pod_security`).
        "--enable-admission-plugins=PodSecurity",
        f"--audit-policy-file={files.audit_policy}",
        f"--audit-log-path={files.audit_log}",
        "--audit-log-format=json",
        *_gates(feature_gates),
    )
    return ComponentSpec(
        "kube-apiserver", argv, Health(f"https://{LOOPBACK}:{port}/readyz", client_cert=True)
    )


def _gates(feature_gates: tuple[str, ...]) -> tuple[str, ...]:
    """`--feature-gates=A=true,B=false` when any gate is asked for (`lab up --feature-gates`):
    the apiserver and the controller-manager get the same ones, since a field such as
    `rollingUpdate.maxUnavailable` is kept by the one and honoured by the other."""
    return (f"--feature-gates={','.join(feature_gates)}",) if feature_gates else ()


def _controller_flags(*, files: LabFiles, port: int, qps: int, burst: int) -> tuple[str, ...]:
    """Flags the controller-manager and scheduler share: API access and a loopback /healthz."""
    return (
        f"--kubeconfig={files.kubeconfig}",
        f"--kube-api-qps={qps}",
        f"--kube-api-burst={burst}",
        f"--authentication-kubeconfig={files.kubeconfig}",
        f"--authorization-kubeconfig={files.kubeconfig}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={port}",
        f"--authorization-always-allow-paths={ALWAYS_ALLOW}",
        "--leader-elect=false",
    )


def kube_controller_manager(
    *,
    binaries: Binaries,
    files: LabFiles,
    ports: dict[str, int],
    throughput: Throughput,
    feature_gates: tuple[str, ...] = (),
) -> ComponentSpec:
    """Default controllers: statefulset, garbagecollector, PV binder, EndpointSlices..."""
    port = ports["kube-controller-manager"]
    limits = _controller_flags(
        files=files, port=port, qps=throughput.controller_qps, burst=throughput.controller_burst
    )
    argv = (
        str(binaries.kube_controller_manager),
        *limits,
        f"--root-ca-file={files.pki.ca_cert}",
        f"--service-account-private-key-file={files.pki.admin_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        *_gates(feature_gates),
    )
    return ComponentSpec(
        "kube-controller-manager", argv, Health(f"https://{LOOPBACK}:{port}/healthz")
    )


def kube_scheduler(
    *, binaries: Binaries, files: LabFiles, ports: dict[str, int], throughput: Throughput
) -> ComponentSpec:
    """The default scheduler, no leader election (`--kube-api-qps`: deprecated, still read).

    A pod the scheduler found with its claim not yet in its cache ("pod has unbound immediate
    PersistentVolumeClaims", the claim created a moment before the pod, as the StatefulSet
    controller does) is parked as unschedulable; when the event that should move it back is lost
    it waits out `--pod-max-in-unschedulable-pods-duration`, 5 minutes by default (deprecated,
    still read). Seen on loaded machines: a lab pod Pending for minutes with its claim Bound. The
    lab sets it to UNSCHEDULABLE_RETRY: such a pod is tried again within seconds.
    """
    port = ports["kube-scheduler"]
    limits = _controller_flags(
        files=files, port=port, qps=throughput.scheduler_qps, burst=throughput.scheduler_burst
    )
    retry = f"--pod-max-in-unschedulable-pods-duration={UNSCHEDULABLE_RETRY}"
    argv = (str(binaries.kube_scheduler), *limits, retry)
    return ComponentSpec("kube-scheduler", argv, Health(f"https://{LOOPBACK}:{port}/healthz"))


def kwok(
    *, binaries: Binaries, files: LabFiles, ports: dict[str, int], throughput: Throughput
) -> ComponentSpec:
    """kwok plays every kubelet: it manages nodes annotated kwok.x-k8s.io/node=fake."""
    port = ports["kwok"]
    configured = throughput.kwok_configuration() is not None
    argv = (
        str(binaries.kwok),
        f"--kubeconfig={files.kubeconfig}",
        f"--config={files.stages}",
        *((f"--config={files.kwok_config}",) if configured else ()),
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        f"--node-ip={NODE_IP}",
        f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
        f"--server-address={LOOPBACK}:{port}",
    )
    return ComponentSpec("kwok", argv, Health(f"http://{LOOPBACK}:{port}/healthz"))


def provisioner(*, files: LabFiles) -> ComponentSpec:
    """Our PV provisioner for the lab StorageClass (stswatch.lab.provisioner)."""
    argv = (
        sys.executable,
        "-m",
        "stswatch.lab.provisioner",
        f"--kubeconfig={files.kubeconfig}",
        f"--storage-class={files.storage_class}",
        f"--volumes={files.volumes}",
    )
    return ComponentSpec("provisioner", argv, None)


def component_specs(
    *,
    binaries: Binaries,
    files: LabFiles,
    ports: dict[str, int],
    throughput: Throughput,
    feature_gates: tuple[str, ...] = (),
) -> tuple[ComponentSpec, ...]:
    """Every component in start order."""
    gates = feature_gates
    return (
        etcd(binaries=binaries, files=files, ports=ports),
        kube_apiserver(binaries=binaries, files=files, ports=ports, feature_gates=gates),
        kube_controller_manager(
            binaries=binaries, files=files, ports=ports, throughput=throughput, feature_gates=gates
        ),
        kube_scheduler(binaries=binaries, files=files, ports=ports, throughput=throughput),
        kwok(binaries=binaries, files=files, ports=ports, throughput=throughput),
        provisioner(files=files),
    )
