"""The scenario: every input of a run. ``schema`` (the pydantic models), ``errors`` (one message per problem),
``yaml_io`` (YAML in, with line and column of a syntax error), ``presets`` (the bundled scenarios by name)."""

from sim.scenario.errors import ScenarioError, validate_mapping
from sim.scenario.presets import SCENARIO_DIR, load_scenario, preset_names, preset_path
from sim.scenario.schema import (APP_CATEGORIES, MAX_SHOCKS, SHOCK_FACTOR_BOUNDS, STRATEGIES, Apps, BiasAudit, CategoryDemand, Clouds, Labellers,
                                 Market, OpenWeightsRelease, Optimisation, Policy, Providers, Region, Scenario, Shock,
                                 StrategyMix, Trainers, validate_scenario)
from sim.scenario.yaml_io import (MAX_YAML_BYTES, decode_yaml_bytes, parse_yaml, read_yaml_file,
                                  scenario_from_yaml)

__all__ = [
    "APP_CATEGORIES", "STRATEGIES", "SCENARIO_DIR", "Apps", "BiasAudit", "CategoryDemand", "Clouds", "Labellers",
    "Market", "OpenWeightsRelease", "Optimisation", "Policy", "Providers", "Region", "Scenario", "ScenarioError",
    "Shock", "StrategyMix", "Trainers", "load_scenario", "parse_yaml", "preset_names", "preset_path",
    "scenario_from_yaml", "validate_mapping", "validate_scenario", "MAX_YAML_BYTES", "decode_yaml_bytes",
    "read_yaml_file", "MAX_SHOCKS", "SHOCK_FACTOR_BOUNDS",
]
