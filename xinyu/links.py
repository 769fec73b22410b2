"""Every link a message carries (email, SMS, robot post), built from the web app's route names.

The paths below are the web app's own: `tests/web/test_links.py` checks each against the route of that
name the app registers (`app.url_path_for`), so a renamed or moved page breaks a test, not a message.
Nothing else writes a path into a message: a link is `link("task_page", task_id=12)` under
`XINYU_BASE_URL` (the address people open the app at, e.g. https://xinyu.example.edu.cn).
"""

from urllib.parse import quote

from xinyu.settings import get_settings

# Route name (as registered by web/routes/*) → its path.
ROUTES: dict[str, str] = {
    "tasks_page": "/tasks",  # my tasks: what a chase SMS opens
    "task_page": "/tasks/{task_id}",
    "inbox_html": "/district/inbox",
    "inbox_item_page": "/district/inbox/{escalation_id}",
    "crisis_alert_page": "/crisis-alerts/{case_id}",  # what the crisis relay opens (no ledger C details)
    "crisis_case_page": "/schools/{school_id}/crisis/{case_id}",  # the case, for its handler (ledger C)
    "school_board_page": "/schools/{school_id}/board",
    "district_board_page": "/district/board",  # ?district=ID&month=YYYY-MM: what a run in Prefect links to
    "meeting_page": "/schools/{school_id}/meeting",  # the meeting invitation (.ics)
    "set_password_form": "/first-login/{token}",
    # An evidence file: linked from the task page only; never put into a message (files stay in the school).
    "evidence_file": "/tasks/{task_id}/files/{file_id}",
}


def path(route: str, **params: object) -> str:
    """The path of a page of the web app, its parameters filled in."""
    return ROUTES[route].format(**{k: quote(str(v), safe="") for k, v in params.items()})


def link(route: str, *, base_url: str | None = None, **params: object) -> str:
    """The absolute link to a page, under `base_url` (default XINYU_BASE_URL)."""
    base = get_settings().base_url if base_url is None else base_url
    return base.rstrip("/") + path(route, **params)
