//! The simulated world: ftpkit's client and server sessions wired in memory, for the live session in the page.

use crate::error::Failure;
use crate::to_js;
use ftpkit_proto::sim::{self, Nat, Sim, SimConfig, SimMode};
use ftpkit_proto::transcript::json;
use ftpkit_proto::ErrorKind;
use std::net::Ipv4Addr;
use wasm_bindgen::prelude::*;

fn nat(field: &str, public: Option<&str>, helper: bool) -> Result<Option<Nat>, Failure> {
    match public.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<Ipv4Addr>()
            .map(|public| Some(Nat { public, helper }))
            .map_err(|_| Failure::new(ErrorKind::Syntax, format!("{field}: {t:?} is not an IPv4 address"))),
    }
}

/// The world's set-up from the page's controls: a mode name, the public address of a NAT in front of the client
/// and/or the server (empty for none), whether the NATs have an FTP helper, and whether the client trusts the
/// address in a 227.
pub fn config(
    mode: &str,
    client_nat: Option<&str>,
    server_nat: Option<&str>,
    helper: bool,
    trust_pasv_address: bool,
) -> Result<SimConfig, Failure> {
    let mode = SimMode::from_name(mode).ok_or_else(|| {
        Failure::new(ErrorKind::Syntax, format!("mode: {mode:?} is not one of pasv, epsv, port, eprt"))
    })?;
    Ok(SimConfig {
        mode,
        client_nat: nat("client NAT", client_nat, helper)?,
        server_nat: nat("server NAT", server_nat, helper)?,
        trust_pasv_address,
        ..SimConfig::default()
    })
}

/// A live session: `new SimWorld("port", "", "", false, false)`, then `step()`, `back()`, `run()`, `state()`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct SimWorld {
    inner: Sim,
}

impl SimWorld {
    /// The world for a set-up: a mode name, the NATs' public addresses (empty for none), helper, trust in a 227.
    pub fn create(
        mode: &str,
        client_nat: Option<&str>,
        server_nat: Option<&str>,
        helper: bool,
        trust_pasv_address: bool,
    ) -> Result<SimWorld, Failure> {
        let config = config(mode, client_nat, server_nat, helper, trust_pasv_address)?;
        // The binding's clock (the page's performance.now() in the browser); no timer fires in the world.
        Ok(SimWorld { inner: Sim::new(config, ftpkit_proto::time::Instant::now()) })
    }

    /// The events of the next step, as a JSON array.
    pub fn step_json(&mut self) -> String {
        json::array(self.inner.step().iter().map(sim::event_json))
    }

    /// The whole state, as the core renders it.
    pub fn state_json(&self) -> String {
        self.inner.to_json()
    }
}

#[wasm_bindgen]
impl SimWorld {
    /// A new world, nothing played yet. Throws on a bad mode or address.
    #[wasm_bindgen(constructor)]
    pub fn new(
        mode: &str,
        client_nat: Option<String>,
        server_nat: Option<String>,
        helper: bool,
        trust_pasv_address: bool,
    ) -> Result<SimWorld, JsValue> {
        SimWorld::create(mode, client_nat.as_deref(), server_nat.as_deref(), helper, trust_pasv_address)
            .map_err(Failure::into_js)
    }

    /// Plays one step; returns its events (an empty array once the session is over).
    pub fn step(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.step_json())
    }

    /// Steps back one step (the world is replayed from the start).
    pub fn back(&mut self) {
        self.inner.back();
    }

    /// Plays to the end.
    pub fn run(&mut self) {
        self.inner.run();
    }

    /// True when the session is over.
    #[wasm_bindgen(js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    /// The number of steps played.
    pub fn steps(&self) -> usize {
        self.inner.steps()
    }

    /// Everything: events, both transcripts, the decoded items, the timeline, what was received.
    pub fn state(&self) -> Result<JsValue, JsValue> {
        to_js(&self.state_json())
    }
}
