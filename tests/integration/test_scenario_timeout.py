"""A scenario whose wait gives up: exit 9 naming the wait, and the session is still reported."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.reports.recording import load_recording

pytestmark = pytest.mark.integration

SCENARIO = """
name: stuck
description: One pod, then a wait for a pod that never comes.
statefulset: web
steps:
  - apply:
      manifests:
        - apiVersion: apps/v1
          kind: StatefulSet
          metadata: {name: web}
          spec:
            serviceName: web
            replicas: 1
            podManagementPolicy: ${policy}
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: web, image: nginx}]
  - wait: {until: ready-replicas, replicas: 1, timeout: 60}
  - wait: {until: pod-ready, pod: web-7, timeout: 2}
  - scale: {replicas: 2}
"""


def test_wait_timeout_stops_the_run_but_keeps_the_session(lab: Any, tmp_path: Path) -> None:
    file = tmp_path / "stuck.yaml"
    file.write_text(SCENARIO)
    db = tmp_path / "s.db"
    argv = ["scenario", "run", str(file), "--session", "stuck", "--db", str(db),
            "-o", str(tmp_path / "out"), "--kubeconfig", str(lab.kubeconfig)]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == ExitCode.TIMEOUT, cli.output
    assert "stopped early: gave up after 2 s waiting for pod web-7 to be Ready" in cli.output
    assert "last seen: no such pod" in cli.output
    recording = load_recording(db, "stuck-orderedready")
    assert recording.runs[0].ended_wall_ns is not None  # the run was closed cleanly
    labels = [m.label for m in recording.marks]
    assert "wait for pod web-7 to be Ready (timed out)" in labels
    assert "scale web to 2" not in labels  # nothing ran after the failed step
    assert (tmp_path / "out" / "stuck-orderedready.html").is_file()
