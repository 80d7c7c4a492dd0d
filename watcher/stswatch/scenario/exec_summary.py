"""What a run's exec steps showed, one line each: the value read back, the DNS answers.

The outputs come from the steps' outcomes (the same text the marks in the recording hold).
"""

import ast
import re
from collections.abc import Sequence

from stswatch.scenario.model import ExecStep, Scenario
from stswatch.scenario.steps import StepOutcome

OUTPUT = "output "
IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def output_of(outcome: StepOutcome) -> str | None:
    """The command's output (stripped) if the step ran and printed something."""
    if outcome.status != "done" or not outcome.note.startswith(OUTPUT):
        return None
    try:
        return str(ast.literal_eval(outcome.note[len(OUTPUT) :]))
    except (ValueError, SyntaxError):
        return None


def dns_answers(output: str) -> list[str]:
    """The IPv4 addresses an `nslookup` printed for the name (not the server's own address)."""
    answers: list[str] = []
    named = False
    for line in output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Name":
            named = True
        elif named and key.strip().startswith("Address") and IPV4.match(value.strip()):
            answers.append(value.strip())
    return answers


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
        else:
            lines.append(f"`{' '.join(command)}` in {step.pod} printed {output!r}")
    return lines
