//! A batch's transaction, written on a task of its own while the next
//! messages are built.
//!
//! A run of new tickets' writes is several round trips on PostgreSQL (the
//! merged inserts' stages, `store::script_pg::merge`). Polled from the
//! loop that builds the next messages, a run moved on only between two
//! messages: each time the server answered a stage it waited, idle, until
//! the builder finished the message in hand before it got the next (and
//! the builder wrote the merged statements' text and arguments itself).
//! Here the run is a task of the runtime, woken as soon as the server
//! answers, on the other core; the builder only asks whether it is done.
//! The statements, their order and the one connection are what they were:
//! the builder waits for the task ([`Writer::idle`]) before anything else
//! uses the transaction.
//!
//! SQLite writes a run (one message's script) on its own thread already,
//! in one hand-off: there the run stays in this task, polled as the
//! builder goes (a task per message cost SQLite's ingest a sixth more CPU
//! in this process).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use anyhow::{Context, Result};
use tokio::task::JoinHandle;

use crate::store::script::{Prepared, Script};
use crate::store::{Backend, Tx};

/// The transaction, with what is known of its prepared statements, when
/// no run holds it.
type Held = (Tx, Prepared);

/// What a run gives back: the transaction and the run's result.
type Ran = (Tx, Prepared, Result<()>);

/// A run in progress.
enum Running {
    /// On a task of its own (PostgreSQL).
    Task(JoinHandle<Ran>),
    /// Polled here (SQLite); `None` once it is done, with what it gave.
    Here(Pin<Box<dyn Future<Output = Ran> + Send>>, Option<Ran>),
}

/// The transaction: held here, or lent to the run of a script.
pub(super) struct Writer {
    backend: Backend,
    held: Option<Box<Held>>,
    running: Option<Running>,
}

impl Writer {
    pub(super) fn new(tx: Tx, backend: Backend) -> Writer {
        Writer {
            backend,
            held: Some(Box::new((tx, Prepared::default()))),
            running: None,
        }
    }

    /// Starts running `script` (on a task of its own on PostgreSQL); the
    /// writer must be idle ([`Writer::idle`] first). An empty script
    /// starts nothing.
    pub(super) async fn send(&mut self, script: Script) {
        if script.is_empty() {
            return;
        }
        let Some(held) = self.held.take() else {
            unreachable!("a script is sent only when the writer is idle");
        };
        let (mut tx, mut prepared) = *held;
        let backend = self.backend;
        let run = async move {
            let r = script.run_with(&mut tx, backend, &mut prepared).await;
            (tx, prepared, r)
        };
        self.running = Some(match backend {
            Backend::Postgres => Running::Task(tokio::spawn(run)),
            Backend::Sqlite => Running::Here(Box::pin(run), None),
        });
        // SQLite's thread gets the script now.
        self.done().await;
    }

    /// Whether the last script sent has run (or none is running).
    pub(super) async fn done(&mut self) -> bool {
        match &mut self.running {
            None => true,
            Some(Running::Task(handle)) => handle.is_finished(),
            Some(Running::Here(_, Some(_))) => true,
            Some(Running::Here(run, ran)) => match futures::poll!(run.as_mut()) {
                Poll::Ready(r) => {
                    *ran = Some(r);
                    true
                }
                Poll::Pending => false,
            },
        }
    }

    /// The transaction, once the script sent last has run: its error, if
    /// it failed (the transaction is then dropped with the writer, rolled
    /// back), or its panic, raised here as the builder's own.
    pub(super) async fn idle(&mut self) -> Result<(&mut Tx, &mut Prepared)> {
        if let Some(running) = self.running.take() {
            let (tx, prepared, r) = match running {
                Running::Task(handle) => match handle.await {
                    Ok(done) => done,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => return Err(e).context("the batch's writes were cancelled"),
                },
                Running::Here(_, Some(ran)) => ran,
                Running::Here(run, None) => run.await,
            };
            self.held = Some(Box::new((tx, prepared)));
            r?;
        }
        let Some(held) = self.held.as_deref_mut() else {
            unreachable!("the transaction is held when no script runs");
        };
        Ok((&mut held.0, &mut held.1))
    }

    /// The transaction, for its commit, once everything sent has run.
    pub(super) async fn finish(mut self) -> Result<Tx> {
        self.idle().await?;
        let Some(held) = self.held.take() else {
            unreachable!("idle holds the transaction");
        };
        Ok(held.0)
    }
}
