//! The PROXY protocol on the server's sockets: reads the header the core's [`ProxyPolicy`] asks for, exactly (the
//! bytes after it stay in the socket for the session or the transfer), within the policy's timeout.
//!
//! Every decision is the core's ([`crate::proto::proxy`]): who must send a header, what a header says, when it is
//! malformed or too long. This file only peeks and reads.

use crate::proto::proxy::{parse_header, Admission, HeaderStatus, ProxyError, ProxyHeader, ProxyPolicy, MAX_HEADER};
use std::io;
use std::net::SocketAddr;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Why a connection got no session (or a data connection was dropped).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// The core refused it or its header.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// No complete header within the policy's timeout.
    #[error("no complete PROXY header within {0:?}")]
    Timeout(std::time::Duration),
    /// The connection failed or closed before its header ended.
    #[error("connection lost before the PROXY header ended: {0}")]
    Io(#[from] io::Error),
}

/// The client of a connection from `from` under `policy`: the header's source address when the core asks for a
/// header (`control`: a control connection, refused unless from a trusted proxy; else a passive data connection),
/// the connection's own address when it does not. On success the stream is positioned just after the header.
pub(crate) async fn client_of(
    policy: &ProxyPolicy,
    stream: &mut TcpStream,
    from: SocketAddr,
    control: bool,
) -> Result<(SocketAddr, Option<ProxyHeader>), Refused> {
    let admission = if control { policy.admit_control(from.ip()) } else { policy.admit_data(from.ip()) };
    match admission {
        Admission::Direct => Ok((from, None)),
        Admission::Refuse(e) => Err(e.into()),
        Admission::ReadHeader => match tokio::time::timeout(policy.header_timeout, read_header(stream)).await {
            Ok(Ok(h)) => Ok((ProxyPolicy::client_of(&h, from), Some(h))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Refused::Timeout(policy.header_timeout)),
        },
    }
}

/// Reads one header: peeks at what has arrived, and consumes only bytes the core says belong to the header.
async fn read_header(stream: &mut TcpStream) -> Result<ProxyHeader, Refused> {
    let mut buf = [0u8; MAX_HEADER];
    let mut have = 0;
    loop {
        let n = stream.peek(&mut buf[have..]).await?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        match parse_header(&buf[..have + n])? {
            HeaderStatus::Complete(h) => {
                stream.read_exact(&mut buf[have..h.len]).await?;
                return Ok(h);
            }
            HeaderStatus::Incomplete => {
                // All of it is header: take it out of the socket, so the next peek waits for new bytes.
                stream.read_exact(&mut buf[have..have + n]).await?;
                have += n;
                if have == buf.len() {
                    return Err(ProxyError::TooLong.into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::proxy::{encode_v1, encode_v2, Cidr, Proxied};
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A connected pair on loopback: (the proxy's side, the server's side, the address the server saw).
    async fn pair(from: &str) -> (TcpStream, TcpStream, SocketAddr) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
        let c = sock.connect(addr).await.unwrap();
        let (s, seen) = l.accept().await.unwrap();
        (c, s, seen)
    }

    fn policy(ms: u64) -> ProxyPolicy {
        ProxyPolicy { trusted: vec![Cidr::host([127, 0, 0, 9].into())], header_timeout: Duration::from_millis(ms) }
    }

    #[tokio::test]
    async fn a_header_in_pieces_is_read_exactly_and_the_data_after_it_stays() {
        let (mut proxy, mut server, seen) = pair("127.0.0.9").await;
        let client: SocketAddr = "[2001:db8::7]:40000".parse().unwrap();
        let header = encode_v2(client, "[2001:db8::1]:21".parse().unwrap()).unwrap();
        let writer = tokio::spawn(async move {
            for piece in header.chunks(5) {
                proxy.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            proxy.write_all(b"upload bytes").await.unwrap();
            proxy
        });
        let (real, h) = client_of(&policy(2000), &mut server, seen, true).await.unwrap();
        assert_eq!(real, client);
        assert!(matches!(h, Some(ProxyHeader { version: 2, proxied: Proxied::Tcp { .. }, .. })));
        let _proxy = writer.await.unwrap();
        let mut rest = [0u8; 12];
        server.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"upload bytes");
    }

    #[tokio::test]
    async fn v1_from_the_proxy_names_the_client() {
        let (mut proxy, mut server, seen) = pair("127.0.0.9").await;
        let client: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        proxy.write_all(encode_v1(client, "192.0.2.1:21".parse().unwrap()).unwrap().as_bytes()).await.unwrap();
        assert_eq!(client_of(&policy(2000), &mut server, seen, true).await.unwrap().0, client);
    }

    #[tokio::test]
    async fn missing_garbage_slow_and_untrusted_are_refused() {
        // Garbage: an FTP client that talks first through a proxy not sending headers.
        let (mut proxy, mut server, seen) = pair("127.0.0.9").await;
        proxy.write_all(b"USER anonymous\r\n").await.unwrap();
        let e = client_of(&policy(2000), &mut server, seen, true).await.unwrap_err();
        assert!(matches!(e, Refused::Proxy(ProxyError::NoHeader)), "{e}");
        // Missing: the proxy says nothing (FTP clients wait for the 220): refused at the timeout, not later.
        let (_proxy, mut server, seen) = pair("127.0.0.9").await;
        let t0 = std::time::Instant::now();
        let e = client_of(&policy(300), &mut server, seen, true).await.unwrap_err();
        assert!(matches!(e, Refused::Timeout(_)), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(2));
        // Slow: half a header, then nothing.
        let (mut proxy, mut server, seen) = pair("127.0.0.9").await;
        proxy.write_all(b"PROXY TCP4 192.0.2.7").await.unwrap();
        let e = client_of(&policy(300), &mut server, seen, true).await.unwrap_err();
        assert!(matches!(e, Refused::Timeout(_)), "{e}");
        // Closed mid-header.
        let (mut proxy, mut server, seen) = pair("127.0.0.9").await;
        proxy.write_all(b"PROXY TCP4 192.0.2.7").await.unwrap();
        drop(proxy);
        assert!(matches!(client_of(&policy(2000), &mut server, seen, true).await, Err(Refused::Io(_))));
        // Untrusted: a valid header from anyone else is not read at all.
        let (mut proxy, mut server, seen) = pair("127.0.0.1").await;
        proxy.write_all(&encode_v2("192.0.2.7:1".parse().unwrap(), seen).unwrap()).await.unwrap();
        let e = client_of(&policy(2000), &mut server, seen, true).await.unwrap_err();
        assert!(matches!(e, Refused::Proxy(ProxyError::Untrusted(_))), "{e}");
    }

    #[tokio::test]
    async fn a_data_connection_from_elsewhere_is_taken_as_it_is() {
        let (mut c, mut server, seen) = pair("127.0.0.1").await;
        c.write_all(b"PROXY TCP4 192.0.2.7 192.0.2.1 1 2\r\n").await.unwrap();
        // Not from a proxy: no header is read (the session's source check decides on 127.0.0.1).
        assert_eq!(client_of(&policy(2000), &mut server, seen, false).await.unwrap(), (seen, None));
        let mut first = [0u8; 5];
        server.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"PROXY");
    }

    /// A whole server with the PROXY protocol on: a health check's LOCAL header gets the greeting; through the
    /// "proxy" (127.0.0.9) a session for client 127.0.0.1; a passive data connection from the proxy without a
    /// header is dropped, one with a header naming the client carries the listing.
    #[tokio::test]
    async fn a_server_behind_a_proxy_checks_data_connections_by_their_headers() {
        use crate::server::{Access, Server};
        use tokio::io::{AsyncBufReadExt, BufReader};
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("a.txt"), b"x").unwrap();
        let server = Server::builder(root.path())
            .bind("127.0.0.1:0".parse().unwrap())
            .user("u", "p", Access::ReadOnly)
            .proxy_protocol(policy(2000))
            .build()
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.run());
        async fn from_proxy(to: SocketAddr) -> TcpStream {
            let sock = tokio::net::TcpSocket::new_v4().unwrap();
            sock.bind("127.0.0.9:0".parse().unwrap()).unwrap();
            sock.connect(to).await.unwrap()
        }
        async fn line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
            let mut l = String::new();
            tokio::time::timeout(Duration::from_secs(5), r.read_line(&mut l)).await.unwrap().unwrap();
            l
        }
        // A health check.
        let mut check = from_proxy(addr).await;
        check.write_all(&crate::proto::proxy::encode_v2_local()).await.unwrap();
        let (cr, _cw) = check.into_split();
        assert!(line(&mut BufReader::new(cr)).await.starts_with("220 "));
        // A session for 127.0.0.1.
        let ctrl = from_proxy(addr).await;
        let (cr, mut cw) = ctrl.into_split();
        let mut r = BufReader::new(cr);
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        cw.write_all(&encode_v2(client, addr).unwrap()).await.unwrap();
        assert!(line(&mut r).await.starts_with("220 "));
        cw.write_all(b"USER u\r\nPASS p\r\nEPSV\r\n").await.unwrap();
        assert!(line(&mut r).await.starts_with("331 "));
        assert!(line(&mut r).await.starts_with("230 "));
        let epsv = line(&mut r).await;
        let port: u16 = epsv.split('|').nth(3).and_then(|p| p.parse().ok()).unwrap();
        let data_addr = SocketAddr::new(addr.ip(), port);
        // From the proxy, no header: dropped without a byte.
        let mut thief = from_proxy(data_addr).await;
        thief.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 8];
        let n = tokio::time::timeout(Duration::from_secs(5), thief.read(&mut buf)).await.unwrap().unwrap_or(0);
        assert_eq!(n, 0);
        // From the proxy with the client's header: the listing.
        let mut data = from_proxy(data_addr).await;
        data.write_all(&encode_v2(client, data_addr).unwrap()).await.unwrap();
        cw.write_all(b"NLST\r\n").await.unwrap();
        let opened = line(&mut r).await;
        assert!(opened.starts_with("150 ") || opened.starts_with("125 "), "{opened:?}");
        let mut names = String::new();
        data.read_to_string(&mut names).await.unwrap();
        assert_eq!(names, "a.txt\r\n");
        assert!(line(&mut r).await.starts_with("226 "));
    }
}
