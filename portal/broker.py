"""kombu's filesystem transport (the embedded default's broker), with every message written whole.

kombu 5.7 creates a message's file under its final name and then writes it, and a worker polling the
folder takes the first file it lists: while the web process is still writing, the worker can read an
empty file and stop with "Unrecoverable error: JSONDecodeError" (kombu issue #1551). The bench's
hand-offs did, filing and delivering at once. Here a message is written under a name no reader looks for
and renamed into the queue when it is complete (a rename within one folder is atomic), and a reader takes
a file by renaming it within the same folder, never by moving it to the system's temporary folder, which
may be another filesystem where a move is a copy that two workers can make at the same moment.

`store_processed` is not supported: the outbox, not the broker's folder, is the record of what was sent.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PARTIAL = ".partial"  # a message being written: "<name>.<queue>.msg.partial" is no queue's file
TAKEN = ".taken"  # a message a reader has taken and is reading


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The names of each queue's messages from the last listing of the folder, in name order (the
        # order they were written in). Listing and sorting the folder for every message made a backlog's
        # cost grow with its square (bench/README.md).
        self._listed: dict[str, deque[str]] = {}

    def _put(self, queue: str, payload: dict, **kwargs) -> None:
        body = str_to_bytes(dumps(payload))
        final = Path(self.data_folder_out) / f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = final.with_name(final.name + PARTIAL)
        try:
            with partial.open("xb") as file:
                file.write(body)
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str) -> dict:
        folder = Path(self.data_folder_in)
        listed = self._listed.setdefault(queue, deque())
        read_folder = False
        while True:
            if not listed:
                if read_folder:
                    raise Empty()
                wanted = f"{queue}.msg"
                listed.extend(sorted(name for name in os.listdir(folder) if name.partition(".")[2] == wanted))
                read_folder = True
                continue
            name = listed.popleft()
            taken = folder / f"{name}.{uuid.uuid4().hex}{TAKEN}"
            try:
                os.rename(folder / name, taken)
            except FileNotFoundError:  # another worker took it first
                continue
            try:
                payload = taken.read_bytes()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {taken!r} from queue.") from exc
            finally:
                taken.unlink(missing_ok=True)
            return loads(bytes_to_str(payload))


class Transport(filesystem.Transport):
    Channel = Channel
