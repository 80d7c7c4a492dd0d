"""Running one host command for the real-node lab, with a timeout and a LabError that says why."""

import subprocess

from stswatch.errors import LabError

COMMAND_TIMEOUT_S = 30.0


def _run(
    argv: list[str], *, check: bool = True, timeout: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        if check:
            raise LabError(f"`{' '.join(argv)}` failed: {exc}") from exc
        return subprocess.CompletedProcess(argv, 1, "", str(exc))
    if check and done.returncode != 0:
        raise LabError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
    return done
