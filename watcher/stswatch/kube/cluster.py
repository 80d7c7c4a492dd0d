"""Connecting to a cluster the way kubectl does, and the few one-shot reads the recorder needs.

The kubeconfig is found as kubectl finds it: `--kubeconfig`, else `$KUBECONFIG` (a path list,
merged), else `~/.kube/config`, else the in-cluster service account. `--context` picks a
context. Every failure becomes one line: which file, which context, which server, which verb.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import yaml
from kubernetes_asyncio import config as kube_config
from kubernetes_asyncio.client import ApiClient, Configuration

from stswatch.errors import ClusterError, NotFoundError
from stswatch.kube.api import TRANSIENT_ERRORS, MissingError, Request, TransientApiError, get_json
from stswatch.kube.verbs import get_or_none

IN_CLUSTER = "in-cluster service account"  # `Cluster.source` when running in a pod
_SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_UNANSWERED: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, MissingError)
_ONE_SHOT = aiohttp.ClientTimeout(total=15, sock_connect=10)


@dataclass
class Cluster:
    """An open connection to one API server; `close()` it when done."""

    api: ApiClient
    server_url: str
    server_version: str  # gitVersion of /version, e.g. v1.34.1
    default_namespace: str  # the context's namespace, as kubectl would use
    source: str  # the kubeconfig file(s) or "in-cluster service account"

    async def get(self, path: str, *, what: str) -> dict[str, Any]:
        """GET one object; a 404 is a NotFoundError naming `what`."""
        found = await get_or_none(self.api, path, what=what, limits=_ONE_SHOT)
        if found is None:
            raise NotFoundError(f"{what} does not exist on {self.server_url}")
        return found

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self.api.close()


async def connect(*, kubeconfig: Path | None, context: str | None) -> Cluster:
    """Load credentials as kubectl does, then ask the server for its version."""
    configuration = Configuration()
    if kubeconfig is not None or _kubeconfig_paths():
        source = str(kubeconfig) if kubeconfig is not None else os.pathsep.join(_kubeconfig_paths())
        namespace = await _load_kubeconfig(configuration, source=source, context=context)
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        if context is not None:
            raise ClusterError(f"--context {context!r}: no kubeconfig found, only in-cluster")
        source, namespace = IN_CLUSTER, _load_in_cluster(configuration)
    else:
        raise ClusterError(
            "no kubeconfig: pass --kubeconfig, set $KUBECONFIG, create ~/.kube/config, "
            "or run in a pod with a service account"
        )
    try:
        api = ApiClient(configuration=configuration)
    except OSError as exc:  # unreadable CA or client certificate files
        raise ClusterError(f"kubeconfig {source}: cannot load TLS files ({exc})") from exc
    try:
        server_url = str(configuration.host)
        version = await _server_version(api, server_url=server_url)
    except BaseException:
        await api.close()
        raise
    return Cluster(api, server_url, version, namespace, source)


def _is_server_url(host: str) -> bool:
    """True for an http(s) URL with a host (and a port, if any, below 65536): what aiohttp can
    be asked to reach."""
    try:
        server = urlsplit(host)
        server.port  # noqa: B018 (raises ValueError when out of range)
        return server.scheme in ("http", "https") and bool(server.hostname)
    except ValueError:  # an unclosed IPv6 bracket, a port above 65535
        return False


def _kubeconfig_paths() -> list[str]:
    """Existing files named by $KUBECONFIG, else ~/.kube/config if it exists."""
    listed = os.environ.get("KUBECONFIG", "")
    if listed:
        return [p for p in listed.split(os.pathsep) if p and Path(p).expanduser().is_file()] or [
            listed
        ]
    default = Path.home() / ".kube" / "config"
    return [str(default)] if default.is_file() else []


async def _load_kubeconfig(
    configuration: Configuration, *, source: str, context: str | None
) -> str:
    """Fill `configuration` from the kubeconfig; return the context's namespace."""
    _require_files(source)
    # An empty file in a $KUBECONFIG list adds nothing, as kubectl reads it; alone it is no
    # kubeconfig (kubernetes-asyncio would fail on it with a TypeError).
    loaded = os.pathsep.join(p for p in source.split(os.pathsep) if not _is_empty(Path(p)))
    if not loaded:
        raise ClusterError(f"kubeconfig {source}: empty (no clusters, contexts or users)")
    try:
        contexts, current = kube_config.list_kube_config_contexts(config_file=loaded)
        names = [c["name"] for c in contexts or []]
        if context is not None and context not in names:
            raise ClusterError(
                f"kubeconfig {source}: no context named {context!r} "
                f"(contexts: {', '.join(names) or 'none'})"
            )
        await kube_config.load_kube_config(
            config_file=loaded,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except yaml.YAMLError as exc:
        # PyYAML's message spans several lines; the user gets one.
        detail = " ".join(str(exc).split())
        raise ClusterError(f"kubeconfig {source}: not valid YAML ({detail})") from exc
    except UnicodeDecodeError as exc:
        raise ClusterError(f"kubeconfig {source}: not a UTF-8 text file ({exc.reason})") from exc
    except kube_config.ConfigException as exc:
        raise ClusterError(f"kubeconfig {source}: {exc}") from exc
    except OSError as exc:  # a file it names: an exec credential plugin, a tokenFile
        raise ClusterError(
            f"kubeconfig {source}: {exc.filename or 'a file it names'}: {exc.strerror or exc}"
        ) from exc
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # kubernetes-asyncio indexes the parsed YAML without checking its shape.
        raise ClusterError(
            f"kubeconfig {source}: not a kubeconfig ({type(exc).__name__}: {exc})"
        ) from exc
    if not _is_server_url(str(configuration.host)):
        raise ClusterError(
            f"kubeconfig {source}: server {configuration.host!r} is not an http(s) URL with a "
            "host (and a port up to 65535)"
        )
    chosen = next((c for c in contexts if c["name"] == context), current) if context else current
    namespace = ((chosen or {}).get("context") or {}).get("namespace")
    return str(namespace or "default")


def _require_files(source: str) -> None:
    missing = [p for p in source.split(os.pathsep) if not Path(p).expanduser().is_file()]
    if missing:
        raise ClusterError(f"kubeconfig {missing[0]}: no such file")


def _is_empty(path: Path) -> bool:
    """True for a file holding only white space (an unreadable one is left to the loader)."""
    try:
        return not path.expanduser().read_bytes().strip()
    except OSError:
        return False


def _load_in_cluster(configuration: Configuration) -> str:
    try:
        kube_config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration
        )
    except kube_config.ConfigException as exc:
        raise ClusterError(f"in-cluster service account: {exc}") from exc
    try:
        return _SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


async def _server_version(api: ApiClient, *, server_url: str) -> str:
    request = Request(path="/version", verb="get", what="/version")
    try:
        version = await get_json(api, request, limits=_ONE_SHOT)
    except _UNANSWERED as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, TransientApiError | MissingError):
            raise ClusterError(f"the API server at {server_url} answered: {reason}") from exc
        raise ClusterError(f"cannot reach the API server at {server_url}: {reason}") from exc
    return str(version.get("gitVersion", "unknown"))
