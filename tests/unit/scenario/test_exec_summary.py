"""The exec steps' one-line summary: the value read back and the DNS answers."""

from stswatch.scenario.exec_summary import dns_answers, exec_summary, output_of
from stswatch.scenario.loading import load_scenario
from stswatch.scenario.model import ExecStep
from stswatch.scenario.steps import StepOutcome

NSLOOKUP = """Server:\t\t10.245.3.1
Address:\t10.245.3.1:53

Name:\tredis-0.redis-headless.ns.svc.cluster.local
Address: 10.245.3.12

*** Can't find redis-0.redis-headless.ns.svc.cluster.local: No answer
"""


def test_dns_answers_skip_the_servers_address() -> None:
    assert dns_answers(NSLOOKUP) == ["10.245.3.12"]
    assert dns_answers("** server can't find x: NXDOMAIN") == []


def test_output_of_reads_the_note_of_a_step_that_ran() -> None:
    assert output_of(StepOutcome(1, "exec", "t", "done", 0.1, "output 'OK'")) == "OK"
    assert output_of(StepOutcome(1, "exec", "t", "skipped", 0.0, "exec is off")) is None


def test_lesson_summary_says_mykey_survived_and_shows_dns() -> None:
    lesson = load_scenario("lesson")
    execs = [(i, s) for i, s in enumerate(lesson.steps, start=1) if isinstance(s, ExecStep)]
    outcomes = []
    for index, step in execs:
        if step.command[0] == "nslookup":
            note = f"output {NSLOOKUP.replace('.ns.', '.lesson-ns.').strip()!r}"
        else:
            note = f"output {step.expect or 'OK'!r}"
        outcomes.append(StepOutcome(index, "exec", "t", "done", 0.1, note))
    lines = exec_summary(lesson, outcomes, namespace="lesson-ns")
    assert "mykey survived: `redis-cli GET mykey` in redis-0 printed 'hello-from-redis-0'" in lines
    dns = [line for line in lines if line.startswith("DNS ")]
    assert len(dns) == 3
    assert dns[1] == (
        "DNS redis-0.redis-headless.lesson-ns.svc.cluster.local -> 10.245.3.12 "
        "(from pod dns-client)"
    )


def test_skipped_exec_steps_say_nothing() -> None:
    lesson = load_scenario("lesson")
    outcomes = [StepOutcome(i, "exec", "t", "skipped", 0.0, "exec is off") for i in range(1, 30)]
    assert exec_summary(lesson, outcomes, namespace="n") == []
