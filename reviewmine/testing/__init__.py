"""Test aids shipped with the package: generated data for tests, benchmarks and notebook experiments.

Nothing in reviewmine's commands or analysis imports this package; it is here (not under tests/) so that
benchmarks/ and a notebook can import it from any install.
"""
