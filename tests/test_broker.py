"""The embedded default's broker (portal/broker.py): a worker never reads a message that is still being
written, and two workers never take the same message."""

from __future__ import annotations

import threading
from queue import Empty

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError

pytestmark = pytest.mark.backend_independent  # its own folders, no database

QUEUE = "celery"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "queue").mkdir()
    (tmp_path / "control").mkdir()
    return tmp_path


def connect(folder, transport: str = "portal.broker:Transport") -> Connection:
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    return Connection("filesystem://", transport=transport, transport_options=options)


def test_the_embedded_default_uses_this_transport(settings):
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        pytest.skip("the broker is configured by CELERY_BROKER_URL")
    from portal.celery import app

    with app.connection_for_write() as connection:
        assert type(connection.transport).__module__ == "portal.broker"


def test_a_message_being_written_is_not_read(folder, monkeypatch):
    """The publisher stops in the middle of writing a message; a worker polling the folder then finds
    nothing (kombu's own transport hands it an empty file and the worker dies on the JSON), and finds the
    whole message once it is written."""
    with connect(folder) as publisher, connect(folder) as worker:
        writer, reader = publisher.default_channel, worker.default_channel
        writing, finish = threading.Event(), threading.Event()
        put = type(writer)._put
        encode = put.__globals__["dumps"]

        def slow_dumps(payload):
            writing.set()
            finish.wait(10)
            return encode(payload)

        monkeypatch.setitem(put.__globals__, "dumps", slow_dumps)
        publishing = threading.Thread(target=writer._put, args=(QUEUE, {"body": "whole"}))
        publishing.start()
        assert writing.wait(10)
        with pytest.raises(Empty):
            reader._get(QUEUE)
        finish.set()
        publishing.join(10)
        assert reader._get(QUEUE) == {"body": "whole"}
        assert list((folder / "queue").iterdir()) == []


def test_two_workers_take_every_message_once(folder):
    count = 400
    with connect(folder) as publisher:
        for n in range(count):
            publisher.default_channel._put(QUEUE, {"n": n})
    taken: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def drain(into: list[int]) -> None:
        with connect(folder) as worker:
            channel = worker.default_channel
            try:
                while True:
                    into.append(channel._get(QUEUE)["n"])
            except Empty:
                return
            except BaseException as error:  # a half-read message, a clash over one file
                errors.append(error)

    workers = [threading.Thread(target=drain, args=(into,)) for into in taken]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    assert errors == []
    assert sorted(taken[0] + taken[1]) == list(range(count))
    assert list((folder / "queue").iterdir()) == []


def test_a_message_that_could_not_be_written_leaves_nothing(folder, monkeypatch):
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("portal.broker.os.replace", full_disk)
    with connect(folder) as publisher, pytest.raises(ChannelError, match="Cannot add file"):
        publisher.default_channel._put(QUEUE, {"n": 1})
    assert list((folder / "queue").iterdir()) == []


def test_only_a_filesystem_url_gets_it():
    import portal.celery  # noqa: F401  (registers the scheme)

    assert type(Connection("filesystem://").transport).__module__ == "portal.broker"
    assert type(Connection("redis://127.0.0.1:9/0").transport).__module__ == "kombu.transport.redis"


def test_a_backlog_is_listed_once_and_a_later_message_still_found(folder, monkeypatch):
    """Each message taken used to list and sort the whole folder again, so a backlog of n cost n listings
    of up to n names. The names listed are kept, in order; the folder is read again when they are used
    up, so a message put after the listing comes next, and one another worker took is skipped."""
    import portal.broker

    listings = []
    listdir = portal.broker.os.listdir
    monkeypatch.setattr(portal.broker.os, "listdir", lambda path: listings.append(path) or listdir(path))
    with connect(folder) as publisher, connect(folder) as worker, connect(folder) as other:
        for n in range(50):
            publisher.default_channel._put(QUEUE, {"n": n})
        reader = worker.default_channel
        first = reader._get(QUEUE)["n"]
        second = other.default_channel._get(QUEUE)["n"]  # taken from under the first reader's list
        publisher.default_channel._put(QUEUE, {"n": 50})
        rest = [reader._get(QUEUE)["n"] for _ in range(49)]
        assert sorted([first, second, *rest]) == list(range(51))
        with pytest.raises(Empty):
            reader._get(QUEUE)
    assert len(listings) == 2 + 1 + 1  # the reader: the backlog, then n=50; the other reader; the last Empty
