"""The one hierarchy of user-facing failures, and the exit code each maps to.

Every error a user can cause or meet (bad kubeconfig, a refused verb, a newer database, a
malformed scenario file) is a subclass of `StswatchError` carrying its `exit_code`; the CLI turns
it into one clear line on stderr and that exit code. `ExitCode` and `MEANINGS` are the one table
of the contract: the README's "Exit codes" table is `exit_code_table()`, checked by a test.
"""

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes; stable, documented in the README."""

    OK = 0
    VERDICT_FAILED = 1  # verify/scenario: a verdict failed; doctor: an error finding
    USAGE = 2  # bad command line (click's own code)
    CLUSTER = 3  # cluster unreachable, bad kubeconfig, unknown context, API error
    NOT_FOUND = 4  # namespace, StatefulSet or session does not exist
    FORBIDDEN = 5  # 401/403: the API server refused a verb on a resource
    STORE = 6  # database corrupt, from a newer stswatch, unwritable, disk full
    BAD_INPUT = 7  # malformed scenario or import file
    LAB = 8  # lab build/start failure, missing toolchain, lab already running
    TIMEOUT = 9  # a bounded wait gave up
    OUTPUT = 10  # an output file or standard output could not be written
    SESSION_HELD = 11  # another recorder is recording this session
    STEP_FAILED = 12  # a scenario step's check failed (an exec step printed something else)
    INTERRUPTED = 130  # Ctrl-C before the work finished


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success; for `verify`/`scenario`: no verdict failed",
    ExitCode.VERDICT_FAILED: "at least one verdict failed; for `doctor`: at least one error "
    "finding",
    ExitCode.USAGE: "bad command line",
    ExitCode.CLUSTER: "cluster unreachable, bad kubeconfig, unknown context, API error "
    "or a malformed API answer",
    ExitCode.NOT_FOUND: "namespace, StatefulSet or session not found",
    ExitCode.FORBIDDEN: "the API server refused a verb on a resource (401/403), or the "
    "permissions a recording needs are missing; the message names verb, resource and namespace",
    ExitCode.STORE: "the database is corrupt, from a newer stswatch, unwritable, unreadable, "
    "holds a row stswatch cannot have written (the message names it), or the disk is full "
    "(nothing already recorded is changed)",
    ExitCode.BAD_INPUT: "a malformed, oversized or out-of-place scenario or import file, or "
    "one applying what the Pod Security baseline level forbids (the message names the step "
    "and field)",
    ExitCode.LAB: "lab: build or start failure, missing Go toolchain, a lab already running "
    "in that directory, a state file that is not this lab's",
    ExitCode.TIMEOUT: "a bounded wait gave up (the message says what it waited for)",
    ExitCode.OUTPUT: "an output file (report, export, comparison) or standard output (full, "
    "closed) could not be written; a file already at that path is left as it was",
    ExitCode.SESSION_HELD: "another recorder is recording this session (the message names "
    "its host, pid and since when)",
    ExitCode.STEP_FAILED: "a scenario step's check failed (an `exec` step did not exit 0 or "
    "did not print what it expects)",
    ExitCode.INTERRUPTED: "interrupted",
}


def exit_code_table() -> str:
    """The README's "Exit codes" table, in Markdown."""
    rows = [f"| {int(code)} | {MEANINGS[code]} |" for code in ExitCode]
    return "\n".join(["| code | meaning |", "|---|---|", *rows]) + "\n"


class StswatchError(Exception):
    """A failure the user should read as one line; `exit_code` says how the process ends.

    The base class has no code of its own: every subclass names one, so no failure ends the
    process with a code that was chosen by default.
    """

    exit_code: ClassVar[ExitCode]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(getattr(cls, "exit_code", None), ExitCode):
            raise TypeError(f"{cls.__qualname__} must set exit_code to an ExitCode")

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# One class per row of the table above (OK, VERDICT_FAILED and INTERRUPTED are outcomes, not
# failures), in its order. A narrower failure subclasses its row where it is raised
# (ConflictError, MissingPermissionsError, ScopeMismatchError, ...); the recorder's internal
# control flow (GoneError, MissingError, TransientApiError, WriterClosedError) is not here: it
# never reaches a user.


def first_failure(exc: BaseException) -> BaseException:
    """The first user-facing failure (a `StswatchError`) inside nested task-group exception
    groups, in depth-first order; else the first leaf; `exc` itself when it is no group."""
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    leaves = [first_failure(e) for e in exc.exceptions]
    for leaf in leaves:
        if isinstance(leaf, StswatchError):
            return leaf
    return leaves[0]


class UsageError(StswatchError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class ClusterError(StswatchError):
    """The API server cannot be reached, or answered something the recorder cannot use."""

    exit_code = ExitCode.CLUSTER


class NotFoundError(StswatchError):
    """A named thing (namespace, StatefulSet, session) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class ForbiddenError(StswatchError):
    """The API server refused a verb on a resource (401/403)."""

    exit_code = ExitCode.FORBIDDEN


# -- the store (stswatch.store_contract)


class StoreError(StswatchError):
    """The SQLite store cannot be used."""

    exit_code = ExitCode.STORE


class SchemaTooNewError(StoreError):
    """The store was written by a newer stswatch; it is left untouched."""


class CorruptStoreError(StoreError):
    """The file is not an SQLite database, or fails its integrity check."""


class StoreWriteError(StoreError):
    """The store could not be written (read-only, disk full); committed data is intact."""


# --


class BadInputError(StswatchError):
    """A file the user gave (scenario, import) is malformed."""

    exit_code = ExitCode.BAD_INPUT


class LabError(StswatchError):
    """The local control plane could not be built, started or stopped."""

    exit_code = ExitCode.LAB


class WaitTimeoutError(StswatchError):
    """A bounded wait ran out; the message says what it was waiting for."""

    exit_code = ExitCode.TIMEOUT


class OutputWriteError(StswatchError):
    """An output file could not be written; whatever was at its path is unchanged."""

    exit_code = ExitCode.OUTPUT


class SessionHeldError(StswatchError):
    """Another recorder is recording the session (or took it over from this one)."""

    exit_code = ExitCode.SESSION_HELD


class ExecCheckError(StswatchError):
    """A command run in a pod printed something other than what the scenario expects."""

    exit_code = ExitCode.STEP_FAILED
