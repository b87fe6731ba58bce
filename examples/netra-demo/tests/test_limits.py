"""Limit checks that once used the POSIX-only `resource` module."""

import os
import resource


def test_cpu_count():
    assert (os.cpu_count() or 1) >= 1
