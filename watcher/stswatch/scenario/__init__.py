"""Scenarios: YAML steps that drive a StatefulSet through the lesson while a recorder watches."""

from stswatch.scenario.loading import builtin_names, load_scenario, parse_scenario
from stswatch.scenario.model import POLICIES, Policy, Scenario, Step

__all__ = [
    "POLICIES",
    "Policy",
    "Scenario",
    "Step",
    "builtin_names",
    "load_scenario",
    "parse_scenario",
]
