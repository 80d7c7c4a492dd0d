"""The lesson's practice project on real nodes: etcd, its start-order lesson and ZooKeeper
recorded and proven under both policies by one `demo --real-nodes --practice` on one lab for
the module (`real_lab`); each test reads that one recording.

The verdicts are asserted with the key words of their reasons: the member ID unchanged across a
recreation, the value read back, the DNS record of a pod published before it is Ready, and the
halt at the first member when its readiness needs a quorum.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.lab.lab import LabHandle
from stswatch.lab.paths import LAB_DIR_ENV
from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import list_session_names, load_recording

pytestmark = [pytest.mark.integration, pytest.mark.realnode]

LIST = ["etcdctl", "member", "list"]


@dataclass(frozen=True)
class PracticeRun:
    """What `demo --real-nodes --practice` printed and where it recorded."""

    db: Path
    output: str

    def sessions(self, scenario: str) -> list[str]:
        """The scenario's sessions (`<scenario>-<UTC time>-<policy>`), OrderedReady first."""
        pattern = re.compile(rf"{re.escape(scenario)}-\d{{8}}-\d{{6}}-(orderedready|parallel)")
        return sorted(s for s in list_session_names(self.db) if pattern.fullmatch(s))


@pytest.fixture(scope="module")
def practice(real_lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> PracticeRun:
    """One `demo --real-nodes --practice` on the lab: etcd, etcd-halt, zookeeper, both policies."""
    directory = tmp_path_factory.mktemp("practice")
    db = directory / "practice.db"
    argv = ["demo", "--real-nodes", "--practice", "--db", str(db), "-o", str(directory / "out")]
    env = {LAB_DIR_ENV: str(real_lab.directory)}
    cli = CliRunner().invoke(main, argv, env=env, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    return PracticeRun(db, cli.output)


def _verify_text(db: Path, session: str) -> str:
    argv = ["verify", "--db", str(db), session, "--statefulset", "etcd"]  # the etcd scenarios
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    return cli.output


def _the(result: VerifyResult, proof: str, kind: str) -> Verdict:
    """The one `proof` verdict on the one episode of `kind`."""
    episodes = [e for e in result.episodes if e.kind == kind]
    assert len(episodes) == 1, [e.kind for e in result.episodes]
    (found,) = [v for v in episodes[0].verdicts if v.proof == proof]
    return found


def test_etcd_members_find_each_other_and_one_returns_as_the_same_member(
    practice: PracticeRun,
) -> None:
    db, output = practice.db, practice.output
    assert output.count("`cat /tmp/data-dir` in etcd-1 printed 'existing'") == 2, output
    sessions = practice.sessions("etcd")
    assert len(sessions) == 2, list_session_names(db)
    for session in sessions:
        result = verify(load_recording(db, session), statefulset="etcd")
        assert result.count("fail") == 0, result.to_dict()
        assert result.count("inconclusive") == 0, result.to_dict()
        identity = _the(result, "stable-network-identity", "pod-recreated")
        assert identity.outcome == "pass", identity.reason
        same = re.search(
            r"`etcdctl endpoint status` in the new etcd-1: member ([0-9a-f]+) \([^)]*\), the same "
            r"etcd member as the old etcd-1 \(marks #\d+, #\d+\)",
            identity.reason,
        )
        assert same, identity.reason
        notes = [m.note for m in identity.marks if m.note.startswith("member ")]
        assert len(notes) == 2, notes
        assert notes[0].startswith(f"member {same.group(1)} of cluster "), notes
        assert notes[1] == notes[0].replace("(before)", "(after)"), notes
        assert "NEW etcd member" not in identity.reason
        storage = _the(result, "stable-storage", "pod-recreated")
        assert storage.outcome == "pass", storage.reason
        assert (
            "; `etcdctl get mykey --print-value-only --consistency=s` in the new etcd-1 printed "
            "'hello-from-etcd-1', the value `etcdctl put` wrote in the old one (marks #"
        ) in storage.reason
        text = _verify_text(db, session)
        assert "PASS  stable-network-identity: etcd-1 kept its name" in text


def test_etcd_with_a_quorum_probe_halts_at_etcd_0_unless_parallel_and_published(
    practice: PracticeRun,
) -> None:
    db, output = practice.db, practice.output
    assert output.count("comparison: OrderedReady vs Parallel") == 3, output
    ordered, parallel = practice.sessions("etcd-halt")
    halted = verify(load_recording(db, ordered), statefulset="etcd")
    assert halted.count("fail") == 0, halted.to_dict()
    gating = _the(halted, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "pass", gating.reason
    # Not Ready, and why when the recording shows it: the kubelet's Unhealthy Events.
    assert "halted at etcd-0 (not Ready: container etcd's readiness probe failing" in (
        gating.reason
    )
    assert "1 creation," in gating.reason
    text = _verify_text(db, ordered)
    held = r"progress \[halted\]: .*halted at etcd-0 \(etcd-0 Running, not Ready[;)]"
    assert re.search(held, text)
    started = verify(load_recording(db, parallel), statefulset="etcd")
    assert started.count("fail") == 0, started.to_dict()
    described = _the(started, "parallel-described", "scale-up")
    assert described.outcome == "pass", described.reason
    assert "burst width 3 (3 of 3 created before any was Ready)" in described.reason
    listed = [
        str(mark.detail.get("output"))
        for mark in load_recording(db, parallel).marks
        if isinstance(mark.detail, dict) and mark.detail.get("command") == LIST
    ]
    assert len(listed) == 1, listed
    for ordinal in range(3):
        assert f", started, etcd-{ordinal}, http://etcd-{ordinal}.etcd." in listed[0], listed


def test_zookeeper_servers_find_each_other_and_one_returns_with_its_myid(
    practice: PracticeRun,
) -> None:
    db, output = practice.db, practice.output
    assert output.count("`cat /tmp/data-dir` in zk-1 printed 'existing'") == 2, output
    sessions = practice.sessions("zookeeper")
    assert len(sessions) == 2, list_session_names(db)
    for session in sessions:
        result = verify(load_recording(db, session), statefulset="zk")
        assert result.count("fail") == 0, result.to_dict()
        assert result.count("inconclusive") == 0, result.to_dict()
        identity = _the(result, "stable-network-identity", "pod-recreated")
        assert identity.outcome == "pass", identity.reason
        assert (
            "; `cat /var/lib/zookeeper/data/myid` in the new zk-1 printed 2, the same ZooKeeper "
            "server as the old zk-1 (marks #"
        ) in identity.reason
        assert re.search(
            r"`srvr` in the new zk-1: (leader|follower), zxid 0x[0-9a-f]+", identity.reason
        )
        # the name resolved before zk-1 was Ready: the Service publishes not-ready addresses
        assert "Service zk sets publishNotReadyAddresses" in identity.reason
        assert _the(result, "stable-storage", "pod-recreated").outcome == "pass"


REPLICA = Path(__file__).parents[1] / "fixtures" / "scenarios" / "redis-replica.yaml"


def test_a_redis_replica_follows_redis_0_by_name_across_its_restart(
    real_lab: LabHandle, tmp_path: Path
) -> None:
    """The e2e "redis cluster" case: the key written on redis-0 is on the replica and on the new
    redis-0; the replica reconnected by the same name (the scenario's exec steps check both)."""
    db = tmp_path / "replica.db"
    argv = ["scenario", "run", str(REPLICA), "--policy", "OrderedReady", "--exec"]
    argv += ["--kubeconfig", str(real_lab.kubeconfig), "--db", str(db), "-o", str(tmp_path)]
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("`redis-cli GET mykey` in redis-1 printed 'hello-from-redis-0'") == 2
    (session,) = list_session_names(db)
    result = verify(load_recording(db, session), statefulset="redis")
    assert result.count("fail") == 0, result.to_dict()
    storage = _the(result, "stable-storage", "pod-recreated")
    assert storage.outcome == "pass", storage.reason
    assert (
        "; `redis-cli GET mykey` in the new redis-0 printed 'hello-from-redis-0', the value "
        "`redis-cli SET` wrote in the old one (marks #"
    ) in storage.reason
    identity = _the(result, "stable-network-identity", "pod-recreated")
    assert identity.outcome == "pass", identity.reason
    assert "redis-0 kept its name, hostname and subdomain redis-headless" in identity.reason


PARTITION = Path(__file__).parents[1] / "fixtures" / "scenarios" / "partition-failing.yaml"


def test_partition_1_and_pod_0_deleted_with_a_container_failing_on_sigterm(
    real_lab: LabHandle, tmp_path: Path
) -> None:
    """The e2e case: web-2 and web-1 roll (partition 1); web-0, whose container exits 1 on
    SIGTERM, is deleted and comes back at the current revision, below the partition."""
    db = tmp_path / "partition.db"
    argv = ["scenario", "run", str(PARTITION), "--policy", "OrderedReady", "--exec"]
    argv += ["--kubeconfig", str(real_lab.kubeconfig), "--db", str(db), "-o", str(tmp_path)]
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    (session,) = list_session_names(db)
    recording = load_recording(db, session)
    result = verify(recording, statefulset="web")
    assert result.count("fail") == 0, result.to_dict()
    rolled = _the(result, "rolling-update", "rolling-update")
    assert rolled.outcome == "pass", rolled.reason
    assert "from the highest ordinal down to partition 1: web-2, web-1" in rolled.reason
    identity = _the(result, "stable-network-identity", "pod-recreated")
    assert identity.outcome == "pass", identity.reason
    # what the kubelet and the controller recorded: exit 1 on the way out, the old revision back
    web_0 = [c for c in recording.changes if c.kind == "Pod" and c.name == "web-0"]
    old_uid = web_0[0].object["metadata"]["uid"]
    (gone,) = [c for c in web_0 if c.event == "DELETED"]
    assert gone.object["metadata"]["uid"] == old_uid
    (state,) = [s["state"] for s in gone.object["status"]["containerStatuses"]]
    assert state["terminated"]["exitCode"] == 1, state
    status = [c for c in recording.changes if c.kind == "StatefulSet"][-1].object["status"]
    assert status["currentRevision"] != status["updateRevision"], status
    back = [c for c in web_0 if c.object["metadata"]["uid"] != old_uid][-1].object
    assert back["metadata"]["labels"]["controller-revision-hash"] == status["currentRevision"]
