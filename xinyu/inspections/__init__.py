"""District inspections (QD-S2): visits recorded by an officer, a finding per school becoming a
rectification task for the school's leader, closed when the task is done; counted against the pack's
yearly minimum (the pack's `oversight:`)."""

from xinyu.inspections.closing import close_findings_for_done
from xinyu.inspections.records import FindingInput, InspectionError, record_inspection
from xinyu.inspections.views import OpenFinding, SchoolInspections, open_findings, school_inspections

__all__ = [
    "FindingInput",
    "InspectionError",
    "OpenFinding",
    "SchoolInspections",
    "close_findings_for_done",
    "open_findings",
    "record_inspection",
    "school_inspections",
]
