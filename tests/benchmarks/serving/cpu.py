"""CPU time of a process and its descendants, from /proc (Linux).

A process's ``utime + stime`` covers all its threads; its ``cutime + cstime`` the children
it has reaped. Summing the four over the process and every live descendant counts all
the tree's work except that of a descendant that exited unreaped during the run.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, None if it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()  # the name may hold spaces and ")"


def descendants(pid: int) -> set[int]:
    """``pid`` and every live process below it."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])  # field 4, ppid
    tree, grown = {pid}, True
    while grown:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid``'s process tree so far."""
    total = 0
    for member in descendants(pid):
        fields = _stat(member)
        if fields is not None:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / _TICKS
