"""`xinyu simulate`: a sample city run through months of the monthly loop, day by day (issue 5)."""

from xinyu.simulate.orchestrators import DirectOrchestrator, EmbeddedOrchestrator, Orchestrator
from xinyu.simulate.run import MonthStats, SimulationPlan, SimulationRefused, SimulationResult, simulate
from xinyu.simulate.session import SimulationOptions, run_simulation

__all__ = ["DirectOrchestrator", "EmbeddedOrchestrator", "MonthStats", "Orchestrator", "SimulationOptions",
           "SimulationPlan", "SimulationRefused", "SimulationResult", "run_simulation", "simulate"]
