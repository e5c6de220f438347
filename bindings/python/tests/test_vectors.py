"""Every shared and project vector through the matching parse function."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest

import ftpkit
from conftest import ids, invalid, vectors, wire

REFERENCE = dt.date(2026, 11, 24)  # the transcripts' capture day, as the Rust listing tests use


def limits(v: dict[str, Any]) -> dict[str, Any]:
    return dict(v.get("limits", {}))


@pytest.mark.parametrize("v", vectors("reply"), ids=ids(vectors("reply")))
def test_reply(v: dict[str, Any]) -> None:
    enc = "latin-1" if v.get("encoding") == "latin-1" else "utf-8"
    r = ftpkit.parse_reply(wire(v, v["input"]), strict=v.get("framing") != "tolerant", encoding=enc, **limits(v))
    assert r.code == v["expect"]["code"]
    assert r.lines == v["expect"]["lines"]
    assert r.text == v["expect"]["text"]


@pytest.mark.parametrize("v", invalid("reply"), ids=ids(invalid("reply")))
def test_reply_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError) as e:
        ftpkit.parse_reply(wire(v, v["input"]), strict=v.get("framing") != "tolerant", **limits(v))
    if "error_kind" in v["expect"]:
        assert e.value.kind == v["expect"]["error_kind"]
    assert isinstance(e.value, ValueError) and isinstance(e.value, ftpkit.Error)


@pytest.mark.parametrize("v", vectors("command"), ids=ids(vectors("command")))
def test_command(v: dict[str, Any]) -> None:
    c = ftpkit.parse_command(wire(v, v["input"]))
    assert c.verb == v["expect"]["verb"]
    if v.get("encoding") != "latin-1":
        assert c.arg == v["expect"]["arg"]
        # The formatter writes back a line the parser reads the same.
        again = ftpkit.parse_command(ftpkit.format_command(c.verb, c.arg))
        assert again == c


@pytest.mark.parametrize("v", invalid("command"), ids=ids(invalid("command")))
def test_command_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError) as e:
        ftpkit.parse_command(wire(v, v["input"]))
    if "error_kind" in v["expect"]:
        assert e.value.kind == v["expect"]["error_kind"]


@pytest.mark.parametrize("v", invalid("command_format"), ids=ids(invalid("command_format")))
def test_command_format_invalid(v: dict[str, Any]) -> None:
    text = v["input"]
    verb, _, arg = text.partition(" ")
    with pytest.raises(ftpkit.ParseError):
        ftpkit.format_command(verb, arg or None)


def same_ip(a: str, b: str) -> bool:
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


@pytest.mark.parametrize("v", vectors("pasv"), ids=ids(vectors("pasv")))
def test_pasv(v: dict[str, Any]) -> None:
    hp = ftpkit.parse_pasv(v["input"], strict=v.get("mode") == "strict")
    assert hp == (v["expect"]["ip"], v["expect"]["port"])
    if "tuple" in v["expect"]:
        assert v["input"].encode()[hp.span[0] : hp.span[1]].decode() == v["expect"]["tuple"]


@pytest.mark.parametrize("v", invalid("pasv"), ids=ids(invalid("pasv")))
def test_pasv_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError) as e:
        ftpkit.parse_pasv(v["input"], strict=v.get("mode") == "strict")
    assert e.value.parser == "pasv" and str(e.value)


@pytest.mark.parametrize("v", vectors("epsv"), ids=ids(vectors("epsv")))
def test_epsv(v: dict[str, Any]) -> None:
    p = ftpkit.parse_epsv(v["input"])
    assert p == v["expect"]["port"]
    if "delimiter" in v["expect"]:
        assert p.delimiter == v["expect"]["delimiter"]


@pytest.mark.parametrize("v", invalid("epsv"), ids=ids(invalid("epsv")))
def test_epsv_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_epsv(v["input"])


@pytest.mark.parametrize("v", vectors("port_arg"), ids=ids(vectors("port_arg")))
def test_port(v: dict[str, Any]) -> None:
    hp = ftpkit.parse_port(v["input"])
    assert hp == (v["expect"]["ip"], v["expect"]["port"])
    assert ftpkit.parse_port(ftpkit.format_port(hp.ip, hp.port)) == hp


@pytest.mark.parametrize("v", invalid("port_arg"), ids=ids(invalid("port_arg")))
def test_port_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_port(v["input"], strict=v.get("mode") == "strict")


@pytest.mark.parametrize("v", vectors("eprt_arg"), ids=ids(vectors("eprt_arg")))
def test_eprt(v: dict[str, Any]) -> None:
    hp = ftpkit.parse_eprt(v["input"])
    assert same_ip(hp.ip, v["expect"]["ip"]) and hp.port == v["expect"]["port"]
    assert hp.af == v["expect"]["af"]
    if "delimiter" in v["expect"]:
        assert hp.delimiter == v["expect"]["delimiter"]
    again = ftpkit.parse_eprt(ftpkit.format_eprt(hp.ip, hp.port))
    assert same_ip(again.ip, hp.ip) and again.port == hp.port


@pytest.mark.parametrize("v", invalid("eprt_arg"), ids=ids(invalid("eprt_arg")))
def test_eprt_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_eprt(v["input"])


@pytest.mark.parametrize("v", vectors("lprt_arg"), ids=ids(vectors("lprt_arg")))
def test_lprt(v: dict[str, Any]) -> None:
    hp = ftpkit.parse_lprt(v["input"])
    assert same_ip(hp.ip, v["expect"]["ip"]) and hp.port == v["expect"]["port"] and hp.af == v["expect"]["af"]


@pytest.mark.parametrize("v", invalid("lprt_arg"), ids=ids(invalid("lprt_arg")))
def test_lprt_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_lprt(v["input"])


@pytest.mark.parametrize("v", vectors("lpsv"), ids=ids(vectors("lpsv")))
def test_lpsv(v: dict[str, Any]) -> None:
    hp = ftpkit.parse_lpsv(v["input"])
    assert same_ip(hp.ip, v["expect"]["ip"]) and hp.port == v["expect"]["port"] and hp.af == v["expect"]["af"]


@pytest.mark.parametrize("v", invalid("lpsv"), ids=ids(invalid("lpsv")))
def test_lpsv_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_lpsv(v["input"])


@pytest.mark.parametrize("v", vectors("pwd"), ids=ids(vectors("pwd")))
def test_257(v: dict[str, Any]) -> None:
    path = ftpkit.parse_257(v["input"])
    assert path == v["expect"]["path"]
    assert ftpkit.parse_257(ftpkit.format_257(path, "is the directory")) == path


@pytest.mark.parametrize("v", invalid("pwd"), ids=ids(invalid("pwd")))
def test_257_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_257(v["input"])


@pytest.mark.parametrize("v", vectors("mlsd_line"), ids=ids(vectors("mlsd_line")))
def test_mlsd_line(v: dict[str, Any]) -> None:
    e = ftpkit.parse_mlsd_line(v["input"])
    assert e.name == v["expect"]["name"]
    assert e.facts == v["expect"]["facts"]
    if "size" in v["expect"]:
        assert e.size == v["expect"]["size"]
    if "entry_kind" in v["expect"]:
        assert e.kind == v["expect"]["entry_kind"]
    if "modified" in v["expect"]:
        assert e.modified is not None
        # Python's datetime holds microseconds: nanoseconds are cut there.
        assert e.modified.replace(tzinfo=None).isoformat() == v["expect"]["modified"][:26]
    again = ftpkit.parse_mlsd_line(ftpkit.format_mlsd_line(e.facts, e.name))
    assert again.name == e.name and again.facts == e.facts


@pytest.mark.parametrize("v", invalid("mlsd_line"), ids=ids(invalid("mlsd_line")))
def test_mlsd_line_invalid(v: dict[str, Any]) -> None:
    with pytest.raises(ftpkit.ParseError):
        ftpkit.parse_mlsd_line(v["input"])


@pytest.mark.parametrize("v", vectors("list_line"), ids=ids(vectors("list_line")))
def test_list_line(v: dict[str, Any]) -> None:
    e = ftpkit.parse_list_line(v["input"], REFERENCE)
    assert e is not None
    x = v["expect"]
    assert (e.name, e.size, e.is_dir, e.format) == (x["name"], x["size"], x["is_dir"], x["format"])
    if "link_target" in x:
        assert e.link_target == x["link_target"]
    if "modified" in x:
        assert e.modified is not None and e.modified.replace(tzinfo=None).isoformat() == x["modified"]
    if e.format == "unix" and " " in (e.owner or "") + (e.group or ""):
        # A blank in the owner or group would read back as another column: the formatter refuses it.
        with pytest.raises(ftpkit.ParseError):
            ftpkit.format_list_line(e, REFERENCE)
    elif e.format == "unix" and e.kind in ("file", "dir"):
        line = ftpkit.format_list_line(e, REFERENCE)
        back = ftpkit.parse_list_line(line, REFERENCE)
        assert back is not None and (back.name, back.size, back.kind) == (e.name, e.size, e.kind)


@pytest.mark.parametrize("v", invalid("list_line"), ids=ids(invalid("list_line")))
def test_list_line_invalid(v: dict[str, Any]) -> None:
    # "Refused" for a LIST line is "no entry" (an unparsed line), never an error and never an entry.
    assert ftpkit.parse_list_line(v["input"], REFERENCE) is None


@pytest.mark.parametrize("v", vectors("firewall"), ids=ids(vectors("firewall")))
def test_firewall(v: dict[str, Any]) -> None:
    words = v["input"].split()
    mode, side = words[0], words[1]
    opts = dict(w.split("=", 1) for w in words[2:])
    assert ftpkit.firewall_rules(mode, side, **opts) == v["expect"]


@pytest.mark.parametrize("v", invalid("firewall_ports"), ids=ids(invalid("firewall_ports")))
def test_firewall_invalid(v: dict[str, Any]) -> None:
    key, _, value = v["input"].partition("=")
    with pytest.raises(ftpkit.ParseError):
        ftpkit.firewall_rules("passive", "server", **{key: value})


def test_vector_counts() -> None:
    # The loader found the files (a renamed folder must not turn this suite into nothing).
    assert len(vectors("pasv")) >= 20 and len(vectors("reply")) >= 30 and len(vectors("command")) >= 80
