"""`status --watch`: JSON is one document per line and YAML one document per redraw on stdout,
the human stamp on stderr (issue 19, item 16: the stamp went into the JSON stream)."""

import json

import yaml

from stswatch.cli.checker import watch_frame
from stswatch.reports.live.status import set_status
from tests.fixtures.live_objects import healthy


def test_json_frames_are_one_document_per_line_and_the_stamp_goes_to_stderr() -> None:
    status = set_status(healthy())
    frames = [watch_frame("json", status, stamp=f"12:00:0{i}", tty=False) for i in range(3)]
    stdout = "".join(shown for shown, _ in frames)
    assert [json.loads(line)["name"] for line in stdout.splitlines()] == ["redis"] * 3
    assert [said for _, said in frames] == [
        f"12:00:0{i} (watching; Ctrl-C to stop)\n" for i in range(3)
    ]


def test_yaml_frames_are_documents_and_the_table_keeps_its_stamp() -> None:
    status = set_status(healthy())
    stdout = "".join(watch_frame("yaml", status, stamp="12:00:00", tty=False)[0] for _ in range(2))
    assert [doc["name"] for doc in yaml.safe_load_all(stdout)] == ["redis", "redis"]
    shown, said = watch_frame("table", status, stamp="12:00:00", tty=True)
    assert shown.startswith(
        "\x1b[H\x1b[2J12:00:00 (watching; Ctrl-C to stop)\nStatefulSet lab/redis"
    )
    assert said == ""
