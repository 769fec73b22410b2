"""`xinyu demo`: the sample district, run up to today (see xinyu.demo.run)."""

from xinyu.demo.district import DEMO_PASSWORD, DISTRICT, demo_accounts, load_demo_district
from xinyu.demo.plan import DemoPlan, demo_plan, moment_of
from xinyu.demo.run import run_demo

__all__ = ["DEMO_PASSWORD", "DISTRICT", "DemoPlan", "demo_accounts", "demo_plan", "load_demo_district", "moment_of",
           "run_demo"]
