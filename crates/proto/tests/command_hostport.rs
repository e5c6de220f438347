//! The PORT, EPRT and LPRT commands, whose arguments go through `ftpkit_proto::hostport`. These fail with the
//! skeleton's `todo!()` until the host-port parsers land.
mod common;

use ftpkit_proto::command::{Command, CommandDecoder};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

const HOSTPORT_VERBS: &[&str] = &["PORT", "EPRT", "LPRT"];

#[test]
fn hostport_command_vectors() {
    let vectors: Vec<_> = common::of_kind("command")
        .into_iter()
        .filter(|v| HOSTPORT_VERBS.contains(&v.expect["verb"].as_str().unwrap_or("")))
        .collect();
    assert!(vectors.len() >= 4, "only {}", vectors.len());
    for v in &vectors {
        let cmd = Command::parse(&v.input).unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        assert_eq!(cmd.verb(), v.expect["verb"].as_str().expect("verb"), "{}", v.at());
        let encoded = cmd.to_bytes().unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        assert_eq!(Command::parse_bytes(&encoded).as_ref(), Ok(&cmd), "{}: round trip", v.at());
        let mut d = CommandDecoder::default();
        let mut framed = v.input_bytes();
        if !framed.ends_with(b"\n") {
            framed.extend_from_slice(b"\r\n");
        }
        d.feed(&framed);
        assert_eq!(d.decode_owned().as_ref(), Ok(&Some(cmd.clone().into_owned())), "{}: decoder", v.at());
    }
}

#[test]
fn hostport_values() {
    assert_eq!(
        Command::parse("PORT 192,168,150,80,14,178"),
        Ok(Command::Port(SocketAddrV4::new(Ipv4Addr::new(192, 168, 150, 80), 14 * 256 + 178)))
    );
    assert_eq!(
        Command::parse("EPRT |2|::1|5282|"),
        Ok(Command::Eprt(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 5282)))
    );
    assert_eq!(
        Command::parse("LPRT 4,4,127,0,0,1,2,4,1"),
        Ok(Command::Lprt(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1025)))
    );
    assert_eq!(
        Command::Port(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 1025)).to_bytes().expect("encodes"),
        b"PORT 10,0,0,1,4,1\r\n"
    );
    assert_eq!(
        Command::Eprt(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1025)).to_bytes().expect("encodes"),
        b"EPRT |1|127.0.0.1|1025|\r\n"
    );
    // The transcripts' invalid PORT: every server answers 500 or 501; ftpkit says 501.
    let err = Command::parse("PORT 999,0,0,1,1,1").expect_err("octet over 255");
    assert_eq!(err.reply_hint(), 501);
    assert!(Command::parse("PORT").is_err());
}

#[test]
fn invalid_hostport_commands() {
    for line in ["PORT 1,2,3,4,5", "PORT 1,2,3,4,0,0", "EPRT |3|x|1|", "LPRT 4,4,1,2,3,4,2,0"] {
        let err = Command::parse(line).expect_err(line);
        assert_eq!(err.reply_hint(), 501, "{line}: {err}");
    }
}

fn port() -> impl Strategy<Value = u16> {
    1u16..=u16::MAX
}

proptest! {
    #[test]
    fn port_round_trip(ip in any::<[u8; 4]>(), p in port()) {
        let cmd = Command::Port(SocketAddrV4::new(Ipv4Addr::from(ip), p));
        let bytes = cmd.to_bytes().expect("encodes");
        prop_assert_eq!(Command::parse_bytes(&bytes), Ok(cmd));
    }

    #[test]
    fn eprt_round_trip(v4 in any::<[u8; 4]>(), v6 in any::<[u8; 16]>(), six in any::<bool>(), p in port()) {
        let ip = if six { IpAddr::V6(Ipv6Addr::from(v6)) } else { IpAddr::V4(Ipv4Addr::from(v4)) };
        let cmd = Command::Eprt(SocketAddr::new(ip, p));
        let bytes = cmd.to_bytes().expect("encodes");
        prop_assert_eq!(Command::parse_bytes(&bytes), Ok(cmd));
    }

    #[test]
    fn lprt_round_trip(v4 in any::<[u8; 4]>(), v6 in any::<[u8; 16]>(), six in any::<bool>(), p in port()) {
        let ip = if six { IpAddr::V6(Ipv6Addr::from(v6)) } else { IpAddr::V4(Ipv4Addr::from(v4)) };
        let cmd = Command::Lprt(SocketAddr::new(ip, p));
        let bytes = cmd.to_bytes().expect("encodes");
        prop_assert_eq!(Command::parse_bytes(&bytes), Ok(cmd));
    }
}
