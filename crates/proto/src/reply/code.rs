//! Reply codes: [`Code`] (checked: 100-599, or RFC 2228's 631-633), its [`Class`] and [`Category`], and a named
//! constant for each code RFC 959 and its extensions define.
use super::ReplyError;
use core::fmt;

/// A reply code: three ASCII digits with the first one 1-5, or one of RFC 2228's 631, 632 and 633.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

/// The first digit of a reply code (RFC 959 §4.2.1, RFC 2228 §3 for 6yz).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// 1yz: the action is started; expect another reply before the next command.
    PositivePreliminary,
    /// 2yz: the action completed.
    PositiveCompletion,
    /// 3yz: accepted, more information is needed (a password, a rename target).
    PositiveIntermediate,
    /// 4yz: not done, but trying again may work.
    TransientNegative,
    /// 5yz: not done, do not repeat as is.
    PermanentNegative,
    /// 6yz: a protected reply (RFC 2228: 631 integrity, 632 confidentiality, 633 both).
    Protected,
}

/// The second digit of a reply code (RFC 959 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// x0z: syntax errors, unimplemented or superfluous commands.
    Syntax,
    /// x1z: replies to requests for information (status, help).
    Information,
    /// x2z: the control and data connections.
    Connections,
    /// x3z: login and accounting.
    Authentication,
    /// x4z: unspecified.
    Unspecified,
    /// x5z: the file system.
    FileSystem,
    /// A second digit of 6-9, which RFC 959 does not define; the digit is kept.
    Other(u8),
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl Code {
            $($(#[$doc])* pub const $name: Code = Code($value);)*
        }
    };
}

codes! {
    /// 110 Restart marker reply.
    RESTART_MARKER = 110;
    /// 120 Service ready in nnn minutes.
    SERVICE_READY_LATER = 120;
    /// 125 Data connection already open; transfer starting.
    DATA_ALREADY_OPEN = 125;
    /// 150 File status okay; about to open data connection.
    FILE_STATUS_OK = 150;
    /// 200 Command okay.
    OK = 200;
    /// 202 Command not implemented, superfluous at this site.
    SUPERFLUOUS = 202;
    /// 211 System status, or system help reply (FEAT).
    SYSTEM_STATUS = 211;
    /// 212 Directory status.
    DIRECTORY_STATUS = 212;
    /// 213 File status (SIZE, MDTM).
    FILE_STATUS = 213;
    /// 214 Help message.
    HELP = 214;
    /// 215 NAME system type.
    SYSTEM_TYPE = 215;
    /// 220 Service ready for new user.
    SERVICE_READY = 220;
    /// 221 Service closing control connection.
    CLOSING = 221;
    /// 225 Data connection open; no transfer in progress.
    DATA_OPEN = 225;
    /// 226 Closing data connection; requested action successful.
    CLOSING_DATA = 226;
    /// 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    PASSIVE = 227;
    /// 228 Entering Long Passive Mode (RFC 1639).
    LONG_PASSIVE = 228;
    /// 229 Entering Extended Passive Mode (|||port|) (RFC 2428).
    EXTENDED_PASSIVE = 229;
    /// 230 User logged in, proceed.
    LOGGED_IN = 230;
    /// 232 User logged in, authorized by security data exchange (RFC 2228).
    LOGGED_IN_AUTHORIZED = 232;
    /// 234 Security data exchange complete (AUTH TLS accepted, RFC 2228/4217).
    SECURITY_EXCHANGE_DONE = 234;
    /// 235 Security data exchange completed successfully (RFC 2228).
    SECURITY_DATA_ACCEPTED = 235;
    /// 250 Requested file action okay, completed.
    FILE_ACTION_OK = 250;
    /// 257 "PATHNAME" created (also the PWD reply).
    PATH_CREATED = 257;
    /// 331 User name okay, need password.
    NEED_PASSWORD = 331;
    /// 332 Need account for login.
    NEED_ACCOUNT = 332;
    /// 334 Requested security mechanism is ok (RFC 2228).
    SECURITY_MECHANISM_OK = 334;
    /// 350 Requested file action pending further information (RNFR, REST).
    PENDING_FURTHER_INFO = 350;
    /// 421 Service not available, closing control connection.
    SERVICE_NOT_AVAILABLE = 421;
    /// 425 Can't open data connection.
    CANT_OPEN_DATA = 425;
    /// 426 Connection closed; transfer aborted.
    TRANSFER_ABORTED = 426;
    /// 450 Requested file action not taken (file unavailable, busy).
    FILE_BUSY = 450;
    /// 451 Requested action aborted: local error in processing.
    LOCAL_ERROR = 451;
    /// 452 Requested action not taken: insufficient storage space.
    INSUFFICIENT_STORAGE = 452;
    /// 500 Syntax error, command unrecognized (also: command line too long).
    SYNTAX_ERROR = 500;
    /// 501 Syntax error in parameters or arguments.
    ARGUMENT_SYNTAX_ERROR = 501;
    /// 502 Command not implemented.
    NOT_IMPLEMENTED = 502;
    /// 503 Bad sequence of commands.
    BAD_SEQUENCE = 503;
    /// 504 Command not implemented for that parameter.
    PARAMETER_NOT_IMPLEMENTED = 504;
    /// 530 Not logged in.
    NOT_LOGGED_IN = 530;
    /// 532 Need account for storing files.
    NEED_ACCOUNT_TO_STORE = 532;
    /// 550 Requested action not taken: file unavailable (not found, no access).
    FILE_UNAVAILABLE = 550;
    /// 551 Requested action aborted: page type unknown.
    PAGE_TYPE_UNKNOWN = 551;
    /// 552 Requested file action aborted: exceeded storage allocation.
    EXCEEDED_STORAGE = 552;
    /// 553 Requested action not taken: file name not allowed.
    FILE_NAME_NOT_ALLOWED = 553;
    /// 631 Integrity protected reply (RFC 2228).
    INTEGRITY_PROTECTED = 631;
    /// 632 Confidentiality and integrity protected reply (RFC 2228).
    CONFIDENTIAL_PROTECTED = 632;
    /// 633 Confidentiality protected reply (RFC 2228).
    PRIVACY_PROTECTED = 633;
}

impl Code {
    /// Check a numeric code: 100-599, or 631-633.
    pub const fn new(value: u16) -> Result<Code, ReplyError> {
        if (value >= 100 && value <= 599) || (value >= 631 && value <= 633) {
            Ok(Code(value))
        } else {
            Err(ReplyError::InvalidCode { value })
        }
    }

    /// Read a code from its three ASCII digits (the start of a reply line). `line` is only used in the error.
    pub fn from_digits(digits: [u8; 3], line: usize) -> Result<Code, ReplyError> {
        for (i, d) in digits.iter().enumerate() {
            if !d.is_ascii_digit() {
                return Err(ReplyError::NonDigit { line, position: i + 1, byte: *d });
            }
        }
        let value = digits.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        Code::new(value).map_err(|_| ReplyError::CodeOutOfRange { line, value })
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The three ASCII digits.
    pub const fn digits(self) -> [u8; 3] {
        [b'0' + (self.0 / 100) as u8, b'0' + (self.0 / 10 % 10) as u8, b'0' + (self.0 % 10) as u8]
    }

    /// The class (first digit).
    pub const fn class(self) -> Class {
        match self.0 / 100 {
            1 => Class::PositivePreliminary,
            2 => Class::PositiveCompletion,
            3 => Class::PositiveIntermediate,
            4 => Class::TransientNegative,
            5 => Class::PermanentNegative,
            _ => Class::Protected,
        }
    }

    /// The category (second digit).
    pub const fn category(self) -> Category {
        match (self.0 / 10 % 10) as u8 {
            0 => Category::Syntax,
            1 => Category::Information,
            2 => Category::Connections,
            3 => Category::Authentication,
            4 => Category::Unspecified,
            5 => Category::FileSystem,
            d => Category::Other(d),
        }
    }

    /// 1yz: a preliminary reply; another reply follows.
    pub const fn is_preliminary(self) -> bool {
        matches!(self.class(), Class::PositivePreliminary)
    }

    /// 2yz: completed.
    pub const fn is_completion(self) -> bool {
        matches!(self.class(), Class::PositiveCompletion)
    }

    /// 3yz: more information needed.
    pub const fn is_intermediate(self) -> bool {
        matches!(self.class(), Class::PositiveIntermediate)
    }

    /// 1yz, 2yz or 3yz.
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// 4yz: transient failure.
    pub const fn is_transient_negative(self) -> bool {
        matches!(self.class(), Class::TransientNegative)
    }

    /// 5yz: permanent failure.
    pub const fn is_permanent_negative(self) -> bool {
        matches!(self.class(), Class::PermanentNegative)
    }

    /// 4yz or 5yz.
    pub const fn is_negative(self) -> bool {
        self.0 >= 400 && self.0 < 600
    }

    /// 6yz: an RFC 2228 protected reply, whose text carries an encoded reply.
    pub const fn is_protected(self) -> bool {
        matches!(self.class(), Class::Protected)
    }
}

impl TryFrom<u16> for Code {
    type Error = ReplyError;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Code::new(value)
    }
}

impl From<Code> for u16 {
    fn from(code: Code) -> u16 {
        code.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}
