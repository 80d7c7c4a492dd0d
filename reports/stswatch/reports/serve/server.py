"""Where `serve` listens, and the server's life: checked store, bound socket, served until stopped.

Loopback by default: the pages show every recorded object to whoever connects, and there is no
authentication, so binding elsewhere is the user's explicit choice and is warned about (through
`kubectl port-forward` the in-cluster recorder's pod is reached on the user's loopback anyway).
"""

import asyncio
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from stswatch.errors import UsageError
from stswatch.reports.recording import list_session_names
from stswatch.reports.serve.app import LOOPBACK_HOSTS, create_app

DEFAULT_LISTEN = "127.0.0.1:8080"
_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>[0-9]{1,5})$")


@dataclass(frozen=True)
class Listen:
    """A host and port to listen on."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        """True when only this machine can connect."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a host name: it may resolve to anything

    @property
    def url(self) -> str:
        """The address as a browser is given it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def warning(self) -> str | None:
        """What to say when others can connect, else None."""
        if self.loopback:
            return None
        return (
            f"serving on {self.host}:{self.port}, reachable from other machines: whoever can "
            "connect reads every recorded object of this store (there is no authentication); "
            f"use --listen {DEFAULT_LISTEN} and kubectl port-forward or an SSH tunnel instead"
        )


def parse_listen(text: str) -> Listen:
    """HOST:PORT (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`; port 0: any free one);
    UsageError when not."""
    match = _LISTEN.match(text.strip())
    port = int(match["port"]) if match else -1
    if match is None or not 0 <= port < 65536:
        raise UsageError(
            f"--listen {text!r} is not HOST:PORT with a port from 0 (any free one) to 65535 "
            f"(e.g. {DEFAULT_LISTEN} or [::1]:8080)"
        )
    return Listen(match["v6"] or match["host"], port)


def serve(path: Path, listen: Listen, *, ready: Callable[[str], None]) -> None:
    """Serve the store at `path` until interrupted; `ready(url)` once the socket is bound.

    Raises the store's errors before binding (a missing or unreadable store), and UsageError
    when the address cannot be bound.
    """
    list_session_names(path)  # a store that cannot be read is said at once, not on first visit
    asyncio.run(_serve(path, listen, ready))


async def _serve(path: Path, listen: Listen, ready: Callable[[str], None]) -> None:
    app = create_app(path, hosts=LOOPBACK_HOSTS if listen.loopback else None)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, listen.host, listen.port)
        try:
            await site.start()
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {listen.host}:{listen.port}: {exc.strerror or exc}"
            ) from exc
        port = runner.addresses[0][1] if runner.addresses else listen.port
        ready(Listen(listen.host, port).url)
        await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        await runner.cleanup()
