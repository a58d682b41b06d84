//! A TCP relay in front of the real SMTP sink that can go silent
//! mid-conversation, as a hung or overloaded mail server does: it accepts,
//! relays the greeting, then stops answering at a chosen point.
//!
//! Each new connection takes the next planned [`Stall`] (none left: it is
//! relayed whole). A stalled connection swallows what the client sends and
//! answers nothing until the client gives up; the sink never sees the rest,
//! so a message stalled before its final dot is not delivered.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Where a connection goes silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// The greeting comes through; the client's EHLO is never answered.
    AfterGreeting,
    /// Everything up to the message's final `CRLF . CRLF`, which is never
    /// relayed or answered.
    AtFinalDot,
}

impl Stall {
    /// The bytes of the client's stream at which it goes silent.
    fn trigger(self) -> &'static [u8] {
        match self {
            Stall::AfterGreeting => b"EHLO",
            Stall::AtFinalDot => b"\r\n.\r\n",
        }
    }
}

/// The relay; dropping it stops it.
pub struct StallRelay {
    port: u16,
    plan: Arc<Mutex<VecDeque<Stall>>>,
    stalled: Arc<Mutex<Vec<Stall>>>,
    task: JoinHandle<()>,
}

impl StallRelay {
    /// Listens on a loopback port and relays to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16) -> StallRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let stalled = Arc::new(Mutex::new(Vec::new()));
        let (p, st) = (plan.clone(), stalled.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let stall = p.lock().unwrap().pop_front();
                tokio::spawn(relay(client, upstream, stall, st.clone()));
            }
        });
        StallRelay {
            port,
            plan,
            stalled,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The next connections stall as `stalls` says, one each, in order.
    pub fn plan(&self, stalls: &[Stall]) {
        self.plan.lock().unwrap().extend(stalls);
    }

    /// The stalls that happened so far.
    pub fn stalled(&self) -> Vec<Stall> {
        self.stalled.lock().unwrap().clone()
    }
}

impl Drop for StallRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    upstream: u16,
    stall: Option<Stall>,
    stalled: Arc<Mutex<Vec<Stall>>>,
) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    let (mut client_r, mut client_w) = client.into_split();
    let (mut server_r, mut server_w) = server.into_split();
    let silent = Arc::new(AtomicBool::new(false));
    let quiet = silent.clone();
    // Server → client until the connection goes silent. The client's half
    // is handed back rather than dropped, so the client sees silence, not
    // a closed connection, even when the sink gives up first.
    let down = tokio::spawn(async move {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = server_r.read(&mut buf).await {
            if !quiet.load(Ordering::SeqCst) && client_w.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        client_w
    });
    let trigger = stall.map(Stall::trigger);
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = client_r.read(&mut buf).await {
        if silent.load(Ordering::SeqCst) {
            continue;
        }
        let chunk = &buf[..n];
        if let Some(t) = trigger {
            let mut window = std::mem::take(&mut tail);
            window.extend_from_slice(chunk);
            if let Some(at) = window.windows(t.len()).position(|w| w == t) {
                // Relay what came before the trigger, then nothing more.
                let before = at.saturating_sub(window.len() - n);
                let _ = server_w.write_all(&chunk[..before]).await;
                silent.store(true, Ordering::SeqCst);
                stalled
                    .lock()
                    .unwrap()
                    .push(stall.expect("a trigger has a stall"));
                continue;
            }
            tail = window[window.len().saturating_sub(t.len() - 1)..].to_vec();
        }
        if server_w.write_all(chunk).await.is_err() {
            break;
        }
    }
    let _ = server_w.shutdown().await;
    drop(server_w);
    if let Ok(w) = down.await {
        drop(w);
    }
}
