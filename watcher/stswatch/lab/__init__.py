"""The local lab: a real control plane (etcd, kube-apiserver, controllers, scheduler) and kwok.

Public surface: `start_lab`, `attach_lab`, `lab_status`, `stop_lab`, `LabHandle`, `PodTiming`,
`HOLD_ANNOTATION` (hold a pod unready), `build_all` (the cached control plane build).
"""

from stswatch.errors import LabError
from stswatch.lab.build import build_all
from stswatch.lab.lab import LabHandle, LabStatus, attach_lab, lab_status, start_lab, stop_lab
from stswatch.lab.stages import HOLD_ANNOTATION, PodTiming

__all__ = [
    "HOLD_ANNOTATION",
    "LabError",
    "LabHandle",
    "LabStatus",
    "PodTiming",
    "attach_lab",
    "build_all",
    "lab_status",
    "start_lab",
    "stop_lab",
]
