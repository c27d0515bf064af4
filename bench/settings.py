"""The portal's own settings plus one bare endpoint, so the ceiling is measured on the same stack."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
