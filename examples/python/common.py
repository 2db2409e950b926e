"""What the Python examples share: their flags, and the comparison with the plain reference protocol.

Like the C++ examples (examples/common.hpp): --protocol, --small (small inputs, for ctest), --check
(exit 1 when the encrypted result is farther from the plain protocol's than the documented bound), and
--hosts FILE --player NAME to run one player per process (scripts/launch_local.sh --players ... --
/usr/bin/python3 EXAMPLE.py ARGS starts them all on 127.0.0.1).
"""

import argparse
import sys

import numpy as np

import tfe


def parse(description: str, default_protocol: str = "aby3") -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--protocol", default=default_protocol, choices=tfe.SESSION_PROTOCOLS)
    p.add_argument("--small", action="store_true", help="small inputs (ctest)")
    p.add_argument("--check", action="store_true", help="exit 1 when farther from plain than documented")
    p.add_argument("--hosts", help="hosts file: run only --player in this process, over TCP/TLS")
    p.add_argument("--player", help="the player this process runs (with --hosts)")
    return p.parse_args()


def run(args: argparse.Namespace, players, program, protocol=None, local=False) -> list:
    """tfe.run under args.protocol (or `protocol`), one player per process when --hosts is given."""
    hosts = None if local else args.hosts
    return tfe.run(players, program, protocol or args.protocol, hosts=hosts, player=None if local else args.player)


def done_elsewhere(args: argparse.Namespace, receiver: str) -> bool:
    """In a process that runs one player other than the receiver of the results: says so."""
    if args.player is None or args.player == receiver:
        return False
    print(f"player {args.player}: done (the results go to {receiver})")
    return True


def max_abs_diff(a, b) -> float:
    if isinstance(a, (list, tuple)):
        return max(max_abs_diff(x, y) for x, y in zip(a, b))
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def report(args: argparse.Namespace, what: str, diff: float, bound: float) -> int:
    """Prints the difference from plain; the exit code under --check."""
    print(f"largest absolute difference from the plain protocol ({what}): {diff:.3g} (bound {bound})")
    if args.check and not diff <= bound:
        print(f"FAILED: difference {diff} exceeds the documented bound {bound}", file=sys.stderr)
        return 1
    return 0
