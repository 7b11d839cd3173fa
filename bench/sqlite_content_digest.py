"""A digest of what a SQLite database holds, for the benchmarks' correctness checks.

A consistent copy of a live database need not be byte-identical to the file it was taken from:
SQLite's online backup API rewrites header fields, a copy taken while another process commits
holds pages that are still in the -wal file, and another way of copying (VACUUM INTO, a page-level
reuse of an earlier copy) lays the pages out differently. So two databases are compared by content:
user_version and application_id, the schema (every row of sqlite_master, in name order) and
every table's rows in rowid order (primary-key order for WITHOUT ROWID tables), read inside one
read transaction (one snapshot, even while a writer commits). Each row is written with repr(),
which is exact for floats and keeps types apart (1, 1.0, '1' and b'1' differ), and hashed with
SHA-256, per table and over everything.

usage: sqlite_content_digest.py DB [--skip-table NAME]... [--integrity-check]
Prints JSON: {"sha256": ..., "schema_sha256": ..., "tables": {NAME: {"rows": N, "sha256": ...}},
"integrity": "ok" or PRAGMA integrity_check's answer, or null without --integrity-check}.
--skip-table leaves a table (and its indexes and triggers) out of every digest.
"""

import argparse
import hashlib
import json
import sqlite3
import urllib.parse

BATCH = 10_000


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def table_digest(con, name):
    h = hashlib.sha256()
    columns = [row[1] for row in con.execute(f"PRAGMA table_info({quote(name)})")]
    h.update(repr(columns).encode())
    try:
        cur = con.execute(f"SELECT * FROM {quote(name)} ORDER BY rowid")
    except sqlite3.OperationalError:
        # WITHOUT ROWID: order by the primary key (then by every column, for a table without one).
        pk = [row[1] for row in sorted(con.execute(f"PRAGMA table_info({quote(name)})"), key=lambda r: r[5]) if row[5] > 0]
        order = ", ".join(quote(c) for c in pk) or ", ".join(str(i + 1) for i in range(len(columns)))
        cur = con.execute(f"SELECT * FROM {quote(name)} ORDER BY {order}")
    rows = 0
    while True:
        batch = cur.fetchmany(BATCH)
        if not batch:
            break
        rows += len(batch)
        h.update("\n".join(map(repr, batch)).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return {"rows": rows, "sha256": h.hexdigest()}


def main():
    parser = argparse.ArgumentParser(description="Digest of a SQLite database's content.")
    parser.add_argument("db")
    parser.add_argument("--skip-table", action="append", default=[])
    parser.add_argument("--integrity-check", action="store_true")
    args = parser.parse_args()
    skip = set(args.skip_table)

    # mode=rw: never create a database that is missing. A read-write connection (not mode=ro) so
    # that, as the last one to close a WAL database, it removes the -wal and -shm files it made.
    uri = "file:" + urllib.parse.quote(args.db) + "?mode=rw"
    con = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout = 10000")
        con.execute("BEGIN")  # one snapshot for every read below
        total = hashlib.sha256()
        schema = hashlib.sha256()
        for pragma in ("user_version", "application_id"):
            schema.update(f"{pragma}={con.execute(f'PRAGMA {pragma}').fetchone()[0]}\n".encode())
        objects = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = {}
        for kind, name, tbl_name, sql in objects:
            if tbl_name in skip:
                continue
            schema.update(repr((kind, name, tbl_name, sql)).encode() + b"\n")
            if kind == "table" and not (sql or "").upper().startswith("CREATE VIRTUAL"):
                tables[name] = table_digest(con, name)
        total.update(schema.digest())
        for name in sorted(tables):
            total.update(f"{name}:{tables[name]['rows']}:{tables[name]['sha256']}\n".encode())
        integrity = None
        if args.integrity_check:
            integrity = "\n".join(row[0] for row in con.execute("PRAGMA integrity_check"))
        con.execute("COMMIT")
    finally:
        con.close()
    print(json.dumps({"sha256": total.hexdigest(), "schema_sha256": schema.hexdigest(), "tables": tables, "integrity": integrity}))


if __name__ == "__main__":
    main()
