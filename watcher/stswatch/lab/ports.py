"""Free loopback ports: ask the kernel for each, never reuse one within a lab."""

import socket
from collections.abc import Iterable

LOOPBACK = "127.0.0.1"


def free_port(*, taken: Iterable[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and that is not in `taken`."""
    avoid = set(taken)
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port
    raise OSError("no free loopback port after 100 tries")


def free_ports(names: Iterable[str]) -> dict[str, int]:
    """One distinct free port per name."""
    ports: dict[str, int] = {}
    for name in names:
        ports[name] = free_port(taken=ports.values())
    return ports


def is_listening(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0
