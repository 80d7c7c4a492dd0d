"""Benchmark: a pytest selection run N times while busy loops keep every core at 100 %.

The lab must stay deterministic on a loaded machine (CI runs on two shared cores). This runs
`python -m pytest ARGS` RUNS times, each with one CPU burner per core at normal priority, and
prints each run's pass/fail counts and wall time beside one unloaded run's (the baseline, first).
Prints; never asserts.

    python -m bench.loaded --runs 3 tests/integration
"""

import argparse
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def _burn() -> None:
    while True:
        pass


def _run(
    pytest_args: list[str], *, label: str, keep: Path | None
) -> tuple[str, float, dict[str, int]]:
    with contextlib.ExitStack() as stack:
        if keep is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
        else:
            keep.mkdir(parents=True, exist_ok=True)
            tmp = tempfile.mkdtemp(dir=keep, prefix="run-")  # labs' logs stay for a post-mortem
        report = Path(tmp) / "junit.xml"
        started = time.monotonic()
        # A basetemp of its own: other runs on a shared machine never see (or stop) its lab.
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"--junitxml={report}", f"--basetemp={Path(tmp) / 'pytest'}", *pytest_args],
            check=False,
        )  # fmt: skip
        seconds = time.monotonic() - started
        suite = ET.parse(report).getroot().find("testsuite")
        assert suite is not None
        counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return label, seconds, counts


def main() -> None:
    # Started in the background (`... &`), a process inherits SIGINT ignored, and so would every
    # stswatch a test starts: Ctrl-C tests could not stop it. Tests get the usual Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep each run's folder (lab logs) under KEEP")
    parser.add_argument("pytest_args", nargs="+")
    args = parser.parse_args()
    results = [] if args.no_baseline else [_run(args.pytest_args, label="unloaded", keep=args.keep)]
    for number in range(1, args.runs + 1):
        burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burners)]
        for burner in burners:
            burner.start()
        try:
            results.append(
                _run(
                    args.pytest_args,
                    label=f"loaded {number} ({args.burners} burners)",
                    keep=args.keep,
                )
            )
        finally:
            for burner in burners:
                burner.terminate()
                burner.join()
        print(f"== {results[-1]}", flush=True)
    print(f"\n{'run':<24} {'seconds':>8} {'passed':>7} {'failed':>7} {'errors':>7} {'skipped':>8}")
    for label, seconds, c in results:
        print(
            f"{label:<24} {seconds:>8.1f} {c['passed']:>7} {c['failures']:>7} {c['errors']:>7} "
            f"{c['skipped']:>8}"
        )


if __name__ == "__main__":
    main()
