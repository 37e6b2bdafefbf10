"""Who holds a TCP port on this machine: the listening socket in ``/proc/net/tcp`` and ``tcp6``,
its owner's user name, and the processes holding it (root sees every process's sockets).

The hub checks its ports before it starts: a trainee (they have shells) who listens on the
sandbox's port first would be asked for the trainer token, and one on the hub's own ports would
see logins and the hub's API tokens. Linux only; elsewhere nothing is found.
"""

from __future__ import annotations

import ipaddress
import os
import pwd
import sys
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column
_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    uid: int
    inode: int

    @property
    def user(self) -> str:
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return f"uid {self.uid}"

    def describe(self) -> str:
        """``user 'ana' (pid 4242: python3)``: who to ask, or what to stop."""
        holders = ", ".join(f"pid {pid}: {name}" for pid, name in processes_holding(self.inode))
        return f"user '{self.user}'" + (f" ({holders})" if holders else "")


def _address(hex_address: str) -> str:
    # The kernel prints each 32-bit word of the address as a number in the host's byte order.
    words = (hex_address[i : i + 8] for i in range(0, len(hex_address), 8))
    return str(ipaddress.ip_address(b"".join(int(w, 16).to_bytes(4, sys.byteorder) for w in words)))


def listeners(port: int) -> list[Listener]:
    """Every socket listening on TCP ``port``, on any address."""
    found = []
    for table in _TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port:
                found.append(Listener(_address(address), port, int(fields[7]), int(fields[9])))
    return found


def processes_holding(inode: int) -> list[tuple[int, str]]:
    """(pid, command name) of each process with the socket ``inode`` open, as far as this user
    may look (root: all)."""
    target = f"socket:[{inode}]"
    holding = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                holding.append((int(entry.name), (entry / "comm").read_text().strip()))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return holding


def held_by_others(ports: dict[str, int], trusted_uid: int | None = None) -> list[str]:
    """For each named port someone listens on: ``the class sandbox's port 8765 (127.0.0.1) is
    held by user 'ana' (pid 4242: python3)``. A listener of ``trusted_uid`` is not named."""
    said = []
    for role, port in ports.items():
        for listener in listeners(port):
            if listener.uid != trusted_uid:
                said.append(
                    f"{role} port {port} ({listener.address}) is held by {listener.describe()}"
                )
    return said
