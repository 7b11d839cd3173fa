"""An independent reader of Home Assistant backups, written in Python with libsodium (PyNaCl) and
OpenSSL (cryptography) from the format reference, the way Home Assistant's own Python stack reads
them: the outer tar with tarfile, SecureTar v2 (AES-128-CBC) and v3 (Argon2id, keyed BLAKE2b,
XChaCha20-Poly1305 secretstream), then the inner archive with tarfile's streaming gzip reader
(mode "r|gz", which stops after the first gzip member). Lifeboat's tests use it to show that the
backups Lifeboat writes decrypt and extract outside Lifeboat.

usage: python_backup_reader.py BACKUP.tar OUT_DIR [PASSWORD]
Extracts the Home Assistant inner archive's entries into OUT_DIR and prints a JSON summary.
"""

import hashlib
import io
import json
import os
import sys
import tarfile

MAGIC = b"SecureTar"
V3_MESSAGE = 1024 * 1024
V3_OVERHEAD = 17
PERSONAL = b"SecureTarv3" + bytes(5)


def sha256_100(data: bytes) -> bytes:
    for _ in range(100):
        data = hashlib.sha256(data).digest()
    return data


class ChunkReader(io.RawIOBase):
    """A file object over a generator of byte strings."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)
        self.pending = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise ValueError("ciphertext is too short")
    return data


def decrypt_v2(f, header, password):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    size = int.from_bytes(header[16:24], "big")
    salt = read_exact(f, 16)
    key = sha256_100(password.encode())[:16]
    iv = sha256_100(key + salt)[:16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    left = size
    body = (size // 16 + 1) * 16
    while body:
        block = read_exact(f, min(body, 1 << 20))
        body -= len(block)
        plain = decryptor.update(block)
        yield plain[:left]
        left -= min(left, len(plain))


def decrypt_v3(f, header, password, root_cache):
    import nacl.bindings as sodium
    import nacl.pwhash

    size = int.from_bytes(header[16:24], "big")
    rest = read_exact(f, 104)
    root_salt, validation_salt, validation_key = rest[0:16], rest[16:32], rest[32:64]
    derivation_salt, stream_header = rest[64:80], rest[80:104]
    if root_salt not in root_cache:
        root_cache[root_salt] = nacl.pwhash.argon2id.kdf(
            32, password.encode(), root_salt, opslimit=8, memlimit=16 * 1024 * 1024
        )
    root = root_cache[root_salt]
    check = hashlib.blake2b(b"", digest_size=32, key=root, salt=validation_salt, person=PERSONAL).digest()
    if check != validation_key:
        raise ValueError("invalid password")
    file_key = hashlib.blake2b(b"", digest_size=32, key=root, salt=derivation_salt, person=PERSONAL).digest()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, stream_header, file_key)
    count = max(1, -(-size // V3_MESSAGE))
    for i in range(count):
        plain_len = V3_MESSAGE if i < count - 1 else size - V3_MESSAGE * (count - 1)
        message = read_exact(f, plain_len + V3_OVERHEAD)
        plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, message, None)
        final = tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
        if final != (i == count - 1):
            raise ValueError("unexpected final tag" if final else "missing final tag")
        yield plain


def inner_plaintext(f, password, root_cache):
    head = f.read(32)
    if not head.startswith(MAGIC):
        yield head
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return
            yield chunk
    if password is None:
        raise ValueError("the backup is encrypted and no password was given")
    version = head[9]
    if version == 2:
        yield from decrypt_v2(f, head, password)
    elif version == 3:
        yield from decrypt_v3(f, head, password, root_cache)
    else:
        raise ValueError(f"unsupported SecureTar version {version}")


def main():
    backup, out_dir = sys.argv[1], sys.argv[2]
    password = sys.argv[3] if len(sys.argv) > 3 else None
    with tarfile.open(backup, "r:") as outer:
        meta = json.load(outer.extractfile("./backup.json"))
        member = outer.getmember("homeassistant.tar.gz")
        raw = outer.extractfile(member)
        plain = ChunkReader(inner_plaintext(raw, password if meta.get("protected") else None, {}))
        entries = 0
        with tarfile.open(fileobj=io.BufferedReader(plain, 1 << 20), mode="r|gz") as inner:
            for entry in inner:
                entries += 1
                name = os.path.normpath(entry.name)
                if name.startswith("..") or os.path.isabs(name):
                    raise ValueError(f"entry leaves the output folder: {entry.name}")
                inner.extract(entry, out_dir, set_attrs=True, numeric_owner=True)
    print(json.dumps({"slug": meta["slug"], "protected": meta.get("protected", False), "entries": entries}))


if __name__ == "__main__":
    main()
