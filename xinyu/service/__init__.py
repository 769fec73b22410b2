"""The embedded way of running (DESIGN: "Two ways to run"): APScheduler in `xinyu serve` triggers the flows."""
