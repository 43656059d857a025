"""A real child for tests/test_child.py: ``python -m tests.support.child_probe`` under briefreel.child.serve.

The request's ``do`` picks what it does; every branch is something a real job does (report progress, fail with a
typed error, crash, leave a grandchild running, allocate past its memory limit, spin on the CPU, hang).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

from briefreel.child import emit, serve
from briefreel.errors import BriefreelError


class ProbeError(BriefreelError):
    code = "probe_failed"
    exit_code = 42


def handle(request: dict, payload: bytes) -> dict:
    do = request.get("do")
    if do == "echo":
        os.write(1, b"stray output from C on fd 1\n")  # must not break the event stream
        print("a stray print")
        for i in range(request.get("steps", 0)):
            emit("progress", step=i + 1)
        return {"request": request, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    if do == "self":  # what the child itself can see of its argv and environment
        with open("/proc/self/cmdline", "rb") as f:
            cmdline = f.read()
        with open("/proc/self/environ", "rb") as f:
            environ = f.read()
        secret = request["password"].encode()
        return {"in_cmdline": secret in cmdline, "in_environ": secret in environ,
                "env_password": "BRIEFREEL_PASSWORD" in os.environ}
    if do == "fail":
        raise ProbeError(f"cannot use {request['password']} here")
    if do == "crash":
        raise ValueError(f"untyped failure holding {request['password']}")
    if do == "exit":
        sys.stderr.write(f"last words with {request['password']}\n")
        sys.stderr.flush()
        os._exit(3)
    if do in ("linger", "orphan"):  # a grandchild in the same process group
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        emit("progress", pid=grandchild.pid, me=os.getpid())
        if do == "orphan":
            return {"pid": grandchild.pid}
        time.sleep(120)
    if do == "hog":
        chunks = [bytearray(64 << 20) for _ in range(64)]  # 4 GiB, past any limit the tests set
        return {"held": len(chunks)}
    if do == "spin":
        while True:
            pass
    if do == "sleep":
        emit("progress", me=os.getpid())
        time.sleep(request.get("seconds", 120))
        return {"slept": True}
    raise ProbeError(f"unknown probe {do!r}")


if __name__ == "__main__":
    sys.exit(serve(handle))
