"""Exec outputs as evidence: stable-storage cites the value read back, identity the DNS answer.

Hand-built recordings with the marks a scenario's exec steps leave (`stswatch.exec_mark_format`);
the outcome stays the controller's (claim identity, EndpointSlice), the marks are only cited.
"""

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from stswatch.exec_mark_format import etcd_status, exec_mark_detail, zookeeper_srvr
from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_json, render_junit, render_text
from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import Recording, load_recording
from stswatch.reports.timeline.html import render_report
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import running_web, verdict_of

KIND = "pod-recreated"
FQDN = "web-1.web-headless.lab.svc.cluster.local"
SET = ["redis-cli", "SET", "mykey", "hello-from-web-1"]
GET = ["redis-cli", "GET", "mykey"]


class Marks:
    """Exec marks taken at the builder's clock, written into its store after the changes."""

    def __init__(self, builder: ClusterBuilder) -> None:
        self.builder = builder
        self.rows: list[tuple[str, str, int]] = []

    def exec(self, pod: str, command: list[str], output: str, *, step: int) -> None:
        self.builder.tick()
        detail = {"scenario": "t", "step": step, "kind": "exec", "phase": "end"}
        detail |= exec_mark_detail(pod=pod, namespace="lab", command=command, output=output)
        label = f"exec in {pod}: {' '.join(command)}"
        self.rows.append((label, orjson.dumps(detail).decode(), self.builder.now_ns))

    def write(self, path: Path) -> Recording:
        self.builder.write(path)
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO mark (session_id, run_id, label, detail, received_wall_ns, "
                "received_mono_ns) VALUES (1, 1, ?, ?, ?, 0)",
                self.rows,
            )
        return load_recording(path, "s1")


def _nslookup(ip: str) -> str:
    return f"Server:\t\t10.245.3.1\nAddress:\t10.245.3.1:53\n\nName:\t{FQDN}\nAddress: {ip}\n"


def _recreated(*, read: str | None, written: str = "OK", answer: str | None = None) -> Marks:
    """web-1 written, deleted, recreated and read back (and its name looked up before/after)."""
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.endpoints("web-headless")
    marks = Marks(b)
    old_ip = b.get("Pod", "web-1")["status"]["podIP"]
    marks.exec("dns-client", ["nslookup", FQDN], _nslookup(old_ip), step=4)
    marks.exec("web-1", SET, written, step=5)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.endpoints("web-headless")
    new_ip = b.get("Pod", "web-1")["status"]["podIP"]
    if read is not None:
        marks.exec("web-1", GET, read, step=8)
    marks.exec("dns-client", ["nslookup", FQDN], _nslookup(answer or new_ip), step=9)
    b.stop(after_ms=30_000)
    return marks


def _verdicts(marks: Marks, tmp_path: Path) -> tuple[Verdict, Verdict, Any]:
    tmp_path.mkdir(exist_ok=True)
    result = verify(marks.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    identity = verdict_of(result, "stable-network-identity", KIND)
    return storage, identity, result


def test_the_value_read_back_is_cited_beside_the_claim(tmp_path: Path) -> None:
    storage, _, result = _verdicts(_recreated(read="hello-from-web-1"), tmp_path)
    assert storage.outcome == "pass"
    assert storage.reason.endswith(
        "; `redis-cli GET mykey` in the new web-1 printed 'hello-from-web-1', the value "
        "`redis-cli SET` wrote in the old one (marks #2, #3)"
    )
    assert [m.mark_id for m in storage.marks] == [2, 3]
    assert [m.step for m in storage.marks] == [5, 8]
    assert storage.marks[0].note == "wrote 'hello-from-web-1' in the old web-1"
    # every renderer shows the marks cited, apart from the changes
    text = render_text(result)
    assert "mark #3 " in text
    assert "step 8 exec in web-1: redis-cli GET mykey" in text
    assert '"mark_id": 3' in render_json(result)
    assert "mark #2 " in render_junit(result)


def test_a_different_value_read_back_is_told_and_the_outcome_stays(tmp_path: Path) -> None:
    storage, _, _ = _verdicts(_recreated(read=""), tmp_path)
    assert storage.outcome == "pass"  # the controller reattached the very claim
    assert storage.reason.endswith(
        "; the controller reattached the same claim; the data read back differs: "
        "`redis-cli GET mykey` in the new web-1 printed '', not 'hello-from-web-1', which "
        "`redis-cli SET` wrote in the old one (marks #2, #3)"
    )


def test_a_write_that_failed_is_not_taken_for_the_value(tmp_path: Path) -> None:
    marks = _recreated(read="", written="(error) READONLY")
    storage, _, _ = _verdicts(marks, tmp_path)
    assert storage.outcome == "pass"
    assert storage.reason.endswith("; `redis-cli GET mykey` in the new web-1 printed '' (mark #3)")
    assert "SET" not in storage.reason


def test_the_dns_answer_is_cited_beside_the_endpointslice_change(tmp_path: Path) -> None:
    _, identity, _ = _verdicts(_recreated(read="hello-from-web-1"), tmp_path)
    assert identity.outcome == "pass"
    new_ip = identity.reason.split(" → ")[1].split(" ")[0]
    slice_change = identity.evidence[-1]
    assert slice_change.kind == "EndpointSlice"
    assert (
        f"; `nslookup {FQDN}` from pod dns-client answered {new_ip}, the new web-1's IP "
        f"(EndpointSlice change #{slice_change.change_id}, mark #4); before the recreation it "
        "answered "
    ) in identity.reason
    assert [m.mark_id for m in identity.marks] == [1, 4]


def test_a_dns_answer_without_the_new_ip_is_told_not_failed(tmp_path: Path) -> None:
    _, identity, _ = _verdicts(_recreated(read=None, answer="10.9.9.9"), tmp_path)
    assert identity.outcome == "pass"  # the EndpointSlice served the new IP
    assert f"`nslookup {FQDN}` from pod dns-client answered 10.9.9.9, not the new web-1's IP" in (
        identity.reason
    )


def test_without_exec_marks_the_verdicts_read_as_before(tmp_path: Path) -> None:
    with_marks = _recreated(read="hello-from-web-1")
    without = Marks(with_marks.builder)  # the same changes, no marks (a kwok lab)
    storage, identity, result = _verdicts(without, tmp_path)
    assert storage.marks == ()
    assert identity.marks == ()
    assert "redis-cli" not in storage.reason
    assert "nslookup" not in identity.reason
    assert storage.reason.startswith("web-1 kept data-web-1 uid ")
    assert identity.reason.endswith(")")  # "... → <new ip> (was <old ip>)", nothing appended
    assert "mark #" not in render_text(result)
    # what the marks add comes after today's reason, which stays word for word
    cited_storage, cited_identity, _ = _verdicts(with_marks, tmp_path / "cited")
    assert cited_storage.reason.startswith(storage.reason + "; `redis-cli GET mykey`")
    assert cited_identity.reason.startswith(identity.reason + "; `nslookup ")


def test_marks_of_an_older_stswatch_without_the_command_are_not_cited(tmp_path: Path) -> None:
    marks = _recreated(read="hello-from-web-1")
    old_style = Marks(marks.builder)
    old_style.rows = [
        (label, orjson.dumps({"kind": "exec", "note": "output 'x'"}).decode(), wall)
        for label, _, wall in marks.rows
    ]
    storage, identity, _ = _verdicts(old_style, tmp_path)
    assert storage.marks == ()
    assert identity.marks == ()


def test_the_html_report_lists_the_marks_a_verdict_cites(tmp_path: Path) -> None:
    _recreated(read="hello-from-web-1").write(tmp_path / "s.db")
    page = render_report(analyse(tmp_path / "s.db", "s1").timeline())
    cited = "".join(
        block.split("</ul>", 1)[0] for block in page.split('<ul class="mark-cites"')[1:]
    )
    assert "mark #4, step 9: exec in dns-client: nslookup " in cited
    assert "mark #2, step 5: exec in web-1: redis-cli SET mykey hello-from-web-1: wrote " in cited
    assert "mark #3, step 8: exec in web-1: redis-cli GET mykey: read " in cited


STATUS = ["etcdctl", "endpoint", "status", "-w", "json"]
PUT = ["etcdctl", "put", "mykey", "hello-from-web-1"]
READ = ["etcdctl", "get", "mykey", "--print-value-only", "--consistency=s"]


def _status(member: int, *, leader: int, cluster: int = 0xC1) -> str:
    """`etcdctl endpoint status -w json` as etcd 3.6 prints it (IDs decimal)."""
    header = {"cluster_id": cluster, "member_id": member, "revision": 4, "raft_term": 2}
    status = {"header": header, "version": "3.6.16", "leader": leader, "raftIndex": 9}
    return orjson.dumps([{"Endpoint": "127.0.0.1:2379", "Status": status}]).decode()


def _etcd_recreated(*, after: int, read: str, cluster: int = 0xC1) -> Marks:
    """web-1 as an etcd member: its status and a put, deleted, recreated, status and get again."""
    b = running_web()
    marks = Marks(b)
    marks.exec("web-1", STATUS, _status(0xAB12, leader=0xCD34), step=4)
    marks.exec("web-1", PUT, "OK", step=5)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.endpoints("web-headless")
    marks.exec("web-1", STATUS, _status(after, leader=after, cluster=cluster), step=8)
    marks.exec("web-1", READ, read, step=9)
    b.stop(after_ms=30_000)
    return marks


def test_an_etcd_member_back_with_its_id_is_cited_as_the_same_member(tmp_path: Path) -> None:
    storage, identity, _ = _verdicts(
        _etcd_recreated(after=0xAB12, read="hello-from-web-1"), tmp_path
    )
    assert identity.outcome == "pass"
    assert identity.reason.endswith(
        "; `etcdctl endpoint status` in the new web-1: member ab12 (the leader), the same etcd "
        "member as the old web-1 (marks #1, #3)"
    )
    assert [m.note for m in identity.marks] == [
        "member ab12 of cluster c1 (before)",
        "member ab12 of cluster c1 (after)",
    ]
    assert storage.reason.endswith(
        "; `etcdctl get mykey --print-value-only --consistency=s` in the new web-1 printed "
        "'hello-from-web-1', the value `etcdctl put` wrote in the old one (marks #2, #4)"
    )


def test_an_etcd_member_back_as_a_new_member_is_told_plainly(tmp_path: Path) -> None:
    marks = _etcd_recreated(after=0xEF56, read="", cluster=0xC2)
    storage, identity, _ = _verdicts(marks, tmp_path)
    assert identity.outcome == "pass"  # the name and the DNS record are the controller's
    assert (
        "; web-1 came back as a NEW etcd member: member ef56 of cluster c2, not member ab12 of "
        "cluster c1 as the old web-1 was (marks #1, #3); it did not restart from its "
        "predecessor's data"
    ) in identity.reason
    assert "the data read back differs: `etcdctl get mykey" in storage.reason


def test_a_status_of_another_endpoint_is_not_this_members(tmp_path: Path) -> None:
    marks = _etcd_recreated(after=0xEF56, read="hello-from-web-1")
    marks.rows = [
        (label, detail.replace('"status"', '"status","--endpoints=http://other:2379"'), wall)
        for label, detail, wall in marks.rows
    ]
    _, identity, _ = _verdicts(marks, tmp_path)
    assert "etcd member" not in identity.reason


def test_etcd_status_reads_the_json_and_refuses_anything_else() -> None:
    status = etcd_status(_status(0xAB12, leader=0xCD34))
    assert status is not None
    assert (status.member_id, status.leader, status.is_leader) == ("ab12", "cd34", False)
    assert etcd_status("127.0.0.1:2379, ab12, 3.6.16") is None
    assert etcd_status("[]") is None
    assert etcd_status('[{"Status": {"header": {}}}]') is None


MYID = ["cat", "/var/lib/zookeeper/data/myid"]
SRVR = ["sh", "-c", "echo srvr | nc 127.0.0.1 2181"]


def _srvr_answer(mode: str, zxid: str) -> str:
    return (
        "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        f"Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\n"
        f"Outstanding: 0\nZxid: {zxid}\nMode: {mode}\nNode count: 5"
    )


def _zookeeper_recreated(*, myid_after: str) -> Marks:
    """web-1 as ZooKeeper server 2: its myid, deleted, recreated, its myid and srvr again."""
    b = running_web()
    marks = Marks(b)
    marks.exec("web-1", MYID, "2", step=4)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.endpoints("web-headless")
    marks.exec("web-1", MYID, myid_after, step=8)
    marks.exec("web-1", SRVR, _srvr_answer("follower", "0x100000003"), step=9)
    b.stop(after_ms=30_000)
    return marks


def test_a_zookeeper_server_back_with_its_myid_is_cited_with_its_mode(tmp_path: Path) -> None:
    _, identity, _ = _verdicts(_zookeeper_recreated(myid_after="2"), tmp_path)
    assert identity.outcome == "pass"
    assert identity.reason.endswith(
        "; `cat /var/lib/zookeeper/data/myid` in the new web-1 printed 2, the same ZooKeeper "
        "server as the old web-1 (marks #1, #2); `srvr` in the new web-1: follower, zxid "
        "0x100000003 (mark #3)"
    )
    assert [m.note for m in identity.marks] == [
        "myid 2 (before)",
        "myid 2 (after)",
        "follower, zxid 0x100000003",
    ]


def test_a_zookeeper_server_back_with_another_myid_is_told_plainly(tmp_path: Path) -> None:
    _, identity, _ = _verdicts(_zookeeper_recreated(myid_after="4"), tmp_path)
    assert (
        "; web-1 came back as a NEW ZooKeeper server: myid 4, not myid 2 as the old web-1 was "
        "(marks #1, #2); it did not restart from its predecessor's data"
    ) in identity.reason


def test_zookeeper_srvr_reads_mode_and_zxid_and_refuses_anything_else() -> None:
    state = zookeeper_srvr(_srvr_answer("leader", "0x200000000"))
    assert state is not None
    assert (state.mode, state.zxid) == ("leader", "0x200000000")
    assert zookeeper_srvr("imok") is None
    assert zookeeper_srvr("This ZooKeeper instance is not currently serving requests") is None
