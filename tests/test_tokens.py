"""Job ids and lease tokens: random, unique, and never repeated by a forked child."""

from __future__ import annotations

import os
import re

from queuectl_core.job import new_token


def test_tokens_are_16_hex_digits_and_unique() -> None:
    tokens = [new_token() for _ in range(5000)]  # several draws of the pool
    assert all(re.fullmatch(r"[0-9a-f]{16}", token) for token in tokens)
    assert len(set(tokens)) == len(tokens)


def test_a_forked_child_does_not_repeat_its_parents_tokens() -> None:
    new_token()  # the pool now holds tokens drawn before the fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next tokens and leave at once
        os.close(read_end)
        os.write(write_end, " ".join(new_token() for _ in range(10)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = set(pipe.read().decode().split())
    os.waitpid(pid, 0)
    parent = {new_token() for _ in range(10)}
    assert len(child) == 10
    assert not child & parent
