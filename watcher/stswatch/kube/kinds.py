"""The kinds a recording watches and where the API serves them; Secrets are never among them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One watched resource: its kind name, API group/version prefix and plural."""

    name: str
    prefix: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        parts = self.prefix.split("/")
        return parts[2] if parts[1] == "apis" else ""

    def list_path(self, *, namespace: str | None) -> str:
        """The collection URL path: one namespace, or all of them when `namespace` is None."""
        if self.namespaced and namespace is not None:
            return f"{self.prefix}/namespaces/{namespace}/{self.plural}"
        return f"{self.prefix}/{self.plural}"


POD = Kind("Pod", "/api/v1", "pods")
PERSISTENT_VOLUME_CLAIM = Kind("PersistentVolumeClaim", "/api/v1", "persistentvolumeclaims")
PERSISTENT_VOLUME = Kind("PersistentVolume", "/api/v1", "persistentvolumes", namespaced=False)
STATEFUL_SET = Kind("StatefulSet", "/apis/apps/v1", "statefulsets")
SERVICE = Kind("Service", "/api/v1", "services")
ENDPOINT_SLICE = Kind("EndpointSlice", "/apis/discovery.k8s.io/v1", "endpointslices")
CONTROLLER_REVISION = Kind("ControllerRevision", "/apis/apps/v1", "controllerrevisions")
EVENT = Kind("Event", "/api/v1", "events")

# Everything a StatefulSet lives by. Secrets are deliberately absent: a recording is a file
# people mail around, and nothing the proofs need lives in a Secret.
WATCHED_KINDS: tuple[Kind, ...] = (
    STATEFUL_SET,
    POD,
    PERSISTENT_VOLUME_CLAIM,
    PERSISTENT_VOLUME,
    SERVICE,
    ENDPOINT_SLICE,
    CONTROLLER_REVISION,
    EVENT,
)
