//! The server session's outcome handlers: what each request's outcome does, and the failure tables.

use super::*;
use crate::hostport::{EpsvText, LpsvText, PasvText};
use crate::listing::EntryKind;
use crate::path::QuotedPath;
use std::net::SocketAddrV4;

impl ServerSession {
    // ---- outcome transitions ------------------------------------------------------------------------------

    /// The transition function for non-transfer outcomes: one arm per (op, outcome) that succeeds, the failure
    /// table below for the rest.
    pub(super) fn on_reply(&mut self, op: Op, request: &'static str, outcome: Outcome) -> Result<(), ServerError> {
        match (op, outcome) {
            (Op::Auth { user }, Outcome::LoggedIn(access)) => self.logged_in(user, access, false),
            (Op::Auth { .. }, Outcome::Throttled) => {
                self.stats.failed_logins += 1;
                self.reply(Code::SERVICE_NOT_AVAILABLE, "Too many failed logins from your address; try again later.");
                self.close();
            }
            (Op::Auth { .. }, o) => {
                self.stats.failed_logins += 1;
                self.failed_logins = self.failed_logins.saturating_add(1);
                self.reply(Code::NOT_LOGGED_IN, "Login incorrect.");
                if self.failed_logins >= self.config.max_failed_logins {
                    self.reply(Code::SERVICE_NOT_AVAILABLE, "Too many failed logins; closing.");
                    self.close();
                }
                return unexpected(request, &o, matches!(o, Outcome::Denied | Outcome::Failed(_)));
            }
            (Op::Cwd { path }, Outcome::Dir) => {
                self.cwd = path;
                self.reply(Code::FILE_ACTION_OK, "Directory changed.")
            }
            (Op::Cwd { path }, Outcome::Entry(e)) if e.kind.is_dir() => {
                self.cwd = path;
                self.reply(Code::FILE_ACTION_OK, "Directory changed.")
            }
            (Op::Rnfr { .. }, Outcome::Dir) if !self.config.storage.rename_dirs => self.refuse_dir_rename(),
            (Op::Rnfr { .. }, Outcome::Entry(e)) if e.kind.is_dir() && !self.config.storage.rename_dirs => {
                self.refuse_dir_rename()
            }
            (Op::Rnfr { path }, Outcome::Dir | Outcome::File | Outcome::Entry(_)) => {
                self.rename_from = Some(path);
                self.reply(Code::PENDING_FURTHER_INFO, "Ready for RNTO.")
            }
            (Op::Mlst { path }, o @ (Outcome::Dir | Outcome::File | Outcome::Entry(_))) => self.mlst(&path, o),
            (Op::StatList { path }, Outcome::Lines(mut lines)) => {
                let cut = lines.len() > MAX_STAT_LINES;
                lines.truncate(MAX_STAT_LINES);
                let first = format!("Status of {}:", path.as_str());
                let last = if cut {
                    format!("End of status: cut at {MAX_STAT_LINES} lines; use LIST or MLSD for the rest.")
                } else {
                    String::from("End of status.")
                };
                self.reply_listing(Code::FILE_STATUS, &first, &lines, &last)
            }
            (Op::Rename, Outcome::Ok) if !self.config.storage.atomic_rename => {
                self.reply(Code::FILE_ACTION_OK, "Done (copied, then the original deleted: not atomic).")
            }
            (Op::Chmod, Outcome::Ok) => self.reply(Code::OK, "SITE CHMOD command ok."),
            (Op::Delete | Op::Rmdir | Op::Rename, Outcome::Ok) => self.reply(Code::FILE_ACTION_OK, "Done."),
            (Op::Mkdir { path }, Outcome::Ok) => {
                let text = match QuotedPath::new(path.as_str()) {
                    Ok(q) => format!("{q} created."),
                    Err(_) => String::from("Directory created."),
                };
                self.reply(Code::PATH_CREATED, &text)
            }
            (Op::Mfmt { time, arg }, Outcome::Ok) => {
                self.reply(Code::FILE_STATUS, &format!("Modify={}; {arg}", time.to_mlsd()))
            }
            (Op::Hash { algorithm, arg }, Outcome::Hash { size, digest }) if digest.len() == algorithm.digest_len() => {
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                self.reply(Code::FILE_STATUS, &format!("{} 0-{size} {hex} {arg}", algorithm.name()))
            }
            (Op::Hash { .. }, Outcome::Hash { .. }) => {
                self.reply(Code::LOCAL_ERROR, "Hash failed: local error.");
                return Err(ServerError::UnexpectedOutcome { request, outcome: "hash" });
            }
            (Op::Size, Outcome::Size(n)) => self.reply(Code::FILE_STATUS, &n.to_string()),
            (Op::Mtime, Outcome::Time(t)) => {
                let text = t.to_mlsd();
                self.reply(Code::FILE_STATUS, &text)
            }
            (Op::Listen { reply }, Outcome::Bound(addr)) => {
                let port = addr.port();
                if port == 0 || !self.config.passive_ports.contains(&port) {
                    self.events.push_back(ServerEvent::CloseData);
                    self.reply(Code::CANT_OPEN_DATA, "Passive listener is outside the configured port range.");
                    return Err(ServerError::UnexpectedOutcome { request: "listen_passive", outcome: "bound" });
                }
                self.data = Data::Passive { peer: None };
                match reply {
                    Passive::Pasv(ip) => {
                        let text = PasvText(SocketAddrV4::new(ip, port)).to_string();
                        self.reply(Code::PASSIVE, &text)
                    }
                    Passive::Epsv => self.reply(Code::EXTENDED_PASSIVE, &EpsvText(port).to_string()),
                    Passive::Lpsv(ip) => {
                        let text = LpsvText(SocketAddr::new(ip, port)).to_string();
                        self.reply(Code::LONG_PASSIVE, &text)
                    }
                }
            }
            (op, o) => {
                let (code, text) = failure(&op, &o);
                self.reply(code, text);
                return unexpected(request, &o, expected_failure(&o));
            }
        }
        Ok(())
    }

    pub(super) fn on_opened(&mut self, mut xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        let ok = match (&xfer.cmd, &outcome) {
            (XferCmd::Retr, Outcome::Ok | Outcome::File) => true,
            (XferCmd::Stor | XferCmd::Appe, Outcome::Ok) => true,
            (XferCmd::Stou, Outcome::UniqueName(name)) => {
                let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
                if plain {
                    xfer.unique = Some(clean(name));
                }
                plain
            }
            (XferCmd::List(_), Outcome::Ok | Outcome::Dir | Outcome::File) => true,
            _ => false,
        };
        if !ok {
            self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
            self.drop_data();
            let (code, text) = open_failure(xfer.cmd, &outcome);
            self.reply(code, text);
            return unexpected(req_name(xfer.cmd), &outcome, expected_failure(&outcome));
        }
        match self.data {
            Data::Active { addr } => {
                let id = self.issue();
                self.requests.push_back(ServerRequest::ConnectActive { id, addr });
                self.wait = Wait::Transfer { xfer, step: Step::Connect(id) };
            }
            Data::Passive { peer: Some(_) } => {
                self.wait = Wait::Transfer { xfer, step: Step::Accept };
                self.start_stream(true);
            }
            Data::Passive { peer: None } => self.wait = Wait::Transfer { xfer, step: Step::Accept },
            Data::None => {
                // Cannot happen: a transfer starts only with a data channel, and nothing drops it meanwhile.
                self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
                self.reply(Code::CANT_OPEN_DATA, "No data connection.");
            }
        }
        Ok(())
    }

    pub(super) fn on_connected(&mut self, xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        if outcome == Outcome::Ok {
            self.wait = Wait::Transfer { xfer, step: Step::Accept };
            self.start_stream(false);
            return Ok(());
        }
        self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
        self.drop_data();
        self.stats.data_failures.no_connection += 1;
        self.reply(Code::CANT_OPEN_DATA, "Cannot open the data connection.");
        unexpected("connect_active", &outcome, expected_failure(&outcome))
    }

    /// The data connection is up: write 150/125, issue the `Transfer` request and move to `Stream`.
    pub(super) fn start_stream(&mut self, already_open: bool) {
        let Wait::Transfer { xfer, .. } = &self.wait else { return };
        let what = match xfer.cmd {
            XferCmd::List(_) => String::from("Here comes the directory listing."),
            XferCmd::Stou => format!("FILE: {}", xfer.unique.as_deref().unwrap_or("")),
            XferCmd::Retr => format!("Opening {} mode data connection for {}.", self.mode_name(), xfer.path),
            XferCmd::Stor | XferCmd::Appe => format!("Ok to send data for {}.", xfer.path),
        };
        let (opened, data_type) = (xfer.opened, self.data_type);
        let code = if already_open { Code::DATA_ALREADY_OPEN } else { Code::FILE_STATUS_OK };
        self.reply(code, &clean(&what));
        let id = self.issue();
        self.requests.push_back(ServerRequest::Transfer { id, opened, data_type });
        if let Wait::Transfer { step, .. } = &mut self.wait {
            *step = Step::Stream(id);
        }
    }

    /// RNFR of a directory on a back end that cannot rename one ([`StorageCaps::rename_dirs`](super::StorageCaps)):
    /// 504, before RNTO, saying why.
    fn refuse_dir_rename(&mut self) {
        self.reply(
            Code::PARAMETER_NOT_IMPLEMENTED,
            "Renaming a directory is not supported by this server's storage (it would copy and delete every file \
             under it one by one, not atomically); rename the files instead.",
        )
    }

    fn mode_name(&self) -> &'static str {
        match self.data_type {
            DataType::Ascii => "ASCII",
            DataType::Binary => "BINARY",
        }
    }

    pub(super) fn on_transferred(&mut self, xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        let (direction, path) = match xfer.cmd {
            XferCmd::Retr => (Direction::Download, xfer.path.as_str().to_owned()),
            XferCmd::List(_) => (Direction::Listing, xfer.path.as_str().to_owned()),
            XferCmd::Stou => {
                let dir = xfer.path.as_str().trim_end_matches('/');
                (Direction::Upload, format!("{dir}/{}", xfer.unique.as_deref().unwrap_or("")))
            }
            XferCmd::Stor | XferCmd::Appe => (Direction::Upload, xfer.path.as_str().to_owned()),
        };
        let bytes = match outcome {
            Outcome::TransferDone { bytes } => bytes,
            _ => 0,
        };
        let completed = matches!(outcome, Outcome::TransferDone { .. });
        self.events.push_back(ServerEvent::Transferred { direction, path, bytes, completed });
        self.drop_data();
        let count = |c: &mut TransferCounts, by: u64| match xfer.cmd {
            XferCmd::Retr => c.download += by,
            XferCmd::List(_) => c.listing += by,
            XferCmd::Stor | XferCmd::Appe | XferCmd::Stou => c.upload += by,
        };
        match &outcome {
            Outcome::TransferDone { bytes } => {
                count(&mut self.stats.transfers, 1);
                count(&mut self.stats.bytes, *bytes);
            }
            Outcome::TlsNotResumed => self.stats.data_failures.tls_not_resumed += 1,
            Outcome::TlsHandshakeFailed => self.stats.data_failures.tls_handshake += 1,
            _ => count(&mut self.stats.failed_transfers, 1),
        }
        let (code, text) = match &outcome {
            Outcome::TransferDone { .. } => (Code::CLOSING_DATA, "Transfer complete."),
            Outcome::ConnectionLost => (Code::TRANSFER_ABORTED, "Data connection lost; transfer aborted."),
            Outcome::NoSpace => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
            Outcome::QuotaExceeded => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
            Outcome::TlsHandshakeFailed => (Code::CANT_OPEN_DATA, "TLS handshake on the data connection failed."),
            Outcome::TlsNotResumed => (
                Code::new(522).unwrap_or(Code::CANT_OPEN_DATA),
                "Data connection refused: its TLS session does not resume the control connection's.",
            ),
            _ => (Code::LOCAL_ERROR, "Transfer failed: local error."),
        };
        self.reply(code, text);
        let fits = !matches!(
            outcome,
            Outcome::Dir
                | Outcome::File
                | Outcome::Entry(_)
                | Outcome::Size(_)
                | Outcome::Time(_)
                | Outcome::Lines(_)
                | Outcome::Hash { .. }
                | Outcome::Bound(_)
                | Outcome::LoggedIn(_)
                | Outcome::UniqueName(_)
        );
        unexpected("transfer", &outcome, fits)
    }

    /// The MLST reply: the entry's facts that OPTS MLST selected ([`crate::listing::MlstFacts`]), as MLSD writes
    /// them, with the path as the name.
    fn mlst(&mut self, path: &VirtualPath, o: Outcome) {
        use crate::listing::{Entry, ListFormat};
        let name = path.as_str().to_owned();
        let entry = match o {
            Outcome::Entry(e) => Entry { name: name.clone().into(), ..*e },
            Outcome::Dir => Entry::new(name.clone(), EntryKind::Dir, ListFormat::Mlsd),
            _ => Entry::new(name.clone(), EntryKind::File, ListFormat::Mlsd),
        };
        match crate::listing::format_mlsd_entry_with(&entry, self.mlst_facts) {
            Ok(line) if !line.contains(['\r', '\n', '\0']) => {
                // RFC 3659 §7.2: `250-` text, then the entry on a line of its own that starts with one SP (no
                // code), then `250` text.
                let out = &mut self.out;
                out.extend_from_slice(format!("250-Listing {}\r\n", clean(&name)).as_bytes());
                out.push(b' ');
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n250 End\r\n");
            }
            _ => self.reply(Code::FILE_UNAVAILABLE, "Cannot list this name."),
        }
    }
}

fn req_name(cmd: XferCmd) -> &'static str {
    match cmd {
        XferCmd::Retr => "open_read",
        XferCmd::Stor | XferCmd::Appe | XferCmd::Stou => "open_write",
        XferCmd::List(_) => "list",
    }
}

/// Outcomes that are failures any request may report.
fn expected_failure(o: &Outcome) -> bool {
    matches!(
        o,
        Outcome::NotFound
            | Outcome::PermissionDenied
            | Outcome::Exists
            | Outcome::NoSpace
            | Outcome::QuotaExceeded
            | Outcome::PassiveRangeExhausted
            | Outcome::Failed(_)
            | Outcome::Denied
            | Outcome::ConnectionLost
            | Outcome::Dir
            | Outcome::File
            | Outcome::Entry(_)
    )
}

fn unexpected(request: &'static str, o: &Outcome, fits: bool) -> Result<(), ServerError> {
    if fits {
        Ok(())
    } else {
        Err(ServerError::UnexpectedOutcome { request, outcome: o.name() })
    }
}

/// The failure table for non-transfer requests.
pub(super) fn failure(op: &Op, o: &Outcome) -> (Code, &'static str) {
    match (op, o) {
        (Op::Listen { .. }, Outcome::PassiveRangeExhausted) => {
            (Code::CANT_OPEN_DATA, "No passive port free in the configured range; try again later.")
        }
        (Op::Listen { .. }, _) => (Code::CANT_OPEN_DATA, "Cannot open a passive listener."),
        (Op::Cwd { .. }, Outcome::File | Outcome::Entry(_)) => (Code::FILE_UNAVAILABLE, "Not a directory."),
        (Op::Size | Op::Mtime | Op::Mfmt { .. } | Op::Hash { .. }, Outcome::Dir) => {
            (Code::FILE_UNAVAILABLE, "Not a plain file.")
        }
        (Op::Rename, Outcome::Exists) => (Code::FILE_NAME_NOT_ALLOWED, "Target already exists."),
        (Op::Mkdir { .. }, Outcome::Exists) => (Code::FILE_UNAVAILABLE, "Already exists."),
        (_, Outcome::NotFound) => (Code::FILE_UNAVAILABLE, "No such file or directory."),
        (_, Outcome::PermissionDenied) => (Code::FILE_UNAVAILABLE, "Permission denied."),
        (_, Outcome::NoSpace) => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
        (_, Outcome::QuotaExceeded) => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
        _ => (Code::FILE_UNAVAILABLE, "Requested action not taken."),
    }
}

/// The failure table for open/list requests.
pub(super) fn open_failure(cmd: XferCmd, o: &Outcome) -> (Code, &'static str) {
    let writing = matches!(cmd, XferCmd::Stor | XferCmd::Appe | XferCmd::Stou);
    match o {
        Outcome::NoSpace => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
        Outcome::QuotaExceeded => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
        Outcome::Failed(_) => (Code::LOCAL_ERROR, "Local error in processing."),
        Outcome::NotFound | Outcome::PermissionDenied | Outcome::Exists | Outcome::Dir if writing => {
            (Code::FILE_NAME_NOT_ALLOWED, "Could not create file.")
        }
        Outcome::Dir => (Code::FILE_UNAVAILABLE, "Is a directory."),
        Outcome::PermissionDenied => (Code::FILE_UNAVAILABLE, "Permission denied."),
        Outcome::NotFound => (Code::FILE_UNAVAILABLE, "No such file or directory."),
        _ => (Code::LOCAL_ERROR, "Local error in processing."),
    }
}
