"""The inspector's diffs: leaf paths, keyed lists, managedFields left out."""

from stswatch.reports.timeline.changes import diff_objects, without_noise


def test_leaf_changes_additions_and_removals() -> None:
    before = {"metadata": {"labels": {"a": "1", "b": "2"}}, "status": {"phase": "Pending"}}
    after = {"metadata": {"labels": {"a": "1", "c": "3"}}, "status": {"phase": "Running"}}
    assert diff_objects(before, after) == (
        ("-", "metadata.labels.b", "2", None),
        ("+", "metadata.labels.c", None, "3"),
        ("~", "status.phase", "Pending", "Running"),
    )


def test_conditions_are_keyed_by_type_not_position() -> None:
    ready = {"type": "Ready", "status": "False"}
    scheduled = {"type": "PodScheduled", "status": "True"}
    before = {"status": {"conditions": [ready, scheduled]}}
    after = {"status": {"conditions": [scheduled, {**ready, "status": "True"}]}}
    assert diff_objects(before, after) == (
        ("~", "status.conditions[type=Ready].status", "False", "True"),
    )


def test_managed_fields_are_noise() -> None:
    before = {"metadata": {"name": "p", "managedFields": [{"manager": "kubelet"}]}}
    after = {"metadata": {"name": "p", "managedFields": [{"manager": "kube-scheduler"}]}}
    assert diff_objects(before, after) == ()
    assert without_noise(after) == {"metadata": {"name": "p"}}
    assert without_noise({"spec": {}}) == {"spec": {}}


def test_empty_containers_are_leaves() -> None:
    assert diff_objects({"spec": {"volumes": []}}, {"spec": {"volumes": [{"name": "d"}]}}) == (
        ("-", "spec.volumes", [], None),
        ("+", "spec.volumes[name=d].name", None, "d"),
    )
