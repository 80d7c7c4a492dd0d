"""`VerifyResult` as terminal text, JSON or JUnit XML (for CI systems that read test reports)."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import orjson

from stswatch.reports.proofs.explain import (
    hold_text,
    inconclusive_note,
    missing_cause,
    why_inconclusive,
)
from stswatch.reports.proofs.verdict import (
    OUTCOMES,
    EpisodeResult,
    Evidence,
    Hold,
    MarkRef,
    Verdict,
    VerifyResult,
)
from stswatch.reports.window import stamp
from stswatch.safe_text import json_text, plain
from stswatch.safe_text import lines as lines_of

_LABEL = {"pass": "PASS", "fail": "FAIL", "not-applicable": "N/A ", "inconclusive": "INCONCLUSIVE"}


def clock(wall_ns: int) -> str:
    """A receive time as HH:MM:SS.ffffff UTC."""
    return datetime.fromtimestamp(wall_ns / 1e9, UTC).strftime("%H:%M:%S.%f")


def evidence_line(item: Evidence) -> str:
    """One evidence item on one line: change id, resourceVersion, receive time, what, note."""
    return (
        f"#{item.change_id} rv {item.resource_version} {clock(item.received_wall_ns)} "
        f"{item.kind} {item.name} {item.event}: {item.note}"
    )


def mark_line(item: MarkRef) -> str:
    """One cited scenario mark on one line: mark id, receive time, step, label, note."""
    step = f"step {item.step} " if item.step is not None else ""
    return f"mark #{item.mark_id} {clock(item.received_wall_ns)} {step}{item.label}: {item.note}"


def render_text(result: VerifyResult) -> str:
    """Readable in a terminal: each episode, its verdicts with reasons and evidence, latency."""
    lines = [
        f"session {result.session} · server {result.server_version}",
        f"ordering: {result.basis} ({result.basis_reason})",
        f"gaps: {len(result.gaps)}",
    ]
    if result.window is not None:
        since, until = stamp(result.window.since_wall_ns), stamp(result.window.until_wall_ns)
        state = "each object's state at its start is its last change before it"
        lines.insert(1, f"window: {since} – {until} ({state})")
    lines += [
        f"  gap #{g.gap_id} {g.kind} {g.reason} {clock(g.from_wall_ns)}–{clock(g.to_wall_ns)}"
        for g in result.gaps
    ]
    retention: dict[str, str] = {}  # said again only when a StatefulSet's policy changes
    for episode in result.episodes:
        lines.append("")
        lines.extend(_episode_text(episode, retention))
    totals = ", ".join(f"{result.count(o)} {o}" for o in OUTCOMES)
    lines += ["", f"totals: {totals}"]
    lines += inconclusive_note(
        missing_cause(v) for v in result.verdicts if v.outcome == "inconclusive"
    )
    return lines_of(lines)  # each line one field: recorded text cannot forge a line


def _episode_text(episode: EpisodeResult, retention: dict[str, str]) -> list[str]:
    took = (episode.end_wall_ns - episode.start_wall_ns) / 1e9
    # first and last are in the ordering's rank; a relist's changes are numbered as received,
    # so the two ids can run backwards: the range reads from the lower id
    low, high = sorted((episode.first_change_id, episode.last_change_id))
    lines = [
        f"#{episode.index} {episode.kind} · {episode.summary} [changes {low}..{high}, {took:.2f}s]"
    ]
    policy = episode.retention_policy
    if policy and retention.get(episode.statefulset) != policy:
        retention[episode.statefulset] = policy
        lines.append(f"  PVC retention: {policy}")
    lines += [f"  {line}" for line in progress_lines(episode)]
    for verdict in episode.verdicts:
        lines.append(f"  {_LABEL[verdict.outcome]:<5} {verdict.proof}: {verdict.reason}")
        if verdict.outcome == "inconclusive":
            lines.append(f"        {why_inconclusive(verdict)}")
        lines += [f"        {evidence_line(e)}" for e in verdict.evidence]
        lines += [f"        {mark_line(m)}" for m in verdict.marks]
    if episode.latency:
        lines.append("  latency ms          n      p50      p95      p99      max")
        lines += [
            f"  {p.phase:<18}{p.count:>3}{p.p50_ms:>9.1f}{p.p95_ms:>9.1f}{p.p99_ms:>9.1f}"
            f"{p.max_ms:>9.1f}"
            for p in episode.latency
        ]
    return lines


def progress_lines(episode: EpisodeResult) -> list[str]:
    """The episode's progress line and holds with their evidence."""
    if episode.progress is None:
        return []
    lines = [f"progress [{episode.progress.state}]: {episode.progress.text}"]
    for hold in episode.progress.holds:
        lines.append(f"  {hold_line(hold)}")
        lines += [f"      {evidence_line(e)}" for e in hold.evidence]
    return lines


def hold_line(hold: Hold) -> str:
    """One hold on one line, with the recorder's clock times."""
    until = "…" if hold.to_wall_ns is None else clock(hold.to_wall_ns)
    return f"{hold_text(hold)} [{clock(hold.from_wall_ns)}–{until}]"


def render_json(result: VerifyResult) -> str:
    """The whole result as indented JSON."""
    return json_text(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode()) + "\n"


def render_junit(result: VerifyResult) -> str:
    """One testsuite per episode, one testcase per verdict; fail → failure, others → skipped."""
    suites = ET.Element(
        "testsuites",
        name=f"stswatch verify {result.session}",
        tests=str(len(result.verdicts)),
        failures=str(result.count("fail")),
    )
    for episode in result.episodes:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"#{episode.index} {episode.summary}",
            tests=str(len(episode.verdicts)),
            failures=str(sum(v.outcome == "fail" for v in episode.verdicts)),
            skipped=str(
                sum(v.outcome in ("not-applicable", "inconclusive") for v in episode.verdicts)
            ),
        )
        for verdict in episode.verdicts:
            _testcase(suite, episode, verdict)
    ET.indent(suites)
    return plain(ET.tostring(suites, encoding="unicode", xml_declaration=True)) + "\n"


def _testcase(suite: ET.Element, episode: EpisodeResult, verdict: Verdict) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"stswatch.{episode.statefulset}.{episode.kind}",
        name=verdict.proof,
    )
    body = "\n".join(
        [evidence_line(e) for e in verdict.evidence] + [mark_line(m) for m in verdict.marks]
    )
    message = f"{verdict.reason} [ordering: {verdict.basis}]"
    if verdict.outcome == "fail":
        ET.SubElement(case, "failure", message=message).text = body
    elif verdict.outcome == "inconclusive":
        ET.SubElement(case, "skipped", message=f"{why_inconclusive(verdict)}; {message}")
    elif verdict.outcome != "pass":
        ET.SubElement(case, "skipped", message=f"{verdict.outcome}: {message}")
    # The episode's progress and holds ride along: CI pages show a testcase's output, not a
    # suite's, and a failure reads differently once you know where the episode stood.
    episode_lines = "\n".join(progress_lines(episode))
    ET.SubElement(case, "system-out").text = f"{message}\n{body}\n{episode_lines}".rstrip()
