"""Sign a ``.difypkg`` the way the Dify plugin daemon's own tooling does, and verify one the way the daemon does.

    python -m briefreel.plugin.sign keygen --out keys/             # keys/briefreel.private.pem, .public.pem
    python -m briefreel.plugin.sign sign dist/briefreel-0.1.0.difypkg --key keys/briefreel.private.pem
    python -m briefreel.plugin.sign verify dist/briefreel-0.1.0.signed.difypkg --public-key keys/briefreel.public.pem

``make plugin SIGN_KEY=keys/briefreel.private.pem`` runs the ``sign`` step after building. The scheme was read
from langgenius/dify-plugin-daemon (commit bdb5642a) and written again here with ``cryptography``:

* keys (``cmd/commandline/signature/generate.go``, ``GenerateKeyPair``): RSA-4096; the private key PEM-encoded as
  PKCS#1 ``RSA PRIVATE KEY``, the public key as PKCS#1 ``RSA PUBLIC KEY``; ``NAME.private.pem`` and
  ``NAME.public.pem``. ``pkg/utils/encryption/rsa.go`` (``LoadPrivateKey``, ``LoadPublicKey``) accepts exactly one
  PEM block of that type with nothing after it.
* signing (``pkg/plugin_packager/signer/withkey/sign_with_key.go``, ``SignPluginWithPrivateKey``): every entry of
  the package, in the zip's own order, is read and copied into a new zip, and the SHA-256 of its *content* is
  appended to a buffer; then ``.verification.dify.json`` (``pkg/plugin_packager/consts/verification.go``) holding
  ``{"authorized_category": ...}`` is added as the last entry and its SHA-256 appended too; then the Unix time in
  decimal ASCII. The buffer is signed with RSA PKCS#1 v1.5 over SHA-256 (``rsa.go``, ``RSASign``), and the zip
  comment becomes ``{"signature":"<base64>","time":<unix seconds>}``. ``cmd/commandline/signature/sign.go`` writes
  the result beside the input as ``NAME.signed.difypkg``.
* verifying (``pkg/plugin_packager/decoder/verifier.go``, ``VerifyPluginWithPublicKeys``): the same buffer is
  rebuilt from the signed zip (every entry in zip order, ``.verification.dify.json`` included, then the comment's
  ``time``) and checked against the comment's signature with each trusted key in turn (``rsa.go``,
  ``VerifySign``): the bundled Marketplace key, plus the files in ``THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS``
  when ``THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED`` is true (``decoder/helper.go``, ``verified``;
  ``decoder/zip.go``, ``decode`` reads the comment and the verification file).

What the scheme covers: the bytes of every entry, their number and order, the time. What it does not: entry names
(a renamed file keeps a valid signature) and zip metadata; the daemon reads the manifest by name afterwards, so a
rename can only break the package, not smuggle content past the signature.

The authorized category defaults to ``community`` (a third-party plugin); ``dify signature sign`` defaults to
``langgenius``, which the daemon refuses for plugins whose author is langgenius but is not signed by the
Marketplace key (``ENFORCE_LANGGENIUS_PLUGIN_SIGNATURES``), so it means nothing for ours.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

VERIFICATION_FILE = ".verification.dify.json"
CATEGORIES = ("langgenius", "partner", "community")  # decoder/entities.go, AuthorizedCategory
DEFAULT_CATEGORY = "community"
KEY_BITS = 4096


class SignatureError(Exception):
    """A key that does not load, a package that cannot be signed, or a signature that does not verify."""


# -- keys (generate.go, rsa.go) ---------------------------------------------------------------------------------

def _single_pem_block(data: bytes, kind: str) -> bytes:
    """The PEM block of type ``kind``; like Go's pem.Decode in LoadPrivateKey/LoadPublicKey, nothing may follow it
    (pem.Decode consumes the end line and its line break, so one trailing newline is fine, two are not)."""
    begin, end = f"-----BEGIN {kind}-----".encode(), f"-----END {kind}-----".encode()
    start = data.find(begin)
    stop = data.find(end, start)
    if start < 0 or stop < 0 or data[:start].strip():
        raise SignatureError(f"not a PEM {kind}")
    rest = data[stop + len(end):]
    for newline in (b"\r\n", b"\n"):
        if rest.startswith(newline):
            rest = rest[len(newline):]
            break
    if rest:
        raise SignatureError(f"extra data after the PEM {kind} block (the daemon refuses such a file)")
    return data[start:stop + len(end)] + b"\n"


def load_private_key(data: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(_single_pem_block(data, "RSA PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("not an RSA private key")
    return key


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_single_pem_block(data, "RSA PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("not an RSA public key")
    return key


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())  # PKCS#1 "RSA PRIVATE KEY", as x509.MarshalPKCS1PrivateKey


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)  # "RSA PUBLIC KEY"


def generate_keypair(out_dir: Path, name: str = "briefreel") -> tuple[Path, Path]:
    """``NAME.private.pem`` (mode 0600; the Go tool writes 0644) and ``NAME.public.pem`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private, public = out_dir / f"{name}.private.pem", out_dir / f"{name}.public.pem"
    for path in (private, public):
        if path.exists():
            raise SignatureError(f"{path} exists; not overwriting a key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem(key))
    public.write_bytes(public_pem(key.public_key()))
    return private, public


# -- the signed buffer (sign_with_key.go, verifier.go) ----------------------------------------------------------

def _entries(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries in zip order (decoder/zip.go, Walk). A folder entry cannot be read by the daemon's ReadFile
    (fs.File of a directory), and a repeated name reads back ambiguously: both are refused."""
    infos = zf.infolist()
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise SignatureError("the package repeats an entry name")
    for info in infos:
        if info.is_dir():
            raise SignatureError(f"the package has a folder entry ({info.filename}); the daemon cannot read it")
    return infos


def _signed_data(hashes_: list[bytes], created: int) -> bytes:
    return b"".join(hashes_) + str(created).encode("ascii")


def sign_package(package: bytes, private_key: rsa.RSAPrivateKey, category: str = DEFAULT_CATEGORY,
                 created: int | None = None) -> bytes:
    """The signed package, as ``SignPluginWithPrivateKey(plugin, &Verification{category}, key)`` returns it."""
    if category not in CATEGORIES:
        raise SignatureError(f"authorized category must be one of {', '.join(CATEGORIES)}")
    created = int(time.time()) if created is None else int(created)
    out = io.BytesIO()
    digests: list[bytes] = []
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        infos = _entries(src)
        if any(i.filename == VERIFICATION_FILE for i in infos):
            raise SignatureError("the package is already signed; sign the unsigned one")
        for info in infos:
            content = src.read(info)
            digests.append(hashlib.sha256(content).digest())
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            copy.external_attr = info.external_attr
            dst.writestr(copy, content)
        # json.Marshal of decoder.Verification: compact, no trailing newline
        verification = json.dumps({"authorized_category": category}, separators=(",", ":")).encode()
        last = zipfile.ZipInfo(VERIFICATION_FILE, date_time=infos[-1].date_time if infos else (1980, 1, 1, 0, 0, 0))
        last.compress_type = zipfile.ZIP_DEFLATED
        last.external_attr = 0o644 << 16
        dst.writestr(last, verification)
        digests.append(hashlib.sha256(verification).digest())
        signature = private_key.sign(_signed_data(digests, created), padding.PKCS1v15(), hashes.SHA256())
        # json.Marshal(map[string]any{...}): keys sorted, compact
        dst.comment = json.dumps({"signature": base64.b64encode(signature).decode("ascii"), "time": created},
                                 separators=(",", ":")).encode()
    return out.getvalue()


def read_signature(package: bytes) -> dict:
    """The zip comment's ``signature`` and ``time`` and the ``.verification.dify.json`` (``None`` when absent), as
    decoder/zip.go ``decode`` reads them."""
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        try:
            comment = json.loads(zf.comment.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SignatureError("the package carries no signature (its zip comment is not the daemon's JSON)") from exc
        if not isinstance(comment, dict):
            raise SignatureError("the package's zip comment is not a JSON object")
        verification = None
        if VERIFICATION_FILE in zf.namelist():
            verification = json.loads(zf.read(VERIFICATION_FILE))
    created = comment.get("time", 0)
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError("the signature time is not an integer")
    signature = comment.get("signature", "")
    if not isinstance(signature, str):
        raise SignatureError("the signature is not a string")
    return {"signature": signature, "time": created, "verification": verification}


def verify_package(package: bytes, public_keys: list[rsa.RSAPublicKey]) -> dict:
    """Raise ``SignatureError`` unless one of ``public_keys`` verifies ``package`` as ``VerifyPluginWithPublicKeys``
    does; return what ``read_signature`` read."""
    info = read_signature(package)
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        digests = [hashlib.sha256(zf.read(i)).digest() for i in _entries(zf)]
    try:
        signature = base64.b64decode(info["signature"], validate=True)
    except ValueError as exc:
        raise SignatureError("the signature is not base64") from exc
    data = _signed_data(digests, info["time"])
    for key in public_keys:
        try:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return info
        except InvalidSignature:
            continue
    raise SignatureError("bad signature: no trusted key verifies this package")


def signed_name(path: Path) -> Path:
    """``x.difypkg`` -> ``x.signed.difypkg`` (cmd/commandline/signature/sign.go)."""
    return path.with_name(f"{path.stem}.signed{path.suffix}")


def sign_file(path: Path, key_path: Path, out: Path | None = None, category: str = DEFAULT_CATEGORY) -> Path:
    key = load_private_key(Path(key_path).read_bytes())
    target = Path(out) if out else signed_name(Path(path))
    data = sign_package(Path(path).read_bytes(), key, category)
    verify_package(data, [key.public_key()])  # never hand out a package our own key does not verify
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m briefreel.plugin.sign",
                                     description="Sign and verify .difypkg files as the Dify plugin daemon does.")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write an RSA-4096 key pair (NAME.private.pem, NAME.public.pem)")
    keygen.add_argument("--out", required=True, help="folder for the two files")
    keygen.add_argument("--name", default="briefreel", help="file name stem (default: briefreel)")
    sign = sub.add_parser("sign", help="write PKG's signed copy (NAME.signed.difypkg beside it)")
    sign.add_argument("package")
    sign.add_argument("--key", required=True, help="the private key (PEM, RSA PRIVATE KEY)")
    sign.add_argument("--out", help="where to write the signed package")
    sign.add_argument("--category", default=DEFAULT_CATEGORY, choices=CATEGORIES,
                      help=f"authorized category in {VERIFICATION_FILE} (default: {DEFAULT_CATEGORY})")
    verify = sub.add_parser("verify", help="check a signed package against one or more public keys")
    verify.add_argument("package")
    verify.add_argument("--public-key", action="append", required=True, help="a public key (PEM, RSA PUBLIC KEY)")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            private, public = generate_keypair(Path(args.out), args.name)
            print(f"private key: {private}  (keep it secret)\npublic key:  {public}  (give it to Dify admins)")
        elif args.command == "sign":
            print(sign_file(Path(args.package), Path(args.key), Path(args.out) if args.out else None, args.category))
        else:
            keys = [load_public_key(Path(p).read_bytes()) for p in args.public_key]
            info = verify_package(Path(args.package).read_bytes(), keys)
            print(f"verified: signed at {info['time']}, verification {info['verification']}")
    except (SignatureError, OSError, ValueError, zipfile.BadZipFile) as exc:
        print(f"plugin.sign: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
