"""A dispatcher factory for the fault runs (tests/fork_server.py): "run <ISO time>" forks a dispatcher.
Settings come from XINYU_* in the environment.
"""

from notifications.dispatcher import dispatch
from tests.fork_server import serve
from xinyu.clock import parse_at
from xinyu.db import make_engine
from xinyu.settings import Settings


def main() -> None:
    settings = Settings()

    def run(_command: str, args: list[str]) -> None:
        dispatch(make_engine(settings.database_url), now=parse_at(args[0]), settings=settings)

    serve(run, ("run",))


if __name__ == "__main__":
    main()
