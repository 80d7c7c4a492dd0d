"""The lab's kubeconfig: one cluster, one admin user, certs embedded so the file stands alone."""

import base64
from pathlib import Path

import yaml

from stswatch.lab.certs import Pki

CONTEXT = "stswatch-lab"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_document(*, server: str, pki: Pki) -> dict[str, object]:
    """A kubeconfig for `server` authenticating as the lab admin."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": server, "certificate-authority-data": _b64(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": CONTEXT,
                "user": {
                    "client-certificate-data": _b64(pki.admin_cert),
                    "client-key-data": _b64(pki.admin_key),
                },
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}],
        "current-context": CONTEXT,
    }


def write_kubeconfig(path: Path, *, server: str, pki: Pki) -> Path:
    """Write the kubeconfig (mode 0600) and return its path."""
    path.write_text(yaml.safe_dump(kubeconfig_document(server=server, pki=pki), sort_keys=False))
    path.chmod(0o600)
    return path
