"""Every file the runbook writes, written so that nothing is lost through it.

- A crash or a kill leaves the old file or the new one, never half of one (``write_atomically``).
- Nothing is opened through a symbolic link the runbook did not make: files are opened with
  ``O_NOFOLLOW`` and must be regular files of the user running the runbook, with one name only
  (a lock or journal hard-linked to the env file would otherwise overwrite it). A FIFO or a device
  is refused before it is opened for good, so nothing waits on it forever.
- A folder that other users may write into is named as unsafe rather than used: whoever can write
  there can swap a file for a link between two of our steps.

Each refusal is an ``UnsafePath`` naming the field, the path and the fix; nothing was written.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import tempfile
from pathlib import Path

from .errors import InputError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN = _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class UnsafePath(InputError):
    """A path the runbook will not write through (a link, not a regular file, another user's
    file, a folder others can write). Nothing was read or written through it."""

    def __init__(self, field: str, path: Path, problem: str, fix: str) -> None:
        self.path = Path(path)
        super().__init__(field, f"{path} {problem}", fix)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"


def _group_is_only_mine(gid: int) -> bool:
    """A user-private group (the default on many Linux systems with umask 002): the group named
    after this user, with no other members, so group-writable means writable by this user."""
    try:
        group = grp.getgrgid(gid)
        me = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return False
    return group.gr_name == me and set(group.gr_mem) <= {me}


def others_can_write(info: os.stat_result) -> str:
    """Who besides the owner may write into a folder with this status; "" for nobody."""
    if info.st_mode & stat.S_IWOTH:
        return "every user of this computer"
    if info.st_mode & stat.S_IWGRP and not _group_is_only_mine(info.st_gid):
        try:
            name = grp.getgrgid(info.st_gid).gr_name
        except KeyError:
            name = str(info.st_gid)
        return f"the members of the group {name}"
    return ""


def check_folder(folder: Path, field: str) -> None:
    """Refuse a folder (if it exists) that another user owns or may write into."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return
    who = others_can_write(info)
    owner = info.st_uid
    if who:
        raise UnsafePath(
            field,
            folder,
            f"is a folder {who} can write into: any of them could swap a file the runbook writes"
            " there for a link to another file. Nothing was written.",
            f"Make it yours alone (chmod go-w '{folder}'), or choose a private folder.",
        )
    if owner not in (os.geteuid(), 0):
        raise UnsafePath(
            field,
            folder,
            f"belongs to {_user(owner)}, not to you ({_user(os.geteuid())}): they control what"
            " is in it. Nothing was written.",
            "Choose a folder of your own.",
        )


def make_folder(folder: Path, field: str) -> None:
    """Make ``folder`` (and missing parents) 0700 whatever the umask; refuse an unsafe one."""
    missing: list[Path] = []
    here = Path(folder)
    while not os.path.lexists(here):
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass  # made meanwhile by a run beside us; checked below like any folder
    check_folder(Path(folder), field)


def check_private_file(info: os.stat_result, path: Path, field: str, writing: bool = True) -> None:
    """Refuse what ``info`` (an fstat of an opened file) shows is not the runbook's to read: not
    a regular file; or to write: another user's, or a file with a second name (a hard link to
    the env file, say)."""
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, field)
    if not writing:
        return
    if info.st_uid != os.geteuid():
        raise UnsafePath(
            field,
            path,
            f"belongs to {_user(info.st_uid)}, not to you. Nothing was written.",
            "Move it away, or choose a path of your own.",
        )
    if info.st_nlink != 1:
        raise UnsafePath(
            field,
            path,
            f"has {info.st_nlink} names (hard links): writing it could change another file with"
            " it. Nothing was written.",
            f"Remove the other names, or move it away (mv '{path}' '{path}.old').",
        )


def _not_regular(path: Path, field: str) -> UnsafePath:
    return UnsafePath(
        field,
        path,
        "is not a regular file (a FIFO, a device or a socket?): the runbook reads and writes only"
        " plain files. Nothing was read or written.",
        "Give the path of a plain file, or move that one away.",
    )


def open_private(path: Path, flags: int, field: str, mode: int = 0o600) -> int:
    """``os.open`` for a file the runbook owns: never through a link, only a regular file of this
    user with one name. Returns the descriptor; raises UnsafePath (descriptor closed)."""
    try:
        fd = os.open(path, flags | _OPEN, mode)
    except OSError:
        refuse_link(path, field)  # a link or a FIFO, named; anything else is raised as it is
        raise
    try:
        check_private_file(os.fstat(fd), path, field, writing=flags & os.O_ACCMODE != os.O_RDONLY)
    except UnsafePath:
        os.close(fd)
        raise
    return fd


def read_private(path: Path, field: str) -> bytes | None:
    """The bytes of a file the runbook owns (see ``open_private``); None when it does not exist."""
    try:
        fd = open_private(path, os.O_RDONLY, field)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as source:
        return source.read()


def append_private(path: Path, data: bytes, field: str) -> None:
    """Append ``data`` to a file the runbook owns (made 0600 if missing) and fsync it. A line left
    torn by a killed writer is ended first, so ``data`` starts on a line of its own."""
    fd = open_private(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, field)
    with os.fdopen(fd, "a+b") as out:
        if out.seek(0, os.SEEK_END) > 0:
            out.seek(-1, os.SEEK_END)
            if out.read(1) != b"\n":
                data = b"\n" + data
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def refuse_link(path: Path, field: str) -> None:
    """Refuse a symbolic link or a non-regular file at ``path`` before writing there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(
            field,
            path,
            f"is a symbolic link (to {os.readlink(path)}): the runbook opens nothing through a"
            " link it did not make, so that no other file is overwritten. Nothing was written.",
            f"Remove the link (rm '{path}'); the runbook makes its own file there.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, field)


def write_atomically(path: Path, text: str, mode: int = 0o600, field: str = "file") -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, and rename it over ``path``.

    mkstemp creates the temporary file 0600 before any byte is written, so a secret is never
    readable by others even for a moment; ``mode`` is applied just before the rename. A link at
    ``path`` is refused (the rename would replace it), and so is a folder others can write.
    """
    path = Path(path)
    check_folder(path.parent, field)
    refuse_link(path, field)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` (it must not exist: O_EXCL) with ``mode``, write ``data`` and fsync it.

    For copies that must never overwrite anything, such as backups of the env file. Raises
    FileExistsError when the name is taken (also by a dangling symlink), so callers pick another.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    fd = os.open(path, flags, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)  # exactly ``mode``, whatever the umask
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every file system allows it, which is fine.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def written_through(path: Path, field: str) -> Path:
    """Where a file the officer may have made a symbolic link of really is: ``path`` itself, or
    the link's final target when link and target are both this user's and the target is a
    regular file (it is then written in place of the link, which stays). Anything else at the
    end of a link is refused."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return Path(path)
    if not stat.S_ISLNK(info.st_mode):
        return Path(path)
    target = Path(os.path.realpath(path))
    problem = ""
    if info.st_uid != os.geteuid():
        problem = f"is a symbolic link made by {_user(info.st_uid)}, not by you"
    else:
        try:
            found = os.stat(target)
        except OSError:
            problem = f"is a symbolic link to {target}, which does not exist"
        else:
            if not stat.S_ISREG(found.st_mode):
                problem = f"is a symbolic link to {target}, which is not a regular file"
            elif found.st_uid != os.geteuid():
                problem = f"is a symbolic link to {target}, which belongs to {_user(found.st_uid)}"
    if problem:
        raise UnsafePath(
            field,
            path,
            problem + ": the runbook writes through a link only to a plain file of your own."
            " Nothing was read or written.",
            f"Point the link at a file of yours (create it first: touch FILE; chmod 600 FILE),"
            f" or remove the link (rm '{path}') to keep the file there.",
        )
    return target
