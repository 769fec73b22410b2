"""A worker for the advance-side fault runs (tests/fork_server.py), so a test can run two at once or
SIGKILL dozens: "advance <ISO time> <asc|desc>" or "dispatch <ISO time>" forks a child that does it.
Settings come from XINYU_* in the environment.
"""

from notifications.dispatcher import dispatch
from tests.faults.advance_run import advance_all
from tests.fork_server import serve
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.settings import Settings


def main() -> None:
    settings = Settings()

    def work(command: str, args: list[str]) -> None:
        engine = make_engine(settings.database_url)
        if command == "advance":
            advance_all(engine, PackBook(engine, pin_newest=True), parse_at(args[0]), descending=args[1] == "desc")
        else:
            dispatch(engine, now=parse_at(args[0]), settings=settings)

    serve(work, ("advance", "dispatch"))


if __name__ == "__main__":
    main()
