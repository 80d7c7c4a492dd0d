"""What a run's exec steps showed, one line each: the value read back, the DNS answers.

The outputs come from the steps' outcomes (the same text the marks in the recording hold).
"""

import ast
from collections.abc import Sequence

from stswatch.exec_mark_format import dns_answers, etcd_status
from stswatch.scenario.model import ExecStep, Scenario
from stswatch.scenario.steps import StepOutcome

OUTPUT = "output "


def output_of(outcome: StepOutcome) -> str | None:
    """The command's output (stripped) if the step ran and printed something."""
    if outcome.status != "done" or not outcome.note.startswith(OUTPUT):
        return None
    try:
        return str(ast.literal_eval(outcome.note[len(OUTPUT) :]))
    except (ValueError, SyntaxError):
        return None


def exec_summary(
    scenario: Scenario, outcomes: Sequence[StepOutcome], *, namespace: str
) -> list[str]:
    """One line per exec step that ran: its output, or for nslookup the addresses answered."""
    lines = []
    for outcome in outcomes:
        if not 1 <= outcome.index <= len(scenario.steps):
            continue
        step = scenario.steps[outcome.index - 1]
        output = output_of(outcome)
        if not isinstance(step, ExecStep) or output is None:
            continue
        command = [part.replace("${namespace}", namespace) for part in step.command]
        if command[0] == "nslookup":
            answers = ", ".join(dns_answers(output)) or "no address"
            lines.append(f"DNS {command[-1]} -> {answers} (from pod {step.pod})")
        elif command[:2] == ["redis-cli", "GET"] and step.expect == output:
            lines.append(
                f"{command[2]} survived: `{' '.join(command)}` in {step.pod} printed {output!r}"
            )
        elif command[:3] == ["etcdctl", "endpoint", "status"] and (status := etcd_status(output)):
            role = "the leader" if status.is_leader else f"leader {status.leader}"
            lines.append(
                f"etcd member {status.member_id} ({role}) of cluster {status.cluster_id} "
                f"in {step.pod}"
            )
        else:
            lines.append(f"`{' '.join(command)}` in {step.pod} printed {output!r}")
    return lines
