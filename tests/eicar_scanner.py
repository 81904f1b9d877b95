"""A stand-in for clamdscan: reads a file (standard input with `-`, or a path) and exits 1 with
`<name>: Eicar-Signature FOUND` when it holds the EICAR test signature, 0 with `<name>: OK` if not."""

from __future__ import annotations

import sys
from pathlib import Path

SIGNATURE = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


def main(arguments: list[str]) -> int:
    name = arguments[-1] if arguments else "-"
    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    label = "stdin" if name == "-" else name
    if SIGNATURE in data:
        print(f"{label}: Eicar-Signature FOUND")
        return 1
    print(f"{label}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
