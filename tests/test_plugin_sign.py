"""Signing the .difypkg as the Dify plugin daemon's tooling does (briefreel.plugin.sign), checked two ways: against a
package the daemon's own Go signer produced (tests/fixtures/dify, signed by the Marketplace key), and by an
independent re-implementation of the daemon's verifier written here from its source:

  langgenius/dify-plugin-daemon @ bdb5642a
  pkg/plugin_packager/decoder/verifier.go   VerifyPluginWithPublicKeys: sha256 of every entry's content, in zip
                                            order, concatenated, then strconv.FormatInt(time) from the zip comment
  pkg/utils/encryption/rsa.go               VerifySign: rsa.VerifyPKCS1v15(key, crypto.SHA256, sha256(data), sig)
  pkg/plugin_packager/decoder/zip.go        decode: the zip comment is JSON {"signature": base64, "time": int};
                                            .verification.dify.json is an ordinary entry (so it is signed too)
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from briefreel.plugin.package import build
from briefreel.plugin.sign import (
    VERIFICATION_FILE, SignatureError, generate_keypair, load_private_key, load_public_key, sign_package,
    verify_package,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "dify"
GO_SIGNED = FIXTURES / "langgenius-agent_0.0.14.difypkg"
MARKETPLACE_KEY = FIXTURES / "marketplace.public.pem"


def daemon_verifies(package: bytes, public_pem: bytes) -> bool:
    """The daemon's check, written out from verifier.go / rsa.go / zip.go without briefreel.plugin.sign."""
    zf = zipfile.ZipFile(io.BytesIO(package))
    data = b"".join(hashlib.sha256(zf.read(info.filename)).digest() for info in zf.infolist())  # decoder.Walk order
    try:
        comment = json.loads(zf.comment)
    except ValueError:
        return False  # decode() fails: no signature
    data += str(comment.get("time", 0)).encode()
    key = serialization.load_pem_public_key(public_pem)
    try:
        key.verify(base64.b64decode(comment.get("signature", "")), data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    private, public = generate_keypair(folder, "test")
    other_private, other_public = generate_keypair(folder, "other")
    return {"private": private, "public": public, "other_public": other_public}


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory) -> bytes:
    return build(tmp_path_factory.mktemp("dist")).read_bytes()


@pytest.fixture(scope="module")
def signed(unsigned, keys) -> bytes:
    return sign_package(unsigned, load_private_key(keys["private"].read_bytes()), created=1764100000)


def rezip(package: bytes, change) -> bytes:
    """A copy of ``package`` with ``change(entries)`` applied to its [name, bytes] list; comment kept."""
    src = zipfile.ZipFile(io.BytesIO(package))
    entries = [[i.filename, src.read(i)] for i in src.infolist()]
    change(entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            dst.writestr(name, data)
        dst.comment = src.comment
    return out.getvalue()


def test_the_python_verifier_accepts_what_the_daemons_go_signer_signed():
    package, key = GO_SIGNED.read_bytes(), MARKETPLACE_KEY.read_bytes()
    assert daemon_verifies(package, key)
    info = verify_package(package, [load_public_key(key)])
    assert info["verification"] is None and info["time"] == 1744632035  # signed before verification files existed
    changed = rezip(package, lambda e: e[0].__setitem__(1, e[0][1] + b" "))
    assert not daemon_verifies(changed, key)
    with pytest.raises(SignatureError, match="bad signature"):
        verify_package(changed, [load_public_key(key)])


def test_keygen_writes_pkcs1_pems_the_daemon_loads(tmp_path):
    out = subprocess.run([sys.executable, "-m", "briefreel.plugin.sign", "keygen", "--out", str(tmp_path / "k")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    private, public = tmp_path / "k" / "briefreel.private.pem", tmp_path / "k" / "briefreel.public.pem"
    assert private.read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")  # LoadPrivateKey's block type
    assert public.read_bytes().startswith(b"-----BEGIN RSA PUBLIC KEY-----\n")  # LoadPublicKey's block type
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    key = load_private_key(private.read_bytes())
    assert key.key_size == 4096  # generate.go: rsa.GenerateKey(rand.Reader, 4096)
    assert load_public_key(public.read_bytes()).public_numbers() == key.public_key().public_numbers()
    again = subprocess.run([sys.executable, "-m", "briefreel.plugin.sign", "keygen", "--out", str(tmp_path / "k")],
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert again.returncode == 1 and "not overwriting" in again.stderr
    assert load_private_key(private.read_bytes()).private_numbers() == key.private_numbers()
    with pytest.raises(SignatureError, match="extra data"):  # pem.Decode's rest must be empty
        load_public_key(public.read_bytes() + b"\n")


def test_signed_package_layout_and_signature(unsigned, signed, keys):
    before, after = zipfile.ZipFile(io.BytesIO(unsigned)), zipfile.ZipFile(io.BytesIO(signed))
    names = after.namelist()
    assert names[:-1] == before.namelist() and names[-1] == VERIFICATION_FILE
    for name in names[:-1]:
        assert after.read(name) == before.read(name)
    assert after.read(VERIFICATION_FILE) == b'{"authorized_category":"community"}'
    comment = json.loads(after.comment)
    assert set(comment) == {"signature", "time"} and comment["time"] == 1764100000
    assert len(base64.b64decode(comment["signature"])) == 512  # RSA-4096
    assert after.comment.startswith(b'{"signature":"')  # Go's json.Marshal of a map: sorted keys, compact
    assert daemon_verifies(signed, keys["public"].read_bytes())
    assert verify_package(signed, [load_public_key(keys["public"].read_bytes())])["verification"] == {
        "authorized_category": "community"}
    # the daemon tries the Marketplace key first, then the third-party keys: ours verifies among them
    trusted = [load_public_key(MARKETPLACE_KEY.read_bytes()), load_public_key(keys["public"].read_bytes())]
    verify_package(signed, trusted)
    for wrong in ([load_public_key(MARKETPLACE_KEY.read_bytes())], [load_public_key(keys["other_public"].read_bytes())]):
        with pytest.raises(SignatureError):
            verify_package(signed, wrong)
    assert not daemon_verifies(signed, keys["other_public"].read_bytes())
    assert not daemon_verifies(unsigned, keys["public"].read_bytes())
    with pytest.raises(SignatureError, match="no signature"):
        verify_package(unsigned, [load_public_key(keys["public"].read_bytes())])


def _flip_byte(entries):
    for entry in entries:
        if entry[0] == "plugin/main.py":
            data = bytearray(entry[1])
            data[len(data) // 2] ^= 0x01
            entry[1] = bytes(data)
            return
    raise AssertionError("briefreel/plugin/main.py not in the package")


def _add_file(entries):
    entries.insert(len(entries) - 1, ["plugin/evil.py", b"import os\n"])


@pytest.mark.parametrize("tamper", ["one byte of a file", "a file added", "a file removed", "two files swapped",
                                    "verification file edited", "signature altered", "time altered"])
def test_a_tampered_package_fails(signed, keys, tamper):
    public = keys["public"].read_bytes()
    if tamper == "one byte of a file":
        bad = rezip(signed, _flip_byte)
    elif tamper == "a file added":
        bad = rezip(signed, _add_file)
    elif tamper == "a file removed":
        bad = rezip(signed, lambda e: e.pop(0))
    elif tamper == "two files swapped":
        bad = rezip(signed, lambda e: e.__setitem__(slice(0, 2), [e[1], e[0]]))
    elif tamper == "verification file edited":
        bad = rezip(signed, lambda e: e.__setitem__(-1, [VERIFICATION_FILE, b'{"authorized_category":"langgenius"}']))
    else:
        comment = json.loads(zipfile.ZipFile(io.BytesIO(signed)).comment)
        if tamper == "signature altered":
            sig = bytearray(base64.b64decode(comment["signature"]))
            sig[-1] ^= 0x01
            comment["signature"] = base64.b64encode(bytes(sig)).decode()
        else:
            comment["time"] += 1
        bad = rezip(signed, lambda e: None)
        with zipfile.ZipFile(io.BytesIO(bad)) as zf:
            assert zf.comment == zipfile.ZipFile(io.BytesIO(signed)).comment
        out = io.BytesIO(bad)
        with zipfile.ZipFile(out, "a") as zf:
            zf.comment = json.dumps(comment, separators=(",", ":")).encode()
        bad = out.getvalue()
    assert not daemon_verifies(bad, public)
    with pytest.raises(SignatureError, match="bad signature"):
        verify_package(bad, [load_public_key(public)])
    # the untouched package still verifies after the same re-zip, so the failure is the tampering's
    assert daemon_verifies(rezip(signed, lambda e: None), public)


def test_names_are_not_signed_exactly_as_in_the_daemon(signed, keys):
    """The daemon hashes contents, not names: a renamed entry keeps a valid signature (the manifest is then looked
    up by name and the package breaks rather than passing altered content)."""
    renamed = rezip(signed, lambda e: e[0].__setitem__(0, e[0][0] + ".renamed"))
    assert daemon_verifies(renamed, keys["public"].read_bytes())
    verify_package(renamed, [load_public_key(keys["public"].read_bytes())])


def test_signing_refuses_what_the_daemon_could_not_read(keys):
    key = load_private_key(keys["private"].read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.yaml", b"x")
        zf.writestr("folder/", b"")
    with pytest.raises(SignatureError, match="folder entry"):
        sign_package(out.getvalue(), key)
    once = sign_package(rezip(out.getvalue(), lambda e: e.pop()), key)
    with pytest.raises(SignatureError, match="already signed"):
        sign_package(once, key)
    with pytest.raises(SignatureError, match="category"):
        sign_package(rezip(out.getvalue(), lambda e: e.pop()), key, category="official")


def test_make_plugin_with_a_key_writes_the_signed_package(tmp_path, keys):
    unsigned = build(tmp_path / "dist", sign_key=keys["private"])
    signed_path = tmp_path / "dist" / unsigned.name.replace(".difypkg", ".signed.difypkg")
    assert unsigned.is_file() and signed_path.is_file()
    assert daemon_verifies(signed_path.read_bytes(), keys["public"].read_bytes())
    assert not daemon_verifies(unsigned.read_bytes(), keys["public"].read_bytes())
    out = subprocess.run([sys.executable, "-m", "briefreel.plugin.sign", "verify", str(signed_path),
                          "--public-key", str(keys["public"])], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "verified" in out.stdout, out.stderr
    bad = subprocess.run([sys.executable, "-m", "briefreel.plugin.sign", "verify", str(signed_path),
                          "--public-key", str(keys["other_public"])], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "bad signature" in bad.stderr
