"""The embedded default's cache (CACHE_URL=diskcache://): diskcache's Django backend, with its
connections kept between requests.

Django closes every cache when a request ends (for memcached's sake). diskcache keeps one SQLite
connection per thread and shard, and opening one costs a connect and a read of its settings that sets a
dozen pragmas again: closing them after each request made the next one reopen them, a quarter of the
queue page's CPU in-process (bench/README.md). A connection is checked against the process id before
each use (diskcache reopens it after a fork), so keeping it open between requests is safe.
"""

from __future__ import annotations

from diskcache import DjangoCache


class KeptDiskCache(DjangoCache):
    def close(self, **kwargs) -> None:
        """Kept open: diskcache closes them itself when the process ends."""
