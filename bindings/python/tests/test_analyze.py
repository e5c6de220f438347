"""Transcripts, explanations, timelines and firewall rules through the binding, on the seed's transcripts."""

from __future__ import annotations

import pytest

import ftpkit
from conftest import TRANSCRIPTS


def seed(name: str) -> str:
    return (TRANSCRIPTS / f"seed-{name}.ftp-d.txt").read_text(encoding="utf-8")


def test_decode_transcript_active_seed() -> None:
    items = ftpkit.decode_transcript(seed("active"))
    port = next(i for i in items if i.kind == "command" and i.verb == "PORT")
    assert port.endpoint is not None
    assert (port.endpoint["ip"], port.endpoint["port"], port.endpoint["form"]) == ("192.168.150.80", 14 * 256 + 178, "PORT")
    assert port.endpoint["active"] is True
    assert "PORT" in port.explanation
    codes = [i.code for i in items if i.kind == "reply"]
    assert codes[:3] == [220, 331, 230] and codes[-1] == 221


def test_timeline_passive_seed() -> None:
    tl = ftpkit.timeline(seed("passive"))
    assert len(tl.connections) == 1
    c = tl.connections[0]
    assert c.mode == "passive" and c.command == "LIST" and c.outcome == 226
    assert [s[0] for s in c.steps] == [1, 2, 3, 4]
    assert c.endpoint["port"] == 195 * 256 + 149
    assert "195" in tl.text or str(195 * 256 + 149) in tl.text
    assert str(tl) == tl.text


def test_explain_lists_every_item() -> None:
    text = seed("active")
    out = ftpkit.explain(text)
    assert out.count("line ") == len(ftpkit.decode_transcript(text))


def test_firewall_renderings() -> None:
    nft = ftpkit.render_firewall("passive", "server", "nft", passive=(30000, 30009))
    assert "30000-30009" in nft
    ipt = ftpkit.render_firewall("active", "client", "iptables")
    assert "iptables" in ipt
    assert len(ftpkit.firewall_rules("both", "server")) == 8
    x = ftpkit.explain_firewall("active", "client")
    assert x["inbound_data_at"] == "client" and x["needs_inbound_data"] is True


def test_firewall_errors_name_the_field() -> None:
    with pytest.raises(ftpkit.ParseError) as e:
        ftpkit.firewall_rules("passive", "server", passive="30009-30000")
    assert "passive" in str(e.value)
    with pytest.raises(ValueError):
        ftpkit.firewall_rules("sideways", "server")


def test_parse_error_names_field_and_why() -> None:
    with pytest.raises(ftpkit.ParseError) as e:
        ftpkit.parse_pasv("227 Entering Passive Mode (10,0,0,1,4,256)")
    err = e.value
    assert (err.parser, err.field, err.kind) == ("pasv", "p2", "range")
    assert "p2" in str(err) and "256" in str(err) and "255" in str(err)
    with pytest.raises(ftpkit.ParseError) as e2:
        ftpkit.parse_eprt("|1|10.0.0.01|2121|")
    assert e2.value.field == "address" and "leading zero" in str(e2.value)


def test_formatters_round_trip() -> None:
    assert ftpkit.parse_pasv(ftpkit.format_pasv("10.1.2.3", 65535)) == ("10.1.2.3", 65535)
    assert ftpkit.parse_epsv(ftpkit.format_epsv(2121)) == 2121
    assert ftpkit.parse_reply(ftpkit.format_reply(211, ["Features:", " MDTM", "End"])).text == ["Features:", " MDTM", "End"]
    feats = ftpkit.parse_feat("Extensions supported:\n MDTM\n SIZE\n MLST type*;size*;\n UTF8\nEnd")
    assert feats["MLST"] == "type*;size*;" and "UTF8" in feats
    assert ftpkit.parse_feat(ftpkit.format_feat(feats)) == feats
    with pytest.raises(ftpkit.ParseError):
        ftpkit.format_reply(200, "a\rb")
    with pytest.raises(ftpkit.ParseError):
        ftpkit.format_port("::1", 21)


def test_no_panic_on_hostile_input() -> None:
    # Any bytes give a value or a ParseError (a Rust panic would be PanicException, which escapes Exception).
    import random

    rng = random.Random(7)
    alphabet = b"0123456789,()|.:-+ 227229257\r\n\x00\xff\"abc"
    for _ in range(3000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        for f in (ftpkit.parse_pasv, ftpkit.parse_epsv, ftpkit.parse_reply, ftpkit.parse_command, ftpkit.parse_lpsv):
            try:
                f(data)
            except ftpkit.ParseError:
                pass
        text = data.decode("latin-1")
        for g in (ftpkit.parse_port, ftpkit.parse_eprt, ftpkit.parse_257, ftpkit.parse_mlsd_line, ftpkit.parse_lprt):
            try:
                g(text)
            except ftpkit.ParseError:
                pass
        ftpkit.parse_list_line(text)
        ftpkit.decode_transcript(text)
