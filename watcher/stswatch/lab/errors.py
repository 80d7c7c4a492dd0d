"""The lab's user-facing failure: build or start problems, a missing toolchain, a lab already up."""

from stswatch.errors import ExitCode, StswatchError


class LabError(StswatchError):
    """The local control plane could not be built, started or stopped."""

    exit_code = ExitCode.LAB
