"""The meeting's calendar invitation: one iCalendar (RFC 5545) VEVENT, written by hand (no dependency).

Content lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character; TEXT values
escape backslash, semicolon, comma and newline. The event is at the time the leader set (else the step's due
date, or the day the meeting was held, at 15:30), 90 minutes, Asia/Shanghai, with the zone spelt out in a
VTIMEZONE (no DST since 1991); LOCATION is the place the leader set; the organizer is the host (主持人), the
attendees are the people invited. The description names host and recorder and lists the agenda's headings
only: no student names leave the school in a calendar.
"""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

from xinyu.clock import as_local
from xinyu.links import link
from xinyu.meetings.held import Attendee
from xinyu.meetings.views import MeetingView, agenda_headings

TZID = "Asia/Shanghai"
STARTS, LENGTH = time(15, 30), timedelta(minutes=90)
VTIMEZONE = [
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "TZNAME:CST",
    "END:STANDARD", "END:VTIMEZONE",
]


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _param(value: str) -> str:
    """A parameter value, always quoted (names may hold ':' ';' ','); DQUOTE and controls are not allowed."""
    return '"' + "".join(ch for ch in value if ch != '"' and ch >= " ") + '"'


def fold(line: str) -> str:
    """One content line folded into pieces of at most 75 octets, continuation lines starting with a space."""
    pieces: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = 75 if not pieces else 74  # a continuation line's leading space counts
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += ch
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(view: MeetingView, members: list[tuple[Attendee, str | None]], *, base_url: str,
                now: datetime) -> str:
    """The invitation for the people invited; UID is stable per cycle, so a re-download updates the event."""
    start = as_local(view.starts_at).replace(tzinfo=None) if view.starts_at else datetime.combine(
        view.held_on or view.step_due, STARTS)
    host = urlsplit(base_url).hostname or "xinyu.local"
    month = int(view.month[5:7])
    url = link("meeting_page", base_url=base_url, school_id=view.school_id) + f"?month={view.month}"
    roles = [f"{label}：{name}" for label, name in (("会议地点", view.place), ("主持人", view.host),
                                                   ("记录人", view.recorder)) if name]
    description = "\n".join([*roles, f"{view.month[:4]}年{month}月专题会议议程（{view.clause}）：",
                             *agenda_headings(view.agenda), f"议程与纪要：{url}"])
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//xinyu//meeting invitation//ZH", "CALSCALE:GREGORIAN",
        *VTIMEZONE,
        "BEGIN:VEVENT",
        f"UID:meeting-cycle-{view.cycle_id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART;TZID={TZID}:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={TZID}:{start + LENGTH:%Y%m%dT%H%M%S}",
        "SUMMARY:" + escape_text(f"{view.school_name}心理健康工作领导小组{month}月专题会议"),
        "DESCRIPTION:" + escape_text(description),
        f"URL:{url}",
        *([f"LOCATION:{escape_text(view.place)}"] if view.place else []),
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
    ]
    leader = next(((m, email) for m, email in members if email and m.person_id == view.host_id), None)
    leader = leader or next(((m, email) for m, email in members if email and "组长" in m.roles), None)
    if leader is not None:
        lines.append(f"ORGANIZER;CN={_param(leader[0].name)}:mailto:{leader[1]}")
    for member, email in members:
        if email:
            lines.append(f"ATTENDEE;CN={_param(member.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:"
                         f"mailto:{email}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
