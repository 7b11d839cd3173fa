"""Lists one inner archive of a Home Assistant backup with Python's tarfile, independently of
Lifeboat: the decryption of python_backup_reader.py (SecureTar v2 and v3 from the format
reference), then tarfile's streaming reader. Lifeboat's tests compare `backup ls` and `backup cat`
with what it prints.

usage: python_backup_list.py BACKUP.tar MEMBER ROOT [PASSWORD]
MEMBER is the inner archive (e.g. homeassistant.tar.gz); ROOT the folder its paths are taken
relative to ("data" for Home Assistant's archive, "" for none). Prints a JSON list of entries:
path, type, size, mode, mtime (seconds as stored: the PAX string when there is one), linkname,
sha256 (files).
"""

import hashlib
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_backup_reader import ChunkReader, inner_plaintext  # noqa: E402


def relative(name, root):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not root:
        return "/".join(parts) or None
    if len(parts) < 2 or parts[0] != root:
        return None
    return "/".join(parts[1:])


def kind(member):
    if member.isreg():
        return "file"
    if member.isdir():
        return "directory"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    return "other"


def main():
    backup, member_name, root = sys.argv[1], sys.argv[2], sys.argv[3]
    password = sys.argv[4] if len(sys.argv) > 4 else None
    out = []
    with tarfile.open(backup, "r:") as outer:
        names = {m.name.lstrip("./"): m for m in outer.getmembers()}
        raw = outer.extractfile(names[member_name])
        plain = ChunkReader(inner_plaintext(raw, password, {}))
        with tarfile.open(fileobj=io.BufferedReader(plain, 1 << 20), mode="r|*") as inner:
            for member in inner:
                path = relative(member.name, root)
                if path is None:
                    continue
                entry = {
                    "path": path,
                    "type": kind(member),
                    "size": member.size if member.isreg() else 0,
                    "mode": member.mode & 0o7777,
                    "mtime": member.pax_headers.get("mtime", str(int(member.mtime))),
                }
                if member.issym():
                    entry["linkname"] = member.linkname
                if member.islnk():
                    entry["linkname"] = relative(member.linkname, root) or member.linkname
                if member.isreg():
                    entry["sha256"] = hashlib.sha256(inner.extractfile(member).read()).hexdigest()
                out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
