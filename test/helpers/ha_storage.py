"""Lists and writes backup locations the way Home Assistant's storage integrations do.

Lifeboat's tests use it to prove two things against real servers: Home Assistant sees every
backup Lifeboat stores on a location (and no record Lifeboat writes makes Home Assistant's
listing fail), and Lifeboat reads every backup Home Assistant stores there. It is written from
the integrations' behaviour (home-assistant/core, homeassistant/components/<kind>/), not from
Lifeboat's code, so the two can disagree.

usage:
  ha_storage.py list  KIND CONFIG.json             prints {"backups": [...], "listing_failed", "errors": [...]}
  ha_storage.py write KIND CONFIG.json BACKUP.tar  prints {"written": [object or file names]}

KIND and CONFIG.json:
  aws_s3, cloudflare_r2, idrive_e2, backblaze_b2
      {"endpoint", "bucket", "prefix", "access_key_id", "secret_access_key", "region"?, "release"?}
      (backblaze_b2 is reached through an S3-compatible endpoint; the objects are the same)
  webdav        {"url", "path", "username", "password"}
  sftp_storage  {"host", "port", "username", "private_key_file", "path", "password"?}
  share         {"path"}   a Supervisor network-storage share (CIFS/NFS) mounted at path

"release": "legacy" (aws_s3 and backblaze_b2 only) behaves as those integrations' first
releases, which fail the whole listing on records the current releases skip.

Each entry of "errors" names the record or archive, the backup id when known, a message and its
effect in Home Assistant: "fails_listing" (the integration raises: Home Assistant shows no backup
of that location at all, and "listing_failed" is true), "skipped" (Home Assistant ignores that
record) or "listed" (Home Assistant lists the backup, but something about it is wrong: no
archive where Home Assistant looks for it, another backup id inside the archive, field types
Home Assistant does not expect). "backups" holds every record the integration parsed, even when
the listing as a whole fails. Problems of the helper itself (bad config, a server that refuses
the connection) exit with status 2 and print {"error": "..."}.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import http.client
import json
import os
import posixpath
import shutil
import sys
import tarfile
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO, Callable, Iterable, Iterator

# --- Home Assistant's backup model (homeassistant/components/backup/models.py) ---------------


@dataclass(frozen=True, kw_only=True)
class AddonInfo:
    name: str
    slug: str
    version: str


class Folder(StrEnum):
    SHARE = "share"
    ADDONS = "addons/local"
    SSL = "ssl"
    MEDIA = "media"


@dataclass(frozen=True, kw_only=True)
class AgentBackup:
    # Field order is as_dict()'s key order.
    addons: list
    backup_id: Any
    date: Any
    database_included: Any
    extra_metadata: Any
    folders: list
    homeassistant_included: Any
    homeassistant_version: Any
    name: Any
    protected: Any
    size: Any

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "AgentBackup":
        # No type checks beyond these: Home Assistant raises KeyError for a missing key, TypeError
        # for an add-on that is not exactly {name, slug, version} (or data that is not an object)
        # and ValueError for a folder outside the Folder enum — and accepts anything else.
        return cls(
            addons=[AddonInfo(**addon) for addon in data["addons"]],
            backup_id=data["backup_id"],
            date=data["date"],
            database_included=data["database_included"],
            extra_metadata=data["extra_metadata"],
            folders=[Folder(folder) for folder in data["folders"]],
            homeassistant_included=data["homeassistant_included"],
            homeassistant_version=data["homeassistant_version"],
            name=data["name"],
            protected=data["protected"],
            size=data["size"],
        )


def parse_datetime(value: Any) -> datetime.datetime:
    """dt_util.parse_datetime(raise_on_error=True): ISO 8601, keeping the string's own offset."""
    if not isinstance(value, str):
        raise TypeError(f"date {value!r} is not a string")
    return datetime.datetime.fromisoformat(value)


def suggested_stem(name: Any, date: Any) -> str:
    """backup/util.py suggested_filename() without its ".tar"."""
    when = parse_datetime(date)
    return "_".join(f"{name} {when.strftime('%Y-%m-%d %H.%M %S%f')}".split())


def type_problems(b: AgentBackup) -> list[str]:
    """Field types Home Assistant's listing accepts but the rest of Home Assistant does not expect."""
    problems = []

    def want(field: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{field} is {getattr(b, field)!r}, not {what}")

    want("backup_id", isinstance(b.backup_id, str), "a string")
    want("name", isinstance(b.name, str), "a string")
    want("database_included", isinstance(b.database_included, bool), "a boolean")
    want("homeassistant_included", isinstance(b.homeassistant_included, bool), "a boolean")
    want("protected", isinstance(b.protected, bool), "a boolean")
    want("size", isinstance(b.size, int) and not isinstance(b.size, bool), "an integer")
    want("homeassistant_version", b.homeassistant_version is None or isinstance(b.homeassistant_version, str), "a string or null")
    want(
        "extra_metadata",
        isinstance(b.extra_metadata, dict) and all(isinstance(v, (str, bool)) for v in b.extra_metadata.values()),
        "an object of strings and booleans",
    )
    for addon in b.addons:
        if not all(isinstance(v, str) for v in (addon.name, addon.slug, addon.version)):
            problems.append(f"add-on {dataclasses.asdict(addon)!r} has a value that is not a string")
    try:
        parse_datetime(b.date)
    except (TypeError, ValueError):
        problems.append(f"date {b.date!r} is not an ISO 8601 date (Home Assistant can neither name nor find its archive)")
    return problems


def read_backup(path: str) -> AgentBackup:
    """backup/util.py read_backup(): the record Home Assistant makes for a backup file it stores."""
    with tarfile.open(path, "r:") as backup_file:
        member = backup_file.extractfile("./backup.json")  # KeyError when the tar has none
        if member is None:
            raise KeyError("backup.json not found in tar file")
        data = json.loads(member.read())
    if not isinstance(data, dict):
        raise ValueError("backup.json is not a JSON object")
    addons = [AddonInfo(name=a["name"], slug=a["slug"], version=a["version"]) for a in data.get("addons", [])]
    folders = [Folder(f) for f in data.get("folders", []) if f != "homeassistant"]
    homeassistant_included = False
    homeassistant_version = None
    database_included = False
    homeassistant = data.get("homeassistant")
    if homeassistant and "version" in homeassistant:
        homeassistant_included = True
        homeassistant_version = homeassistant["version"]
        database_included = not homeassistant.get("exclude_database", False)
    extra_metadata = data.get("extra", {})
    date = extra_metadata.get("supervisor.backup_request_date", data["date"])
    return AgentBackup(
        addons=addons,
        backup_id=data["slug"],
        date=date,
        database_included=database_included,
        extra_metadata=extra_metadata,
        folders=folders,
        homeassistant_included=homeassistant_included,
        homeassistant_version=homeassistant_version,
        name=data["name"],
        protected=data.get("protected", False),
        size=os.stat(path).st_size,
    )


# --- Reports ---------------------------------------------------------------------------------


class HelperError(Exception):
    """A problem of the helper or its setup, not of what is stored."""


class Report:
    def __init__(self) -> None:
        self.backups: list[dict] = []
        self.errors: list[dict] = []

    def error(self, file: str | None, effect: str, message: str, backup_id: Any = None) -> None:
        self.errors.append({"file": file, "backup_id": backup_id if isinstance(backup_id, str) else None, "effect": effect, "message": message})

    def record_failed(self, file: str, err: BaseException, fatal: bool) -> None:
        effect = "fails_listing" if fatal else "skipped"
        self.error(file, effect, f"{type(err).__name__}: {err}")

    def as_json(self) -> dict:
        return {
            "backups": self.backups,
            "listing_failed": any(e["effect"] == "fails_listing" for e in self.errors),
            "errors": self.errors,
        }


def listed(report: Report, b: AgentBackup, record: str | None, tar: str | None) -> dict:
    entry = {
        "backup_id": b.backup_id,
        "name": b.name,
        "date": b.date,
        "size": b.size,
        "protected": b.protected,
        "database_included": b.database_included,
        "homeassistant_included": b.homeassistant_included,
        "homeassistant_version": b.homeassistant_version,
        "folders": [str(f) for f in b.folders],
        "addons": [dataclasses.asdict(a) for a in b.addons],
        "extra_metadata": b.extra_metadata,
        "record": record,
        "tar": tar,
        "tar_size": None,
        "tar_backup_id": None,
    }
    for problem in type_problems(b):
        report.error(record, "listed", problem, b.backup_id)
    return entry


def keep_last(report: Report, entries: list[dict]) -> list[dict]:
    """The integrations keep their backups in a dict by id: a later record replaces an earlier one."""
    by_id: dict[Any, dict] = {}
    for entry in entries:
        key = json.dumps(entry["backup_id"], sort_keys=True)
        if key in by_id:
            report.error(entry["record"], "listed", f"another record ({by_id[key]['record']}) has the same backup id; Home Assistant shows only this one", entry["backup_id"])
        by_id[key] = entry
    return list(by_id.values())


def tar_slug(stream: BinaryIO) -> Any:
    """The slug in a backup file's top-level backup.json, reading the tar as a stream."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.isfile() and member.name in ("./backup.json", "backup.json"):
                reader = tar.extractfile(member)
                data = json.loads(reader.read() if reader else b"")
                if not isinstance(data, dict):
                    raise ValueError("backup.json is not a JSON object")
                return data.get("slug")
    raise ValueError("the archive has no top-level backup.json")


def check_tar(report: Report, entry: dict, open_tar: Callable[[], tuple[int, BinaryIO] | None]) -> None:
    """Loads the archive Home Assistant would download for `entry` and reads its backup id."""
    tar = entry["tar"]
    if tar is None:
        return
    try:
        opened = open_tar()
    except Exception as err:  # noqa: BLE001 - reported, the listing goes on
        report.error(tar, "listed", f"cannot open the archive: {type(err).__name__}: {err}", entry["backup_id"])
        return
    if opened is None:
        report.error(tar, "listed", "the archive is missing where Home Assistant looks for it", entry["backup_id"])
        return
    size, stream = opened
    entry["tar_size"] = size
    try:
        entry["tar_backup_id"] = tar_slug(stream)
    except (tarfile.TarError, ValueError, OSError) as err:
        report.error(tar, "listed", f"the archive is not a readable backup: {type(err).__name__}: {err}", entry["backup_id"])
        return
    finally:
        stream.close()
    if entry["tar_backup_id"] != entry["backup_id"]:
        report.error(tar, "listed", f"the archive's backup.json has slug {entry['tar_backup_id']!r}, the record says {entry['backup_id']!r}", entry["backup_id"])


def parse_json_strict(raw: bytes) -> Any:
    """orjson.loads, which Home Assistant's json_loads uses: no NaN/Infinity, 64-bit integers."""

    def constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not JSON", name, 0)

    def integer(text: str) -> int:
        value = int(text)
        if not -(2**63) <= value < 2**64:
            raise json.JSONDecodeError("integer out of range", text, 0)
        return value

    return json.loads(raw.decode("utf-8"), parse_constant=constant, parse_int=integer)


# --- S3 and S3-compatible storage: aws_s3, cloudflare_r2, idrive_e2, backblaze_b2 --------------

MULTIPART_MIN_PART_SIZE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class S3Behaviour:
    prefixed: bool  # keys under "<prefix>/" (prefix stripped of "/"), listed with Prefix="<prefix>/"
    paginate: bool  # every page of the listing, or only the first (1000 keys)
    skip_bad_records: bool  # records AgentBackup.from_dict refuses are skipped (else: the listing fails)
    skip_undecodable: bool  # records that are not UTF-8 are skipped (else: the listing fails)


S3_BEHAVIOUR = {
    # aws_s3/helpers.py async_list_backups_from_s3: paginated, skips what it cannot parse.
    ("aws_s3", "current"): S3Behaviour(prefixed=True, paginate=True, skip_bad_records=True, skip_undecodable=True),
    # aws_s3/backup.py before helpers.py: no prefix, one list_objects_v2 call, from_dict unguarded.
    ("aws_s3", "legacy"): S3Behaviour(prefixed=False, paginate=False, skip_bad_records=False, skip_undecodable=False),
    # cloudflare_r2/backup.py _list_backups: one list_objects_v2 call, from_dict unguarded.
    ("cloudflare_r2", "current"): S3Behaviour(prefixed=True, paginate=False, skip_bad_records=False, skip_undecodable=False),
    # idrive_e2/backup.py _list_backups: no prefix, paginated, from_dict unguarded.
    ("idrive_e2", "current"): S3Behaviour(prefixed=False, paginate=True, skip_bad_records=False, skip_undecodable=False),
}


def s3_client(cfg: dict):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=cfg["endpoint"],
        aws_access_key_id=cfg["access_key_id"],
        aws_secret_access_key=cfg["secret_access_key"],
        region_name=cfg.get("region") or "us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 2}),
    )


def release(kind: str, cfg: dict) -> str:
    value = cfg.get("release", "current")
    if value not in ("current", "legacy") or (value == "legacy" and kind not in ("aws_s3", "backblaze_b2")):
        raise HelperError(f"{kind} has no release {value!r}")
    return value


def s3_behaviour(kind: str, cfg: dict) -> tuple[S3Behaviour, str]:
    behaviour = S3_BEHAVIOUR[(kind, release(kind, cfg))]
    prefix = (cfg.get("prefix") or "").strip("/")
    if prefix and not behaviour.prefixed:
        raise HelperError(f"{kind} ({release(kind, cfg)}) has no prefix setting: it keeps backups at the top of the bucket")
    return behaviour, prefix


def with_prefix(prefix: str, key: str) -> str:
    return f"{prefix}/{key}" if prefix else key


def s3_open(client, bucket: str, key: str) -> tuple[int, BinaryIO] | None:
    from botocore.exceptions import ClientError

    try:
        response = client.get_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return response["ContentLength"], response["Body"]


def s3_list_pages(client, paginate: bool, **kwargs) -> Iterator[dict]:
    while True:
        page = client.list_objects_v2(**kwargs)
        yield page
        if not (paginate and page.get("IsTruncated")):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def s3_records(client, bucket: str, keys: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """Each `*.metadata.json` object among `keys`, with its content."""
    for key in keys:
        if key.endswith(".metadata.json"):
            yield key, client.get_object(Bucket=bucket, Key=key)["Body"].read()


def list_s3(kind: str, cfg: dict) -> Report:
    behaviour, prefix = s3_behaviour(kind, cfg)
    client, bucket, report = s3_client(cfg), cfg["bucket"], Report()
    list_kwargs: dict[str, Any] = {"Bucket": bucket}
    if prefix:
        list_kwargs["Prefix"] = prefix + "/"
    keys: list[str] = []
    for page in s3_list_pages(client, behaviour.paginate, **list_kwargs):
        keys += [obj["Key"] for obj in page.get("Contents", [])]
        if page.get("IsTruncated") and not behaviour.paginate:
            report.error(None, "listed", f"{kind} reads only the first page of the listing: records beyond it are never seen")
    entries = []
    for key, raw in s3_records(client, bucket, keys):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as err:
            report.record_failed(key, err, fatal=False)
            continue
        except UnicodeDecodeError as err:
            report.record_failed(key, err, fatal=not behaviour.skip_undecodable)
            continue
        try:
            backup = AgentBackup.from_dict(data)
        except (KeyError, TypeError, ValueError) as err:
            report.record_failed(key, err, fatal=not behaviour.skip_bad_records)
            continue
        try:
            tar = with_prefix(prefix, suggested_stem(backup.name, backup.date) + ".tar")
        except (TypeError, ValueError):
            tar = None  # type_problems() reports the date
        entries.append(listed(report, backup, key, tar))
    report.backups = keep_last(report, entries)
    for entry in report.backups:
        check_tar(report, entry, lambda e=entry: s3_open(client, bucket, e["tar"]))
    return report


def s3_put_file(client, bucket: str, key: str, path: str, size: int, **extra) -> None:
    """A simple upload below 20 MiB, a multipart upload of 20 MiB parts above, as aws_s3 does."""
    with open(path, "rb") as f:
        if size < MULTIPART_MIN_PART_SIZE_BYTES:
            client.put_object(Bucket=bucket, Key=key, Body=f.read(), **extra)
            return
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
        parts = []
        try:
            while chunk := f.read(MULTIPART_MIN_PART_SIZE_BYTES):
                number = len(parts) + 1
                etag = client.upload_part(Bucket=bucket, Key=key, PartNumber=number, UploadId=upload_id, Body=chunk)["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        except BaseException:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise


def write_s3(kind: str, cfg: dict, path: str) -> list[str]:
    _, prefix = s3_behaviour(kind, cfg)
    backup = read_backup(path)
    client, bucket = s3_client(cfg), cfg["bucket"]
    stem = suggested_stem(backup.name, backup.date)
    tar, metadata = with_prefix(prefix, stem + ".tar"), with_prefix(prefix, stem + ".metadata.json")
    s3_put_file(client, bucket, tar, path, backup.size)
    client.put_object(Bucket=bucket, Key=metadata, Body=json.dumps(backup.as_dict()))
    return [tar, metadata]


# backblaze_b2/backup.py: objects "<prefix>S.tar" and "<prefix>S.metadata.json" where the config
# flow stored the prefix with a trailing "/" (when not empty); the record wraps as_dict().

B2_REQUIRED_METADATA_KEYS = {"metadata_version", "backup_id", "backup_metadata"}


def b2_prefix(cfg: dict) -> str:
    prefix = cfg.get("prefix") or ""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def b2_files(client, bucket: str, prefix: str) -> dict[str, int]:
    """bucket.ls(prefix): the files directly in the prefix and, for each sub-folder, one file in it."""
    files: dict[str, int] = {}
    for page in s3_list_pages(client, True, Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for obj in page.get("Contents", []):
            files[obj["Key"]] = obj["Size"]
        for sub in page.get("CommonPrefixes", []):
            first = client.list_objects_v2(Bucket=bucket, Prefix=sub["Prefix"], MaxKeys=1).get("Contents", [])
            if first:
                files[first[0]["Key"]] = first[0]["Size"]
    return dict(sorted(files.items()))


def b2_find_tar(metadata_file: str, files: dict[str, int], prefix: str) -> str | None:
    base = metadata_file[len(prefix) :].removesuffix(".metadata.json")
    return next((name for name in files if name.startswith(prefix + base) and name.endswith(".tar") and name != metadata_file), None)


def list_b2(cfg: dict) -> Report:
    legacy = release("backblaze_b2", cfg) == "legacy"
    client, bucket, prefix, report = s3_client(cfg), cfg["bucket"], b2_prefix(cfg), Report()
    files = b2_files(client, bucket, prefix)
    entries = []
    for name, raw in s3_records(client, bucket, files):
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                # The current release refuses it as a ValueError and skips it; the first one
                # raised TypeError, which nothing caught.
                if legacy:
                    raise TypeError("JSON content is not a dictionary")
                raise ValueError("JSON content is not a dictionary")
            missing = B2_REQUIRED_METADATA_KEYS - data.keys()
            if missing and not legacy:
                raise ValueError(f"Missing required metadata keys: {sorted(missing)}")
        except ValueError as err:
            report.record_failed(name, err, fatal=False)
            continue
        except TypeError as err:
            report.record_failed(name, err, fatal=True)
            continue
        tar = b2_find_tar(name, files, prefix)
        if tar is None:
            report.error(name, "skipped", "no backup file whose name starts like the record's (Home Assistant skips the record)", data.get("backup_id"))
            continue
        try:
            data["backup_id"]  # logged before the record is read: a KeyError in the first release
            metadata = data["backup_metadata"]
            metadata["size"] = files[tar]
            backup = AgentBackup.from_dict(metadata)
        except Exception as err:  # noqa: BLE001 - nothing in the integration catches these
            report.record_failed(name, err, fatal=True)
            continue
        if data["backup_id"] != backup.backup_id:
            report.error(name, "listed", f"the wrapper says backup id {data['backup_id']!r}, backup_metadata {backup.backup_id!r}", backup.backup_id)
        entries.append(listed(report, backup, name, tar))
    report.backups = keep_last(report, entries)
    for entry in report.backups:
        check_tar(report, entry, lambda e=entry: s3_open(client, bucket, e["tar"]))
    return report


def write_b2(cfg: dict, path: str) -> list[str]:
    backup = read_backup(path)
    client, bucket, prefix = s3_client(cfg), cfg["bucket"], b2_prefix(cfg)
    stem = suggested_stem(backup.name, backup.date)
    tar, metadata = prefix + stem + ".tar", prefix + stem + ".metadata.json"
    body = json.dumps({"metadata_version": "1", "backup_id": backup.backup_id, "backup_metadata": backup.as_dict()}).encode("utf-8")
    s3_put_file(client, bucket, tar, path, backup.size, ContentType="application/x-tar")
    client.put_object(Bucket=bucket, Key=metadata, Body=body, ContentType="application/json", Metadata={"metadata_only": "true"})
    return [tar, metadata]


# --- WebDAV (webdav/backup.py, aiowebdav2 underneath) ------------------------------------------

# HA parses only the first chunk its download yields; a record larger than one chunk is cut.
WEBDAV_FIRST_CHUNK = 65536


class Dav:
    def __init__(self, cfg: dict) -> None:
        url = urllib.parse.urlsplit(cfg["url"])
        self.https = url.scheme == "https"
        self.netloc = url.netloc
        self.base = url.path.rstrip("/")
        token = base64.b64encode(f"{cfg['username']}:{cfg['password']}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        # CONF_BACKUP_PATH, "/" by default; files are f"{path}/{name}".
        self.dir = "/" + "/".join(s for s in (cfg.get("path") or "").split("/") if s)

    def file(self, name: str) -> str:
        return posixpath.join(self.dir, name)

    def target(self, path: str) -> str:
        return self.base + "/" + "/".join(urllib.parse.quote(s, safe="") for s in path.split("/") if s)

    def request(self, method: str, path: str, body: Any = None, headers: dict | None = None, collection: bool = False):
        conn_type = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        conn = conn_type(self.netloc, timeout=60)
        target = self.target(path) + ("/" if collection else "")
        conn.request(method, target, body=body, headers={**self.headers, **(headers or {})})
        return conn, conn.getresponse()

    def call(self, method: str, path: str, ok: tuple[int, ...], **kwargs) -> tuple[int, bytes]:
        conn, response = self.request(method, path, **kwargs)
        try:
            data = response.read()
        finally:
            conn.close()
        if response.status not in ok:
            raise HelperError(f"WebDAV {method} {path}: HTTP {response.status} {response.reason}")
        return response.status, data

    def list_files(self) -> list[str]:
        """client.list_files(path): the paths of the files (not folders) directly in the folder."""
        body = b'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>'
        _, data = self.call("PROPFIND", self.dir, (207,), body=body, headers={"Depth": "1", "Content-Type": "application/xml"}, collection=True)
        files = []
        for response in ET.fromstring(data).iter("{DAV:}response"):
            href = urllib.parse.unquote(urllib.parse.urlsplit(response.findtext("{DAV:}href") or "").path)
            if response.find(".//{DAV:}resourcetype/{DAV:}collection") is not None:
                continue
            relative = href[len(self.base) :] if href.startswith(self.base) else href
            files.append(self.file(posixpath.basename(relative)))
        return sorted(files)

    def open(self, path: str) -> tuple[int, BinaryIO] | None:
        conn, response = self.request("GET", path)
        if response.status == 404:
            conn.close()
            return None
        if response.status != 200:
            conn.close()
            raise HelperError(f"WebDAV GET {path}: HTTP {response.status} {response.reason}")
        return int(response.getheader("Content-Length", "-1")), response

    def ensure_dir(self) -> None:
        """async_ensure_path_exists at setup: makes each folder of the path that is missing."""
        parts = [s for s in self.dir.split("/") if s]
        for i in range(1, len(parts) + 1):
            self.call("MKCOL", "/" + "/".join(parts[:i]), (201, 405), collection=True)


def list_webdav(cfg: dict) -> Report:
    dav, report = Dav(cfg), Report()
    entries = []
    for path in dav.list_files():
        if not path.endswith(".metadata.json"):
            continue
        _, raw = dav.call("GET", path, (200,))
        if len(raw) > WEBDAV_FIRST_CHUNK:
            report.error(path, "fails_listing", f"the record has {len(raw)} bytes: Home Assistant parses only the first chunk of its download (64 KiB assumed)")
        try:
            # json_loads_object: orjson, and the result must be an object (ValueError otherwise).
            data = parse_json_strict(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            backup = AgentBackup.from_dict(data)
        except Exception as err:  # noqa: BLE001 - nothing in the integration catches these
            report.record_failed(path, err, fatal=True)
            continue
        try:
            tar = dav.file(suggested_stem(backup.name, backup.date) + ".tar")
        except (TypeError, ValueError):
            tar = None
        entries.append(listed(report, backup, path, tar))
    report.backups = keep_last(report, entries)
    for entry in report.backups:
        check_tar(report, entry, lambda e=entry: dav.open(e["tar"]))
    return report


def write_webdav(cfg: dict, path: str) -> list[str]:
    backup = read_backup(path)
    dav = Dav(cfg)
    dav.ensure_dir()
    stem = suggested_stem(backup.name, backup.date)
    tar, metadata = dav.file(stem + ".tar"), dav.file(stem + ".metadata.json")
    with open(path, "rb") as f:
        dav.call("PUT", tar, (200, 201, 204), body=f, headers={"Content-Length": str(backup.size)})
    # helpers.json.json_dumps: orjson, compact, UTF-8.
    body = json.dumps(backup.as_dict(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    dav.call("PUT", metadata, (200, 201, 204), body=body, headers={"Content-Length": str(len(body))})
    return [tar, metadata]


# --- SFTP (sftp_storage/client.py, asyncssh underneath) ----------------------------------------


@dataclass(kw_only=True)
class BackupMetadata:
    file_path: str
    metadata: dict
    metadata_file: str


def sftp_connect(cfg: dict):
    import paramiko

    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # as asyncssh with known_hosts=None
    ssh.connect(
        cfg["host"],
        port=int(cfg.get("port", 22)),
        username=cfg["username"],
        password=cfg.get("password"),
        key_filename=cfg.get("private_key_file"),
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )
    return ssh, ssh.open_sftp()


def sftp_location(cfg: dict) -> str:
    location = cfg["path"]
    if not location.startswith("/"):
        raise HelperError(f"sftp_storage needs an absolute backup location, not {location!r}")
    return location


def sftp_open(sftp, path: str) -> tuple[int, BinaryIO] | None:
    try:
        size = sftp.stat(path).st_size
    except FileNotFoundError:
        return None
    f = sftp.open(path, "rb")
    f.prefetch(size)
    return size, f


def list_sftp(cfg: dict) -> Report:
    location, report = sftp_location(cfg), Report()
    ssh, sftp = sftp_connect(cfg)
    try:
        sftp.chdir(location)
        entries = []
        for name in sorted(sftp.listdir()):
            if not name.endswith(".metadata.json"):
                continue
            file = f"{location}/{name}"
            with sftp.open(file, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")  # asyncssh's text mode; nothing catches a decode error
            except UnicodeDecodeError as err:
                report.record_failed(file, err, fatal=True)
                continue
            try:
                metadata = BackupMetadata(**json.loads(text), metadata_file=file)
                backup = AgentBackup.from_dict(metadata.metadata)
            except (json.JSONDecodeError, TypeError) as err:
                report.record_failed(file, err, fatal=False)
                continue
            except Exception as err:  # noqa: BLE001 - KeyError, ValueError: not caught
                report.record_failed(file, err, fatal=True)
                continue
            entry = listed(report, backup, file, metadata.file_path if isinstance(metadata.file_path, str) else None)
            if name != f".{backup.backup_id}.metadata.json":
                report.error(file, "listed", f"Home Assistant finds this backup only through .{backup.backup_id}.metadata.json (download, delete)", backup.backup_id)
            entries.append(entry)
        # A list, not a dict: two records of one id are two entries.
        report.backups = entries
        for entry in report.backups:
            check_tar(report, entry, lambda e=entry: sftp_open(sftp, e["tar"]))
    finally:
        sftp.close()
        ssh.close()
    return report


def sftp_makedirs(sftp, location: str) -> None:
    # The integration needs the folder to exist already (its config flow refuses one that does not).
    current = ""
    for part in [s for s in location.split("/") if s]:
        current += "/" + part
        try:
            sftp.stat(current)
        except FileNotFoundError:
            sftp.mkdir(current)


def write_sftp(cfg: dict, path: str) -> list[str]:
    location = sftp_location(cfg)
    backup = read_backup(path)
    ssh, sftp = sftp_connect(cfg)
    try:
        sftp_makedirs(sftp, location)
        file_path = f"{location}/{suggested_stem(backup.name, backup.date)}.tar"
        sftp.put(path, file_path)
        metadata_file = f"{location}/.{backup.backup_id}.metadata.json"
        with sftp.open(metadata_file, "w") as f:
            f.write(json.dumps({"file_path": file_path, "metadata": backup.as_dict()}))
    finally:
        sftp.close()
        ssh.close()
    return [file_path, metadata_file]


# --- Supervisor network storage (a CIFS/NFS share of backups) ---------------------------------


def list_share(cfg: dict) -> Report:
    """Supervisor reads ./backup.json inside every *.tar directly in the share; what it cannot
    read it leaves out (with a warning), the rest of the share is listed."""
    folder, report = cfg["path"], Report()
    entries = []
    for name in sorted(os.listdir(folder)):
        file = os.path.join(folder, name)
        if not name.endswith(".tar") or not os.path.isfile(file):
            continue
        try:
            with tarfile.open(file, "r:") as tar:
                member = tar.extractfile("./backup.json")
                data = json.loads(member.read() if member else b"")
            if not isinstance(data, dict):
                raise ValueError("backup.json is not a JSON object")
            for key in ("slug", "name", "date"):
                if not isinstance(data.get(key), str):
                    raise ValueError(f"backup.json has no {key}")
            parse_datetime(data["date"])
            backup = read_backup(file)
            # Supervisor reports backup.json's own date.
            backup = dataclasses.replace(backup, date=data["date"])
        except (tarfile.TarError, KeyError, ValueError, TypeError) as err:
            report.record_failed(name, err, fatal=False)
            continue
        entry = listed(report, backup, None, name)
        entry["tar_size"] = backup.size
        entry["tar_backup_id"] = backup.backup_id
        entries.append(entry)
    report.backups = keep_last(report, entries)
    return report


def write_share(cfg: dict, path: str) -> list[str]:
    backup = read_backup(path)
    name = suggested_stem(backup.name, backup.date) + ".tar"
    shutil.copyfile(path, os.path.join(cfg["path"], name))
    return [name]


# --- Command line ------------------------------------------------------------------------------

S3_KINDS = ("aws_s3", "cloudflare_r2", "idrive_e2")
KINDS = (*S3_KINDS, "backblaze_b2", "webdav", "sftp_storage", "share")


def run_list(kind: str, cfg: dict) -> dict:
    if kind in S3_KINDS:
        return list_s3(kind, cfg).as_json()
    return {"backblaze_b2": list_b2, "webdav": list_webdav, "sftp_storage": list_sftp, "share": list_share}[kind](cfg).as_json()


def run_write(kind: str, cfg: dict, path: str) -> dict:
    if kind in S3_KINDS:
        return {"written": write_s3(kind, cfg, path)}
    writer = {"backblaze_b2": write_b2, "webdav": write_webdav, "sftp_storage": write_sftp, "share": write_share}[kind]
    return {"written": writer(cfg, path)}


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("list", "write") or argv[1] not in KINDS or (argv[0] == "write") != (len(argv) == 4):
        print(__doc__, file=sys.stderr)
        return 2
    command, kind, config = argv[0], argv[1], argv[2]
    try:
        with open(config, encoding="utf-8") as f:
            cfg = json.load(f)
        result = run_list(kind, cfg) if command == "list" else run_write(kind, cfg, argv[3])
    except Exception as err:  # noqa: BLE001 - every failure of the helper itself is one JSON error
        print(json.dumps({"error": f"{type(err).__name__}: {err}"}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
