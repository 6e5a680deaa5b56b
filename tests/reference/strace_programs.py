#!/usr/bin/env python3
"""The reference for `netcourse trace`: what `strace -f -e trace=network`
records for the tutorial's programs, run as plain programs.

    python3 tests/reference/strace_programs.py udp|tcp

Prints JSON: for each program (in start order) the list of its network
calls as strace shows them, one string per call, e.g.
`sendto(3, "hello", 5, 0, {sa_family=AF_INET, sin_port=htons(5000), ...}, 16) = 5`.

How: the script re-runs itself under `unshare -rn` (a user + network
namespace of its own, as netcourse's sandbox: its own `lo` and ports),
brings `lo` up with an ioctl, starts the first program under strace and
starts the next once strace has written the first program's `bind` (UDP) or
`listen` (TCP) line: the same "when the previous has bound or is listening"
rule `trace --run A --run B` follows. Waits are bounded (10 s).
Needs python3, unshare (util-linux) and strace."""

import json
import os
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TUTORIAL = os.path.join(HERE, "..", "..", "examples", "tutorial")
sys.path.insert(0, HERE)
from capture import lo_up  # noqa: E402

SCENARIOS = {
    "udp": {
        "programs": [["udp_recv.py"], ["udp_send.py", "hello", "stop"]],
        "ready": "bind(",
        "stdin": None,
    },
    "tcp": {
        "programs": [["dict_server.py"], ["dict_client.py"]],
        "ready": "listen(",
        "stdin": "questions.txt",
    },
}

BOUND = 10.0


def wait_for_line(path, text, proc):
    """Until `path` (strace's output) has a line containing `text`."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                if any(text in line for line in f):
                    return
        except FileNotFoundError:
            pass  # strace has not created it yet
        if proc.poll() is not None:
            sys.exit(f"the first program exited before `{text}`")
        # strace writes each line as the call returns; look again in 2 ms.
        select.select([], [], [], 0.002)
    sys.exit(f"no `{text}` from the first program within {BOUND} s")


def strace(out, argv, stdin=None):
    cmd = ["strace", "-f", "-qq", "-e", "trace=network", "-e", "signal=none"]
    cmd += ["-o", out, "--", sys.executable] + argv
    return subprocess.Popen(cmd, cwd=TUTORIAL, stdin=stdin, stdout=subprocess.DEVNULL)


def run_inside(name, tmp):
    sc = SCENARIOS[name]
    lo_up()
    outs = [os.path.join(tmp, f"{i}.strace") for i in range(len(sc["programs"]))]
    first = strace(outs[0], sc["programs"][0])
    wait_for_line(outs[0], sc["ready"], first)
    stdin = open(os.path.join(TUTORIAL, sc["stdin"])) if sc["stdin"] else None
    second = strace(outs[1], sc["programs"][1], stdin)
    for p in (second, first):
        if p.wait(timeout=BOUND) != 0:
            sys.exit("a program failed under strace")
    calls = []
    for out in outs:
        with open(out) as f:
            # "PID call(...) = result": drop the pid.
            calls.append([line.split(" ", 1)[1].strip() for line in f if line.strip()])
    return calls


def main():
    args = sys.argv[1:]
    if len(args) != 2 or args[0] not in SCENARIOS:
        sys.exit("usage: strace_programs.py {%s} SCRATCH_DIR" % "|".join(SCENARIOS))
    if os.environ.get("REFERENCE_INSIDE") != "1":
        env = dict(os.environ, REFERENCE_INSIDE="1")
        r = subprocess.run(["unshare", "-rn", sys.executable, __file__] + args, env=env)
        sys.exit(r.returncode)
    print(json.dumps(run_inside(args[0], args[1])))


if __name__ == "__main__":
    main()
