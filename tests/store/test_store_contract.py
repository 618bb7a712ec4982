"""Runs the shared Store contract (`contract.py`) against every implementation."""

from contract import *  # noqa: F403  (the tests and the parametrised `store` fixture)
