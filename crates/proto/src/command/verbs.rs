//! The verb table: one row per verb ftpkit knows, with everything the crate says about that verb.
//!
//! Each row of the `commands!` invocation below gives a verb's [`Command`] variant and spelling, its argument
//! shape (no argument, text, optional text, or a typed value parsed in the parent module), its doc line, and then
//! (after `=>`) its [`VerbInfo`]: the one-sentence meaning [`crate::explain`] prints, its [`LoginGate`], how the
//! server session handles it ([`Handling`]), whether the server's HELP lists it, and the FEAT line it adds. The
//! decoder's lookup, `explain`, and the server's gate, HELP and FEAT replies are all read from here, so adding a
//! verb is one row here plus its server handler.

use super::*;
use crate::session::server::Rights;

/// What may run a command before or after login (the server's login gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginGate {
    /// Any time, also before login (USER, PASS, QUIT, FEAT, HELP, SYST, NOOP, the RFC 2228 family, HOST).
    Always,
    /// After login only (530 before).
    Login,
    /// After a login with the [`Rights::READ`] right (530 before login, 550 without it): downloads and listings.
    Read,
    /// After a login with the [`Rights::WRITE`] right (530 before login, 550 without it): uploads.
    Write,
    /// After a login with the [`Rights::DELETE`] right (530 before login, 550 without it).
    Delete,
    /// After a login with the [`Rights::MKDIR`] right (530 before login, 550 without it).
    Mkdir,
    /// After a login with the [`Rights::RENAME`] right (530 before login, 550 without it).
    Rename,
}

impl LoginGate {
    /// The right a logged-in user needs for it (`None`: a login is enough, or nothing at all).
    pub const fn right(self) -> Option<Rights> {
        match self {
            LoginGate::Always | LoginGate::Login => None,
            LoginGate::Read => Some(Rights::READ),
            LoginGate::Write => Some(Rights::WRITE),
            LoginGate::Delete => Some(Rights::DELETE),
            LoginGate::Mkdir => Some(Rights::MKDIR),
            LoginGate::Rename => Some(Rights::RENAME),
        }
    }
}

/// How the server session handles a verb: the input it is in the session's transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handling {
    /// USER.
    User,
    /// PASS.
    Pass,
    /// QUIT.
    Quit,
    /// ABOR: answered at once during a transfer.
    Abor,
    /// STAT: answered at once while data flows.
    Stat,
    /// Answered at once, without a request to the caller (NOOP, TYPE, PORT, the verbs answered 502, ...).
    Immediate,
    /// Asks the caller for one non-transfer request (CWD, SIZE, DELE, PASV, ...).
    Request,
    /// A data transfer: open, connect, stream (RETR, STOR, LIST, ...).
    Transfer,
    /// A security command (AUTH, PBSZ, PROT, CCC): answered at once; may start or stop TLS.
    Security,
}

/// One row of the verb table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerbInfo {
    /// The canonical (upper-case) spelling.
    pub name: &'static str,
    /// What the command asks, as one sentence fragment ("downloads a file over the data connection").
    pub meaning: &'static str,
    /// When the server accepts it.
    pub gate: LoginGate,
    /// How the server session handles it.
    pub server: Handling,
    /// Whether the server's HELP reply lists it.
    pub help: bool,
    /// The FEAT line (feature name, parameters) the server's FEAT reply shows for it, if any.
    pub feat: Option<(&'static str, &'static str)>,
}

/// The row of a known verb (any letter case), or `None`.
pub fn verb_info(verb: &str) -> Option<&'static VerbInfo> {
    Verb::classify(verb).map(Verb::info)
}

impl Verb {
    /// This verb's row.
    pub(super) fn info(self) -> &'static VerbInfo {
        &VERBS[self as usize]
    }
}

impl Command<'_> {
    /// The verb table's row for this command (`None` for [`Command::Other`]).
    pub fn info(&self) -> Option<&'static VerbInfo> {
        self.known().map(Verb::info)
    }
}

/// The table's rows and the lookup's verbs are the same list, in the same order (checked at compile time).
const _: () = {
    assert!(VERBS.len() == KNOWN_VERBS.len());
    let mut i = 0;
    while i < VERBS.len() {
        let (a, b) = (VERBS[i].name.as_bytes(), KNOWN_VERBS[i].as_bytes());
        assert!(a.len() == b.len());
        let mut j = 0;
        while j < a.len() {
            assert!(a[j] == b[j]);
            j += 1;
        }
        i += 1;
    }
};

commands! {
    none {
        Cdup = "CDUP", "`CDUP`: change to the parent directory (RFC 959)."
            => "changes to the parent directory", Login, Request, help: true, feat: None;
        Rein = "REIN", "`REIN`: reinitialize the session (RFC 959)."
            => "resets the session to just after the greeting", Login, Immediate, help: false, feat: None;
        Quit = "QUIT", "`QUIT`: log out (RFC 959)."
            => "ends the session", Always, Quit, help: true, feat: None;
        Pasv = "PASV", "`PASV`: ask for a passive data connection (RFC 959)."
            => "asks the server to listen for the data connection (passive mode)", Login, Request, help: true, feat: Some(("PASV", ""));
        Abor = "ABOR", "`ABOR`: abort the transfer in progress (RFC 959)."
            => "aborts the transfer in progress", Login, Abor, help: true, feat: None;
        Pwd = "PWD", "`PWD`: print the working directory (RFC 959)."
            => "asks for the working directory", Login, Immediate, help: true, feat: None;
        Syst = "SYST", "`SYST`: ask for the system type (RFC 959)."
            => "asks for the server's system type", Always, Immediate, help: true, feat: None;
        Noop = "NOOP", "`NOOP`: do nothing (RFC 959)."
            => "does nothing (keeps the connection alive)", Always, Immediate, help: true, feat: None;
        Feat = "FEAT", "`FEAT`: list the extensions (RFC 2389)."
            => "asks which extensions the server supports", Always, Immediate, help: true, feat: None;
        Ccc = "CCC", "`CCC`: clear the command channel (RFC 2228)."
            => "clears the command channel protection", Always, Security, help: true, feat: None;
        Lpsv = "LPSV", "`LPSV`: ask for a long passive data connection (RFC 1639)."
            => "asks the server to listen, long form (RFC 1639)", Login, Request, help: true, feat: None;
        Xpwd = "XPWD", "`XPWD`: PWD under its RFC 775 name."
            => "asks for the working directory", Login, Immediate, help: true, feat: None;
        Xcup = "XCUP", "`XCUP`: CDUP under its RFC 775 name."
            => "changes to the parent directory", Login, Request, help: true, feat: None;
    }
    text {
        User = "USER", Allowed, "`USER <name>` (RFC 959)."
            => "sends the user name to log in with", Always, User, help: true, feat: None;
        Pass = "PASS", Allowed, "`PASS <password>` (RFC 959); may be empty."
            => "sends the password", Always, Pass, help: true, feat: None;
        Acct = "ACCT", Allowed, "`ACCT <account>` (RFC 959); may be empty."
            => "sends the account information the server asked for", Login, Immediate, help: false, feat: None;
        Cwd = "CWD", Refused, "`CWD <path>` (RFC 959)."
            => "changes the working directory", Login, Request, help: true, feat: None;
        Smnt = "SMNT", Refused, "`SMNT <path>`: mount a file system structure (RFC 959)."
            => "mounts a different file system structure", Login, Immediate, help: false, feat: None;
        Retr = "RETR", Refused, "`RETR <path>`: download (RFC 959)."
            => "downloads a file over the data connection", Read, Transfer, help: true, feat: None;
        Stor = "STOR", Refused, "`STOR <path>`: upload (RFC 959)."
            => "uploads a file over the data connection", Write, Transfer, help: true, feat: None;
        Appe = "APPE", Refused, "`APPE <path>`: append (RFC 959)."
            => "appends to a file over the data connection", Write, Transfer, help: true, feat: None;
        Rnfr = "RNFR", Refused, "`RNFR <path>`: rename from (RFC 959)."
            => "names the file to rename", Rename, Request, help: true, feat: None;
        Rnto = "RNTO", Refused, "`RNTO <path>`: rename to (RFC 959)."
            => "gives the new name of the file named by RNFR", Rename, Request, help: true, feat: None;
        Dele = "DELE", Refused, "`DELE <path>`: delete a file (RFC 959)."
            => "deletes a file", Delete, Request, help: true, feat: None;
        Rmd = "RMD", Refused, "`RMD <path>`: remove a directory (RFC 959)."
            => "removes a directory", Delete, Request, help: true, feat: None;
        Mkd = "MKD", Refused, "`MKD <path>`: make a directory (RFC 959)."
            => "makes a directory", Mkdir, Request, help: true, feat: None;
        Site = "SITE", Refused, "`SITE <site command and arguments>` (RFC 959)."
            => "sends a server-specific command", Login, Request, help: true, feat: None;
        Opts = "OPTS", Refused, "`OPTS <command> [<options>]` (RFC 2389)."
            => "sets an option of a command", Login, Immediate, help: true, feat: Some(("UTF8", ""));
        Size = "SIZE", Refused, "`SIZE <path>` (RFC 3659)."
            => "asks for a file's size", Read, Request, help: true, feat: Some(("SIZE", ""));
        Mdtm = "MDTM", Refused, "`MDTM <path>`: modification time (RFC 3659)."
            => "asks for a file's modification time", Read, Request, help: true, feat: Some(("MDTM", ""));
        Auth = "AUTH", Refused, "`AUTH <mechanism>, e.g. TLS` (RFC 2228, RFC 4217)."
            => "starts a security mechanism such as TLS", Always, Security, help: true, feat: None;
        Adat = "ADAT", Refused, "`ADAT <base64 data>` (RFC 2228)."
            => "sends security data", Always, Immediate, help: false, feat: None;
        Mic = "MIC", Refused, "`MIC <base64 command>`: integrity-protected command (RFC 2228)."
            => "sends a protected command", Always, Immediate, help: false, feat: None;
        Conf = "CONF", Refused, "`CONF <base64 command>`: confidentiality-protected command (RFC 2228)."
            => "sends a protected command", Always, Immediate, help: false, feat: None;
        Enc = "ENC", Refused, "`ENC <base64 command>`: private command (RFC 2228)."
            => "sends a protected command", Always, Immediate, help: false, feat: None;
        Host = "HOST", Refused, "`HOST <domain>`: select a virtual host (RFC 7151)."
            => "names the virtual host to use", Always, Immediate, help: true, feat: Some(("HOST", ""));
        Clnt = "CLNT", Allowed, "`CLNT <client name>`: name the client software (for the server's logs)."
            => "names the client software", Always, Immediate, help: true, feat: Some(("CLNT", ""));
        Mfmt = "MFMT", Refused, "`MFMT <YYYYMMDDHHMMSS> <path>`: set a file's modification time (draft-somers-ftp-mfxx)."
            => "sets a file's modification time (UTC)", Write, Request, help: true, feat: Some(("MFMT", ""));
        Hash = "HASH", Refused, "`HASH <path>`: a file's hash, by the algorithm OPTS HASH chose (draft-bryan-ftpext-hash)."
            => "asks for a file's hash (SHA-256, SHA-1 or MD5, chosen with OPTS HASH)", Read, Request, help: true, feat: Some(("HASH", "SHA-256*;SHA-1;MD5"));
        Xcwd = "XCWD", Refused, "`XCWD <path>`: CWD under its RFC 775 name."
            => "changes the working directory", Login, Request, help: true, feat: None;
        Xmkd = "XMKD", Refused, "`XMKD <path>`: MKD under its RFC 775 name."
            => "makes a directory", Mkdir, Request, help: true, feat: None;
        Xrmd = "XRMD", Refused, "`XRMD <path>`: RMD under its RFC 775 name."
            => "removes a directory", Delete, Request, help: true, feat: None;
    }
    optional {
        Stou = "STOU", "`STOU [<name>]`: store under a unique name (RFC 959 takes no argument; servers commonly accept a name or prefix)."
            => "uploads a file under a name the server picks", Write, Transfer, help: true, feat: None;
        List = "LIST", "`LIST [<path or options>]` (RFC 959)."
            => "lists a directory in a human format over the data connection", Read, Transfer, help: true, feat: None;
        Nlst = "NLST", "`NLST [<path or options>]` (RFC 959)."
            => "lists names only over the data connection", Read, Transfer, help: true, feat: None;
        Stat = "STAT", "`STAT [<path>]` (RFC 959)."
            => "asks for status", Login, Stat, help: true, feat: None;
        Help = "HELP", "`HELP [<verb>]` (RFC 959)."
            => "asks for help", Always, Immediate, help: true, feat: None;
        Mlst = "MLST", "`MLST [<path>]` (RFC 3659)."
            => "asks for one entry's facts on the control connection", Read, Request, help: true, feat: Some(("MLST", "type*;size*;modify*;UNIX.mode*;"));
        Mlsd = "MLSD", "`MLSD [<path>]` (RFC 3659)."
            => "lists a directory as machine-readable facts over the data connection", Read, Transfer, help: true, feat: None;
        Lang = "LANG", "`LANG [<language tag>]` (RFC 2640)."
            => "selects the language of the server's replies", Always, Immediate, help: true, feat: Some(("LANG", "EN*"));
    }
    typed {
        Port(SocketAddrV4) = "PORT", "`PORT h1,h2,h3,h4,p1,p2` (RFC 959)."
            => "tells the server where the client listens for the data connection (active mode)", Login, Immediate, help: true, feat: None;
        Type(TransferType) = "TYPE", "`TYPE <type>` (RFC 959)."
            => "sets the transfer type (A = ASCII, I = binary image)", Login, Immediate, help: true, feat: None;
        Stru(Structure) = "STRU", "`STRU F|R|P` (RFC 959)."
            => "sets the file structure", Login, Immediate, help: true, feat: None;
        Mode(TransferMode) = "MODE", "`MODE S|B|C` (RFC 959)."
            => "sets the transfer mode", Login, Immediate, help: true, feat: None;
        Allo(Allocation) = "ALLO", "`ALLO <size> [R <record size>]` (RFC 959)."
            => "reserves storage for an upload", Login, Immediate, help: false, feat: None;
        Rest(u64) = "REST", "`REST <byte offset>` (RFC 3659 §5, stream mode)."
            => "sets the offset the next transfer restarts from", Login, Immediate, help: true, feat: Some(("REST", "STREAM"));
        Eprt(SocketAddr) = "EPRT", "`EPRT |af|address|port|` (RFC 2428)."
            => "tells the server where the client listens, IPv4 or IPv6 (extended active mode)", Login, Immediate, help: true, feat: Some(("EPRT", ""));
        Epsv(Option<EpsvArg>) = "EPSV", "`EPSV`, `EPSV ALL` or `EPSV <net-prt>` (RFC 2428)."
            => "asks the server to listen, naming only a port (extended passive mode)", Login, Request, help: true, feat: Some(("EPSV", ""));
        Pbsz(u64) = "PBSZ", "`PBSZ <size>`: protection buffer size (RFC 2228; 0 with TLS, RFC 4217)."
            => "sets the protection buffer size", Always, Security, help: true, feat: None;
        Prot(ProtectionLevel) = "PROT", "`PROT C|S|E|P` (RFC 2228, RFC 4217)."
            => "sets the data channel protection level", Always, Security, help: true, feat: None;
        Lprt(SocketAddr) = "LPRT", "`LPRT af,hal,h1,...,pal,p1,...` (RFC 1639)."
            => "tells the server where the client listens, long form (RFC 1639)", Login, Immediate, help: true, feat: None;
    }
}
