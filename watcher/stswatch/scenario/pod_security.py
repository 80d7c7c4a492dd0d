"""What the Pod Security Standards' baseline level forbids in a scenario's manifests.

A scenario file may be someone else's, and what it applies runs on the user's machine: on
`lab up --real-nodes` a Pod with `privileged: true`, `hostPID` and a `hostPath: /` volume runs
as root on the host. Scenario namespaces are labelled `pod-security.kubernetes.io/enforce:
baseline`, so the API server's PodSecurity admission refuses such pods; this module finds the
same fields before anything runs, in Pods and in a StatefulSet's pod template (which admission
only warns about: its pods would be refused one by one), so the file is refused with exit 7
naming the step, the manifest and the field. `--allow-privileged` lets both through.

The rules are the baseline level's, field by field
(https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline, and
`k8s.io/pod-security-admission/policy/check_*.go`).
"""

from collections.abc import Iterator
from typing import Any

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
STANDARDS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"

# check_capabilities_baseline.go: what a container may add.
_CAPABILITIES = frozenset((
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
))  # fmt: skip
# check_sysctls.go: the safe set.
_SYSCTLS = frozenset((
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
))  # fmt: skip
_SELINUX_TYPES = frozenset(
    ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def baseline_violations(manifest: dict[str, Any]) -> list[str]:
    """Each field of a Pod or a StatefulSet's pod template that baseline forbids, as
    `path: what it is` (empty for other kinds and for pods baseline admits)."""
    kind = manifest.get("kind")
    if kind == "Pod":
        return list(_pod(manifest, ""))
    if kind == "StatefulSet":
        template = _mapping(_mapping(manifest.get("spec")).get("template"))
        return list(_pod(template, "spec.template."))
    return []


def _pod(obj: dict[str, Any], prefix: str) -> Iterator[str]:
    """A pod's (or pod template's) fields; paths start with `prefix`."""
    at = f"{prefix}spec"
    spec = _mapping(obj.get("spec"))
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            yield f"{at}.{field}: true (the host's namespaces)"
    for i, volume in enumerate(_list(spec.get("volumes"))):
        if _mapping(volume).get("hostPath") is not None:
            yield f"{at}.volumes[{i}].hostPath: a directory of the host"
    yield from _security_context(_mapping(spec.get("securityContext")), f"{at}.securityContext")
    for key, value in _mapping(_mapping(obj.get("metadata")).get("annotations")).items():
        if str(key).startswith(_APPARMOR_ANNOTATION) and value == "unconfined":
            yield f"{prefix}metadata.annotations[{key}]: unconfined (AppArmor off)"
    for sysctl in _list(_mapping(spec.get("securityContext")).get("sysctls")):
        name = _mapping(sysctl).get("name")
        if name not in _SYSCTLS:
            yield f"{at}.securityContext.sysctls: {name} (not a namespaced safe sysctl)"
    for field in _CONTAINER_LISTS:
        for i, container in enumerate(_list(spec.get(field))):
            yield from _container(_mapping(container), f"{at}.{field}[{i}]")


def _container(container: dict[str, Any], at: str) -> Iterator[str]:
    context = _mapping(container.get("securityContext"))
    if context.get("privileged") is True:
        yield f"{at}.securityContext.privileged: true (every device and capability of the host)"
    added = _list(_mapping(context.get("capabilities")).get("add"))
    beyond = [str(c) for c in added if c not in _CAPABILITIES]
    if beyond:
        yield f"{at}.securityContext.capabilities.add: {', '.join(beyond)}"
    if context.get("procMount") not in (None, "Default"):
        yield f"{at}.securityContext.procMount: {context['procMount']} (an unmasked /proc)"
    yield from _security_context(context, f"{at}.securityContext")
    for i, port in enumerate(_list(container.get("ports"))):
        if _mapping(port).get("hostPort") not in (None, 0):
            yield f"{at}.ports[{i}].hostPort: {_mapping(port)['hostPort']} (a port of the host)"


def _security_context(context: dict[str, Any], at: str) -> Iterator[str]:
    """What pod and container security contexts share: host process, seccomp, AppArmor,
    SELinux."""
    if _mapping(context.get("windowsOptions")).get("hostProcess") is True:
        yield f"{at}.windowsOptions.hostProcess: true (a process of the host)"
    if _mapping(context.get("seccompProfile")).get("type") == "Unconfined":
        yield f"{at}.seccompProfile.type: Unconfined"
    if _mapping(context.get("appArmorProfile")).get("type") == "Unconfined":
        yield f"{at}.appArmorProfile.type: Unconfined"
    selinux = _mapping(context.get("seLinuxOptions"))
    if selinux.get("type", "") not in _SELINUX_TYPES:
        yield f"{at}.seLinuxOptions.type: {selinux['type']}"
    for field in ("user", "role"):
        if selinux.get(field):
            yield f"{at}.seLinuxOptions.{field}: {selinux[field]}"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
