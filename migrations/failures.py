"""The one hierarchy of user-facing failures, and the exit code each maps to.

Every error a user can cause or meet (bad kubeconfig, a refused verb, a newer database, a
malformed scenario file) is a subclass of `StswatchError` carrying its `exit_code`; the CLI turns
it into one clear line on stderr and that exit code. The table below is the documented contract
(README, "Exit codes").
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; stable, documented in the README."""

    OK = 0
    VERDICT_FAILED = 1  # verify/scenario: at least one verdict failed
    USAGE = 2  # bad command line (click's own code)
    CLUSTER = 3  # cluster unreachable, bad kubeconfig, unknown context, API error
    NOT_FOUND = 4  # namespace, StatefulSet or session does not exist
    FORBIDDEN = 5  # 401/403: the API server refused a verb on a resource
    STORE = 6  # database corrupt, from a newer stswatch, unwritable, disk full
    BAD_INPUT = 7  # malformed scenario or import file
    LAB = 8  # lab build/start failure, missing toolchain, lab already running
    TIMEOUT = 9  # a bounded wait gave up
    INTERRUPTED = 130  # Ctrl-C before the work finished


class StswatchError(Exception):
    """A failure the user should read as one line; `exit_code` says how the process ends."""

    exit_code: ExitCode = ExitCode.CLUSTER

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(StswatchError):
    """A named thing (namespace, StatefulSet, session) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class BadInputError(StswatchError):
    """A file the user gave (scenario, import) is malformed."""

    exit_code = ExitCode.BAD_INPUT


class WaitTimeoutError(StswatchError):
    """A bounded wait ran out; the message says what it was waiting for."""

    exit_code = ExitCode.TIMEOUT
