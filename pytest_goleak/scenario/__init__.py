"""Scenario stage: which YAML files are scenarios (collect), reading them (parse) into frozen values (definition)."""
