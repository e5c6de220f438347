//! Host-port tuples. SKELETON: signatures fixed, bodies being written.
#![allow(missing_docs, unused_variables, clippy::todo)]
use core::fmt;
use core::ops::Range;
use std::net::{SocketAddr, SocketAddrV4};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Tolerant,
    Strict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub value: T,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eprt {
    pub addr: SocketAddr,
    pub delimiter: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epsv {
    pub port: u16,
    pub delimiter: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostPortError {
    #[error("being written")]
    Todo,
}

impl HostPortError {
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Syntax
    }
}

pub fn parse_port(arg: &str, mode: Mode) -> Result<Parsed<SocketAddrV4>, HostPortError> {
    todo!()
}
pub fn parse_pasv(reply: &[u8], mode: Mode) -> Result<Parsed<SocketAddrV4>, HostPortError> {
    todo!()
}
pub fn parse_eprt(arg: &str) -> Result<Parsed<Eprt>, HostPortError> {
    todo!()
}
pub fn parse_epsv(reply: &[u8]) -> Result<Parsed<Epsv>, HostPortError> {
    todo!()
}
pub fn parse_lprt(arg: &str) -> Result<Parsed<SocketAddr>, HostPortError> {
    todo!()
}
pub fn parse_lpsv(reply: &[u8], mode: Mode) -> Result<Parsed<SocketAddr>, HostPortError> {
    todo!()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortArg(pub SocketAddrV4);
impl fmt::Display for PortArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
    }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EprtArg(pub SocketAddr);
impl fmt::Display for EprtArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
    }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LprtArg(pub SocketAddr);
impl fmt::Display for LprtArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
    }
}
