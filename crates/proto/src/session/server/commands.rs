//! The server session's command handlers: what each command line does (the verb table says which run when).

use super::*;
use crate::command::{EpsvArg, Structure, TransferMode, TransferType, VerbInfo, VERBS};
use crate::feat::Features;
use crate::path::QuotedPath;

/// What a command needs before it runs: the verb table's gate (a verb it does not know runs any time, to be
/// answered 500).
pub(super) fn gate(cmd: &Command<'_>) -> LoginGate {
    cmd.info().map_or(LoginGate::Always, |v| v.gate)
}

/// Skip `ls` options (`-la`, `-a -l`) at the start of a LIST/NLST argument.
pub(super) fn strip_list_options(arg: &str) -> &str {
    let mut rest = arg.trim_start_matches(' ');
    while rest.starts_with('-') {
        rest = match rest.split_once(' ') {
            Some((_, after)) => after.trim_start_matches(' '),
            None => "",
        };
    }
    rest
}

/// The HELP reply: every verb the verb table marks for HELP that `offered` keeps, alphabetically, fifteen to a
/// line.
pub(super) fn help_lines(offered: impl Fn(&VerbInfo) -> bool) -> Vec<String> {
    let mut verbs: Vec<&str> = VERBS.iter().filter(|v| v.help && offered(v)).map(|v| v.name).collect();
    verbs.sort_unstable();
    let mut lines = vec![String::from("The following commands are recognized.")];
    for row in verbs.chunks(15) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:<4}")).collect();
        lines.push(format!(" {}", cells.join(" ").trim_end()));
    }
    lines.push(String::from("Help OK."));
    lines
}

/// Features that belong to no verb: TVFS is a property of the server's path names (RFC 3659 §6).
const FEATURES_WITHOUT_VERB: &[(&str, &str)] = &[("TVFS", "")];

/// The FEAT lines of the security verbs, shown only when TLS is available (RFC 4217 §6).
const TLS_FEATURES: &[(&str, &str)] = &[("AUTH", "TLS"), ("PBSZ", ""), ("PROT", "")];

impl ServerSession {
    /// The transition function for commands: gate, then one arm per verb.
    pub(super) fn on_command(&mut self, cmd: Command<'static>) {
        use Command as C;
        let rename_from = self.rename_from.take();
        match (gate(&cmd), &self.login) {
            (LoginGate::Always, _) => {}
            (gate, Login::LoggedIn { access, .. }) => {
                if let Some(right) = gate.right().filter(|r| !access.rights().contains(*r)) {
                    return self.refuse_right(right);
                }
            }
            _ => return self.reply(Code::NOT_LOGGED_IN, "Please log in with USER and PASS first."),
        }
        match cmd {
            // -- login
            C::User(user) => self.on_user(user.into_owned()),
            C::Pass(pass) => self.on_pass(pass.into_owned()),
            C::Quit => self.quit(),
            // -- information
            C::Noop => self.reply(Code::OK, "NOOP ok."),
            C::Syst => self.reply(Code::SYSTEM_TYPE, "UNIX Type: L8"),
            C::Feat => self.feat(),
            C::Help(_) => {
                let lines = help_lines(|v| self.offered(v));
                self.reply_lines(Code::HELP, lines)
            }
            C::Stat(None) => self.stat(),
            C::Stat(Some(p)) => {
                // `STAT -la dir` as clients send it: the options are skipped as for LIST.
                let arg = strip_list_options(&p).to_owned();
                self.with_path(&arg, |s, path| {
                    let max = MAX_STAT_LINES;
                    s.ask(Op::StatList { path: path.clone() }, |id| ServerRequest::ListLines { id, path, max })
                })
            }
            // -- not implemented (recognised)
            C::Auth(mech) => self.on_auth(&mech),
            C::Pbsz(_) => self.on_pbsz(),
            C::Prot(level) => self.on_prot(level),
            C::Ccc => self.on_ccc(),
            C::Adat(_) | C::Mic(_) | C::Conf(_) | C::Enc(_) => {
                self.reply(Code::NOT_IMPLEMENTED, "Only TLS (AUTH TLS, RFC 4217) is implemented.")
            }
            C::Site(arg) => self.on_site(&arg),
            C::Clnt(name) => {
                // Bounded by the line limit; kept for the caller's logs only.
                self.client_name = Some(clean(&name));
                self.reply(Code::OK, "Noted.")
            }
            C::Lang(tag) => self.on_lang(tag.as_deref()),
            C::Host(name) => self.on_host(&name),
            C::Lpsv => self.on_long_passive(),
            C::Lprt(addr) => self.on_active(addr, "LPRT"),
            C::Acct(_) | C::Smnt(_) | C::Rein => self.reply(Code::NOT_IMPLEMENTED, "Command not implemented."),
            C::Allo(_) => self.reply(Code::SUPERFLUOUS, "ALLO not needed."),
            // -- parameters
            C::Type(t) => self.on_type(t),
            C::Mode(TransferMode::Stream) => self.reply(Code::OK, "Mode set to S."),
            C::Mode(_) => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only MODE S is implemented."),
            C::Stru(Structure::File) => self.reply(Code::OK, "Structure set to F."),
            C::Stru(_) => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only STRU F is implemented."),
            C::Opts(arg) => self.on_opts(&arg),
            C::Rest(offset) => {
                self.rest = Some(offset);
                self.reply(Code::PENDING_FURTHER_INFO, &format!("Restarting at {offset}. Send RETR or STOR."))
            }
            // -- directories
            C::Pwd | C::Xpwd => self.pwd(),
            C::Cwd(p) | C::Xcwd(p) => self.with_path(&p, |s, path| s.ask(Op::Cwd { path: path.clone() }, stat(path))),
            C::Cdup | C::Xcup => {
                let path = self.cwd.parent();
                self.ask(Op::Cwd { path: path.clone() }, stat(path))
            }
            C::Mkd(p) | C::Xmkd(p) => self.with_path(&p, |s, path| {
                s.ask(Op::Mkdir { path: path.clone() }, |id| ServerRequest::Mkdir { id, path })
            }),
            C::Rmd(p) | C::Xrmd(p) => {
                self.with_path(&p, |s, path| s.ask(Op::Rmdir, |id| ServerRequest::Rmdir { id, path }))
            }
            C::Dele(p) => self.with_path(&p, |s, path| s.ask(Op::Delete, |id| ServerRequest::Delete { id, path })),
            C::Size(p) => self.with_path(&p, |s, path| s.ask(Op::Size, |id| ServerRequest::Size { id, path })),
            C::Mdtm(p) => self.with_path(&p, |s, path| s.ask(Op::Mtime, |id| ServerRequest::Mtime { id, path })),
            C::Mfmt(arg) => self.on_mfmt(&arg),
            C::Hash(p) => {
                let (algorithm, arg) = (self.hash, p.to_string());
                self.with_path(&p, |s, path| {
                    s.ask(Op::Hash { algorithm, arg }, |id| ServerRequest::Hash { id, path, algorithm })
                })
            }
            C::Mlst(p) => {
                let arg = p.as_deref().unwrap_or("");
                self.with_path(arg, |s, path| s.ask(Op::Mlst { path: path.clone() }, stat(path)))
            }
            C::Rnfr(p) => self.with_path(&p, |s, path| s.ask(Op::Rnfr { path: path.clone() }, stat(path))),
            C::Rnto(p) => match rename_from {
                None => self.reply(Code::BAD_SEQUENCE, "RNFR first."),
                Some(from) => {
                    self.with_path(&p, |s, to| s.ask(Op::Rename, |id| ServerRequest::Rename { id, from, to }))
                }
            },
            // -- data channel
            C::Pasv => self.on_passive(false),
            C::Epsv(None) => self.on_passive(true),
            C::Epsv(Some(EpsvArg::All)) => {
                self.epsv_all = true;
                self.reply(Code::OK, "EPSV ALL ok: only EPSV from now on.")
            }
            C::Epsv(Some(EpsvArg::Protocol(p))) => {
                let own = if canonical(self.server.ip()).is_ipv4() { 1 } else { 2 };
                if p == own {
                    self.on_passive(true)
                } else {
                    self.reply(
                        Code::new(522).unwrap_or(Code::NOT_IMPLEMENTED),
                        &format!("Protocol not supported, use ({own})"),
                    )
                }
            }
            C::Port(addr) => self.on_active(SocketAddr::V4(addr), "PORT"),
            C::Eprt(addr) => self.on_active(addr, "EPRT"),
            C::Abor => {
                // Nothing going (a transfer in progress is handled out of band).
                self.reply(Code::CLOSING_DATA, "No transfer to abort.")
            }
            // -- transfers
            C::Retr(p) => self.on_transfer(XferCmd::Retr, &p),
            C::Stor(p) => self.on_transfer(XferCmd::Stor, &p),
            C::Appe(p) => self.on_transfer(XferCmd::Appe, &p),
            C::Stou(_) => self.on_transfer(XferCmd::Stou, ""),
            C::List(p) => {
                self.on_transfer(XferCmd::List(ListKind::Unix), strip_list_options(p.as_deref().unwrap_or("")))
            }
            C::Nlst(p) => {
                self.on_transfer(XferCmd::List(ListKind::Names), strip_list_options(p.as_deref().unwrap_or("")))
            }
            C::Mlsd(p) => self.on_transfer(XferCmd::List(ListKind::Mlsd), p.as_deref().unwrap_or("")),
            C::Other { .. } => self.reply(Code::SYNTAX_ERROR, "Unknown command."),
        }
    }

    // ---- command handlers ---------------------------------------------------------------------------------

    fn on_auth(&mut self, mechanism: &str) {
        let mech = mechanism.trim().to_ascii_uppercase();
        let implies_private = match mech.as_str() {
            "TLS" | "TLS-C" => false,
            "SSL" | "TLS-P" => true,
            _ if !self.config.tls.available => {
                return self.reply(Code::NOT_IMPLEMENTED, "AUTH not available: no TLS certificate.")
            }
            _ => return self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "AUTH mechanism not supported; use TLS."),
        };
        if !self.config.tls.available {
            return self.reply(Code::NOT_IMPLEMENTED, "AUTH not available: no TLS certificate.");
        }
        if self.tls.control {
            return self.reply(Code::BAD_SEQUENCE, "TLS already runs on this connection.");
        }
        if matches!(self.login, Login::LoggedIn { .. }) {
            return self.reply(Code::BAD_SEQUENCE, "AUTH must come before login.");
        }
        self.reply(Code::new(234).unwrap_or(Code::OK), &format!("AUTH {mech} ok, starting TLS."));
        // Whatever came after the AUTH line came in clear: never run it as if it were protected.
        self.decoder = CommandDecoder::new(self.config.max_line);
        self.queue.clear();
        self.login = Login::AwaitUser;
        self.tls = Tls { control: true, pbsz: implies_private, private: implies_private };
        self.events.push_back(ServerEvent::StartTls);
    }

    fn on_pbsz(&mut self) {
        if !self.tls.control {
            return self.reply(Code::BAD_SEQUENCE, "PBSZ needs a protected control connection (AUTH TLS first).");
        }
        self.tls.pbsz = true;
        self.reply(Code::OK, "PBSZ=0")
    }

    fn on_prot(&mut self, level: crate::command::ProtectionLevel) {
        use crate::command::ProtectionLevel as P;
        if !self.tls.control || !self.tls.pbsz {
            return self.reply(Code::BAD_SEQUENCE, "PBSZ first (after AUTH TLS).");
        }
        match level {
            P::Clear => {
                self.tls.private = false;
                self.reply(Code::OK, "PROT now Clear.")
            }
            P::Private => {
                self.tls.private = true;
                self.reply(Code::OK, "PROT now Private.")
            }
            P::Safe | P::Confidential => {
                self.reply(Code::new(536).unwrap_or(Code::PARAMETER_NOT_IMPLEMENTED), "Only PROT C and P with TLS.")
            }
        }
    }

    fn on_ccc(&mut self) {
        if !self.tls.control {
            return self.reply(Code::new(533).unwrap_or(Code::BAD_SEQUENCE), "The control connection is in clear.");
        }
        if !self.config.tls.allow_ccc || !matches!(self.login, Login::LoggedIn { .. }) {
            return self.reply(Code::new(534).unwrap_or(Code::NOT_IMPLEMENTED), "CCC refused by policy.");
        }
        self.reply(Code::OK, "CCC ok, ending TLS on the control connection.");
        self.tls.control = false;
        self.events.push_back(ServerEvent::StopTls);
    }

    fn on_user(&mut self, user: String) {
        if self.config.tls.require_login && !self.tls.control && !matches!(self.login, Login::LoggedIn { .. }) {
            return self.reply(Code::NOT_LOGGED_IN, "TLS required: send AUTH TLS before USER.");
        }
        match self.login {
            Login::LoggedIn { .. } => self.reply(Code::NOT_LOGGED_IN, "Already logged in; cannot change user."),
            _ => {
                let anonymous = self.config.anonymous && is_anonymous(&user);
                self.login = Login::AwaitPass { user };
                if anonymous {
                    self.reply(Code::NEED_PASSWORD, "Anonymous login ok, send your e-mail address as password.")
                } else {
                    self.reply(Code::NEED_PASSWORD, "Password required.")
                }
            }
        }
    }

    fn on_pass(&mut self, password: String) {
        match std::mem::replace(&mut self.login, Login::AwaitUser) {
            Login::AwaitUser => self.reply(Code::BAD_SEQUENCE, "Send USER first."),
            Login::LoggedIn { user, access } => {
                self.login = Login::LoggedIn { user, access };
                self.reply(Code::LOGGED_IN, "Already logged in.")
            }
            Login::AwaitPass { user } => {
                if self.config.anonymous && is_anonymous(&user) {
                    self.logged_in(user, Access::ReadOnly, true)
                } else {
                    let u = user.clone();
                    self.ask(Op::Auth { user }, |id| ServerRequest::Authenticate { id, user: u, password })
                }
            }
        }
    }

    pub(super) fn logged_in(&mut self, user: String, access: Access, anonymous: bool) {
        self.stats.logins += 1;
        self.events.push_back(ServerEvent::LoggedIn { user: user.clone(), access, anonymous });
        self.login = Login::LoggedIn { user, access };
        self.cwd = VirtualPath::root();
        self.reply(Code::LOGGED_IN, if anonymous { "Anonymous login ok, read-only." } else { "Logged in." })
    }

    /// 550 for a command whose right the logged-in user does not have.
    pub(super) fn refuse_right(&mut self, right: Rights) {
        let text = if self.user().is_some_and(|(_, a)| a.rights() == Rights::READ) {
            String::from("Permission denied: read-only session.")
        } else {
            format!("Permission denied: no {right} right.")
        };
        self.reply(Code::FILE_UNAVAILABLE, &text)
    }

    fn quit(&mut self) {
        self.reply(Code::CLOSING, "Goodbye.");
        self.close();
    }

    fn feat(&mut self) {
        // The parameters that follow the session's settings: the hash in use, the MLST facts selected.
        let (hash, mlst) = (self.hash.feat_params(), self.mlst_facts.feat_params());
        let mut lines: Vec<(&str, &str)> = VERBS
            .iter()
            .filter(|v| self.offered(v))
            .filter_map(|v| v.feat)
            .map(|(name, params)| match name {
                "HASH" => (name, hash),
                "MLST" => (name, mlst.as_str()),
                _ => (name, params),
            })
            .collect();
        lines.extend_from_slice(FEATURES_WITHOUT_VERB);
        if self.config.tls.available {
            lines.extend_from_slice(TLS_FEATURES);
        }
        lines.sort_unstable();
        let mut f = Features::new();
        for (name, params) in lines {
            // The names and parameters above are valid (constants, and facts without SP or control characters);
            // an error cannot happen.
            let _ = f.push(name, params);
        }
        self.out.extend_from_slice(f.to_reply_text().as_bytes());
    }

    /// Whether this session offers a verb of the table in HELP and FEAT: not when the storage back end (or the
    /// configuration) leaves it without effect, so the lists name exactly what works here.
    pub(super) fn offered(&self, verb: &VerbInfo) -> bool {
        match verb.name {
            "MFMT" => self.config.storage.set_mtime,
            "HOST" => !self.config.vhosts.is_empty(),
            "AUTH" | "PBSZ" | "PROT" => self.config.tls.available,
            "CCC" => self.config.tls.available && self.config.tls.allow_ccc,
            _ => true,
        }
    }

    fn stat(&mut self) {
        let user = match &self.login {
            Login::LoggedIn { access, .. } if access.rights() == Rights::READ => String::from("Logged in, read-only."),
            Login::LoggedIn { access, .. } if access.rights() == Rights::ALL => String::from("Logged in."),
            Login::LoggedIn { access, .. } => format!("Logged in, rights: {}.", access.rights()),
            _ => String::from("Not logged in."),
        };
        let data = match self.data {
            Data::None => "No data connection.",
            Data::Passive { peer: None } => "Passive listener open.",
            Data::Passive { peer: Some(_) } => "Passive data connection open.",
            Data::Active { .. } => "Active data port set.",
        };
        let ty = match self.data_type {
            DataType::Ascii => "TYPE: ASCII; STRU: File; MODE: Stream",
            DataType::Binary => "TYPE: BINARY; STRU: File; MODE: Stream",
        };
        let lines = ["ftpkit status:", &user, ty, data, "End of status."];
        self.reply_lines(Code::SYSTEM_STATUS, lines.iter().map(|s| (*s).to_owned()).collect());
    }

    fn pwd(&mut self) {
        let text = match QuotedPath::new(self.cwd.as_str()) {
            Ok(q) => format!("{q} is the current directory."),
            Err(_) => String::from("\"/\" is the current directory."),
        };
        self.reply(Code::PATH_CREATED, &text)
    }

    fn on_type(&mut self, t: TransferType) {
        match t {
            TransferType::Ascii(None | Some(crate::command::FormatControl::NonPrint)) => {
                self.data_type = DataType::Ascii;
                self.reply(Code::OK, "Switching to ASCII mode.")
            }
            TransferType::Image | TransferType::Local(8) => {
                self.data_type = DataType::Binary;
                self.reply(Code::OK, "Switching to Binary mode.")
            }
            _ => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only TYPE A, A N, I and L 8 are implemented."),
        }
    }

    fn on_opts(&mut self, arg: &str) {
        let (name, value) = arg.split_once(' ').unwrap_or((arg, ""));
        if name.eq_ignore_ascii_case("UTF8") && (value.eq_ignore_ascii_case("ON") || value.is_empty()) {
            self.reply(Code::OK, "Always in UTF8 mode.")
        } else if name.eq_ignore_ascii_case("HASH") {
            // draft-bryan-ftpext-hash §4: no value asks which algorithm is in use; a known one selects it.
            match (value.trim(), HashAlgorithm::from_name(value.trim())) {
                ("", _) => self.reply(Code::OK, self.hash.name()),
                (_, Some(a)) => {
                    self.hash = a;
                    self.reply(Code::OK, a.name())
                }
                (_, None) => self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Unknown algorithm: use SHA-256, SHA-1 or MD5."),
            }
        } else if name.eq_ignore_ascii_case("MLST") {
            // RFC 3659 §7.9: the facts named (unknown ones left out; none at all selects none), echoed back.
            self.mlst_facts = crate::listing::MlstFacts::from_opts(value);
            let text = format!("MLST OPTS {}", self.mlst_facts.list());
            self.reply(Code::OK, text.trim_end())
        } else {
            self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Option not understood.")
        }
    }

    /// `MFMT YYYYMMDDHHMMSS path` (draft-somers-ftp-mfxx §3): the time is UTC, a fraction is taken and dropped
    /// (the back end keeps whole seconds).
    fn on_mfmt(&mut self, arg: &str) {
        if !self.config.storage.set_mtime {
            return self.reply(Code::NOT_IMPLEMENTED, "MFMT is not supported by this server's storage.");
        }
        let Some((time, name)) = arg.split_once(' ').filter(|(_, n)| !n.is_empty()) else {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Use MFMT YYYYMMDDHHMMSS path.");
        };
        let time = match crate::listing::DateTime::parse_mlsd(time) {
            Ok(t) => crate::listing::DateTime::from_unix(t.to_unix(), 0).unwrap_or(t),
            Err(_) => return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Bad time: use YYYYMMDDHHMMSS (UTC)."),
        };
        let arg = name.to_owned();
        self.with_path(name, |s, path| s.ask(Op::Mfmt { time, arg }, |id| ServerRequest::SetMtime { id, path, time }))
    }

    /// LANG (RFC 2640 §4): the replies are in English only; `LANG`, `LANG EN` and `LANG EN-<region>` select it.
    fn on_lang(&mut self, tag: Option<&str>) {
        let tag = tag.map(str::trim).unwrap_or("");
        let (primary, _) = tag.split_once('-').unwrap_or((tag, ""));
        if tag.is_empty() || primary.eq_ignore_ascii_case("EN") {
            self.reply(Code::OK, "Language set to EN.")
        } else {
            self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Language not supported; LANG EN is.")
        }
    }

    /// HOST (RFC 7151): before USER only; selects a configured virtual host and answers with its greeting.
    fn on_host(&mut self, name: &str) {
        if !matches!(self.login, Login::AwaitUser) {
            return self.reply(Code::BAD_SEQUENCE, "HOST must come before USER and PASS.");
        }
        if self.config.vhosts.is_empty() {
            return self.reply(Code::NOT_IMPLEMENTED, "No virtual hosts on this server.");
        }
        let name = name.trim();
        match self.config.vhosts.iter().enumerate().find(|(_, v)| v.name.eq_ignore_ascii_case(name)) {
            Some((i, v)) => {
                let lines = v.greeting.split('\n').map(str::to_owned).collect();
                self.host = Some(i);
                self.reply_lines(Code::SERVICE_READY, lines)
            }
            None => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Unknown host."),
        }
    }

    /// SITE: `CHMOD <octal mode> <path>` (a read-write login, a storage with Unix permissions) and `HELP`.
    fn on_site(&mut self, arg: &str) {
        let (sub, rest) = arg.trim_start().split_once(' ').unwrap_or((arg.trim_start(), ""));
        if sub.eq_ignore_ascii_case("HELP") {
            let mut lines = vec![String::from("The following SITE commands are recognized.")];
            lines.push(String::from(if self.config.storage.chmod { " CHMOD HELP" } else { " HELP" }));
            lines.push(String::from("Help OK."));
            return self.reply_lines(Code::HELP, lines);
        }
        if !sub.eq_ignore_ascii_case("CHMOD") {
            return self.reply(Code::SYNTAX_ERROR, "Unknown SITE command; SITE HELP lists them.");
        }
        if !self.user().is_some_and(|(_, access)| access.rights().contains(Rights::WRITE)) {
            return self.refuse_right(Rights::WRITE);
        }
        if !self.config.storage.chmod {
            return self.reply(Code::NOT_IMPLEMENTED, "SITE CHMOD is not supported by this server's storage.");
        }
        let (mode, name) = rest.trim_start().split_once(' ').unwrap_or((rest.trim_start(), ""));
        let mode = match u32::from_str_radix(mode, 8) {
            Ok(m) if m <= 0o7777 && (1..=4).contains(&mode.len()) && !name.is_empty() => m,
            _ => return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Use SITE CHMOD <octal mode, 0-7777> <path>."),
        };
        self.with_path(name, |s, path| s.ask(Op::Chmod, |id| ServerRequest::Chmod { id, path, mode }))
    }

    /// Resolve a path argument (refusing `\` unless allowed) and run `then` with it; 553 when refused.
    fn with_path(&mut self, arg: &str, then: impl FnOnce(&mut Self, VirtualPath)) {
        match self.resolve(arg) {
            Ok(path) => then(self, path),
            Err(text) => self.reply(Code::FILE_NAME_NOT_ALLOWED, &text),
        }
    }

    fn resolve(&self, arg: &str) -> Result<VirtualPath, String> {
        if !self.config.allow_backslash && arg.contains('\\') {
            return Err(String::from("File name not allowed: it holds '\\'."));
        }
        self.cwd.resolve(arg).map_err(|e| clean(&e.to_string()))
    }

    fn on_passive(&mut self, extended: bool) {
        if self.epsv_all && !extended {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "PASV not allowed after EPSV ALL.");
        }
        let reply = if extended {
            Passive::Epsv
        } else {
            match self.config.masquerade.choose(self.client.ip(), self.server.ip()) {
                Some(a) => Passive::Pasv(a),
                None => return self.reply(Code::CANT_OPEN_DATA, "PASV needs an IPv4 address here; use EPSV."),
            }
        };
        self.listen(reply)
    }

    /// LPSV (RFC 1639): the 228 names the masquerade (or own) IPv4 address on an IPv4 control connection, the
    /// server's own IPv6 address on an IPv6 one.
    fn on_long_passive(&mut self) {
        if self.epsv_all {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "LPSV not allowed after EPSV ALL.");
        }
        let ip = match canonical(self.server.ip()) {
            std::net::IpAddr::V6(v6) => std::net::IpAddr::V6(v6),
            std::net::IpAddr::V4(_) => match self.config.masquerade.choose(self.client.ip(), self.server.ip()) {
                Some(a) => std::net::IpAddr::V4(a),
                None => return self.reply(Code::CANT_OPEN_DATA, "No address to advertise; use EPSV."),
            },
        };
        self.listen(Passive::Lpsv(ip))
    }

    fn listen(&mut self, reply: Passive) {
        self.drop_data();
        let ip = self.server.ip();
        let ports = self.config.passive_ports.clone();
        self.ask(Op::Listen { reply }, |id| ServerRequest::ListenPassive { id, ip, ports })
    }

    fn on_active(&mut self, addr: SocketAddr, verb: &str) {
        if self.epsv_all {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &format!("{verb} not allowed after EPSV ALL."));
        }
        if self.config.bounce_protection && canonical(addr.ip()) != canonical(self.client.ip()) {
            let text = format!("{verb} refused: address {} is not your own (FTP bounce).", addr.ip());
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &text);
        }
        if self.config.refuse_privileged_ports && addr.port() < 1024 {
            let text = format!("{verb} refused: port {} is privileged (below 1024).", addr.port());
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &text);
        }
        self.drop_data();
        self.data = Data::Active { addr };
        self.reply(Code::OK, &format!("{verb} command successful."))
    }

    fn on_transfer(&mut self, cmd: XferCmd, arg: &str) {
        let rest = self.rest.take();
        if self.data == Data::None {
            return self.reply(Code::CANT_OPEN_DATA, "Use PORT, EPRT, PASV or EPSV first.");
        }
        if self.config.tls.require_data && !self.tls.private {
            return self.reply(
                Code::new(521).unwrap_or(Code::CANT_OPEN_DATA),
                "Data connections must be protected: PBSZ 0 and PROT P first.",
            );
        }
        let path = match cmd {
            XferCmd::Stou => self.cwd.clone(),
            _ => match self.resolve(arg) {
                Ok(p) => p,
                Err(text) => return self.reply(Code::FILE_NAME_NOT_ALLOWED, &text),
            },
        };
        let offset = match cmd {
            XferCmd::Retr | XferCmd::Stor => rest.unwrap_or(0),
            _ => 0,
        };
        // What the storage back end cannot do is refused here, before any data connection is opened.
        if cmd == XferCmd::Appe && !self.config.storage.append {
            return self.reply(Code::NOT_IMPLEMENTED, "APPE is not supported by this server's storage.");
        }
        if cmd == XferCmd::Stor && offset > 0 && !self.config.storage.rest_upload {
            return self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                "STOR after REST is not supported by this server's storage; upload the whole file.",
            );
        }
        let id = self.issue();
        let p = path.clone();
        self.requests.push_back(match cmd {
            XferCmd::Retr => ServerRequest::OpenRead { id, path: p, offset },
            XferCmd::Stor => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Create, offset },
            XferCmd::Appe => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Append, offset },
            XferCmd::Stou => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Unique, offset },
            XferCmd::List(kind) => ServerRequest::List { id, path: p, kind, facts: self.mlst_facts },
        });
        self.wait = Wait::Transfer { xfer: Xfer { cmd, path, opened: id, unique: None }, step: Step::Open };
    }
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

fn stat(path: VirtualPath) -> impl FnOnce(ServerRequestId) -> ServerRequest {
    move |id| ServerRequest::Stat { id, path }
}
