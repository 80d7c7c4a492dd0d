"""An exec's answer read as the API server sends it: output bounded, exit status kept.

The exec subresource speaks `v4.channel.k8s.io` over a websocket: each binary frame starts with
its channel byte (1 stdout, 2 stderr, 3 the error channel). When the command ends, the error
channel carries a `metav1.Status`: `Success`, or `Failure` with reason `NonZeroExitCode` and the
exit code in `details.causes` (reason `ExitCode`), or a plain failure when the program could
not start (kubelet's `remotecommand` package, `v4WriteStatusFunc`).

kubernetes-asyncio's preloading reader drops channel 3 (a command that failed counted as done),
decodes each frame as strict UTF-8 (binary output was a traceback) and keeps everything (100 MiB
printed became 1.2 GB of memory and a 222 MB mark). `ExecOutput` keeps the first and last
`KEEP_BYTES` of what was printed, the byte count, and the exit status.
"""

from dataclasses import dataclass

import orjson

STDOUT, STDERR, ERROR = 1, 2, 3
KEEP_BYTES = 32 * 1024  # of the head, and again of the tail
_MESSAGE_CHARS = 500  # of the Status message quoted in a failure


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a pod printed (stdout and stderr interleaved) and how it ended."""

    output: str  # decoded with replacement; when longer than 2 × KEEP_BYTES, head … tail
    output_bytes: int  # every byte printed, shown or not
    exit_code: int | None  # None: the command did not run to an exit (see `failure`)
    failure: str  # "" when it exited 0; else what the error channel said

    @property
    def succeeded(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0 and not self.failure


class ExecOutput:
    """The frames of one exec, fed in order; `result()` once the socket closed."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._tail = bytearray()
        self._bytes = 0
        self._status: bytes | None = None

    def feed(self, frame: bytes) -> None:
        """One websocket frame: its channel byte, then data."""
        if not frame:
            return
        channel, data = frame[0], frame[1:]
        if channel == ERROR:
            self._status = (self._status or b"") + data[: 64 * 1024]
        elif channel in (STDOUT, STDERR) and data:
            self._keep(data)

    def _keep(self, data: bytes) -> None:
        self._bytes += len(data)
        room = KEEP_BYTES - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            del self._tail[:-KEEP_BYTES]

    def result(self) -> ExecResult:
        """The output kept, the byte count and the exit status the error channel gave."""
        left_out = self._bytes - len(self._head) - len(self._tail)
        if left_out:
            head, tail = (bytes(b).decode(errors="replace") for b in (self._head, self._tail))
            output = f"{head}\n[… {left_out} bytes not kept …]\n{tail}"
        else:
            output = bytes(self._head + self._tail).decode(errors="replace")
        exit_code, failure = _exit_status(self._status)
        return ExecResult(output, self._bytes, exit_code, failure)


def _exit_status(status: bytes | None) -> tuple[int | None, str]:
    """(exit code, failure) from the error channel's Status."""
    if status is None:
        return None, "the API server sent no exit status"
    try:
        decoded = orjson.loads(status)
    except orjson.JSONDecodeError:
        return None, "the API server sent an unreadable exit status"
    if not isinstance(decoded, dict):
        return None, "the API server sent an unreadable exit status"
    if decoded.get("status") == "Success":
        return 0, ""
    message = str(decoded.get("message") or decoded.get("reason") or "failed")[:_MESSAGE_CHARS]
    details = decoded.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    for cause in causes if isinstance(causes, list) else ():
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            code = str(cause.get("message"))
            if code.isascii() and code.isdigit() and len(code) <= 3:
                return int(code), message
    return None, message
