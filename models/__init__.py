"""All tables; importing this package completes SQLModel.metadata (Alembic relies on it)."""

from models.accounts import Account, LoginAttempt, LoginCode, LoginLink, WebSession
from models.audit import AuditEntry
from models.calendar import CalendarDay
from models.chase import ChaseEvent, Escalation, Extension
from models.courses import CourseRecord
from models.crisis import CrisisAction, DistrictHospital
from models.cycle import Cycle, Step, Task
from models.evidence_files import EvidenceFile
from models.history import RecordRevision
from models.inspections import Inspection, InspectionFinding
from models.ledgers import (
    CrisisCase,
    KeyStudentPlan,
    KeyStudentProposal,
    LedgerReview,
    ScreeningRecord,
    TalkRecord,
)
from models.meetings import Meeting, MeetingAttendee, MonthlyReport
from models.mentors import MentorAssignment
from models.org import District, Person, RoleAssignment, School, SchoolClass, Student
from models.outbox import OutboxMessage
from models.packs import PackVersion
from models.roster_upload import RosterUpload
from models.scheduler import SchedulerHeartbeat
from models.training import TrainingRecord

__all__ = [
    "TrainingRecord",
    "Account",
    "LoginAttempt",
    "LoginCode",
    "LoginLink",
    "WebSession",
    "AuditEntry",
    "CalendarDay",
    "ChaseEvent",
    "CourseRecord",
    "CrisisAction",
    "CrisisCase",
    "Cycle",
    "District",
    "DistrictHospital",
    "Escalation",
    "EvidenceFile",
    "Extension",
    "Inspection",
    "InspectionFinding",
    "KeyStudentPlan",
    "KeyStudentProposal",
    "LedgerReview",
    "Meeting",
    "MeetingAttendee",
    "MentorAssignment",
    "MonthlyReport",
    "OutboxMessage",
    "PackVersion",
    "RecordRevision",
    "Person",
    "RoleAssignment",
    "RosterUpload",
    "School",
    "SchedulerHeartbeat",
    "SchoolClass",
    "ScreeningRecord",
    "Step",
    "Student",
    "TalkRecord",
    "Task",
]
