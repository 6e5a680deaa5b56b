//! Program slots: an actor that is a program the person running the lesson
//! names (`--program server='python3 server.py'`), traced while the
//! lesson's scripted actors play its counterpart, and graded on what it did.

use super::{Plan, Transport};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramSlot {
    /// The slot's name, as `--program` and a submission's manifest name it.
    pub slot: String,
    /// What the program reads on its standard input.
    pub stdin: Vec<u8>,
    pub expects: Vec<ProgramExpect>,
}

/// One thing the program must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramExpect {
    /// A line it printed contains this text.
    Prints(String),
    /// One of its socket calls sent exactly these bytes.
    Sends(Vec<u8>),
    /// One of its socket calls received exactly these bytes.
    Receives(Vec<u8>),
    /// Its first process exited with this status.
    Exits(i32),
}

impl ProgramExpect {
    /// As the report titles it: `prints "hello"`.
    pub fn title(&self) -> String {
        let quote = |b: &[u8]| crate::text::py_bytes(b);
        match self {
            ProgramExpect::Prints(t) => format!("prints a line containing {t:?}"),
            ProgramExpect::Sends(b) => format!("sends {}", quote(b)),
            ProgramExpect::Receives(b) => format!("receives {}", quote(b)),
            ProgramExpect::Exits(n) => format!("exits with status {n}"),
        }
    }
}

impl Plan {
    /// The actors that are program slots, with their index.
    pub fn programs(&self) -> impl Iterator<Item = (usize, &ProgramSlot)> {
        self.actors
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.program.as_ref().map(|p| (i, p)))
    }

    /// What a program slot must do to be reachable, in words: `bind UDP port
    /// 5000`, `listen on TCP port 50007`; None for a program nobody reaches.
    pub fn program_ready_text(&self, actor: usize) -> Option<String> {
        let a = &self.actors[actor];
        if a.addr.port() == 0 {
            return None;
        }
        Some(match a.transport {
            Transport::Udp => format!("binds UDP port {}", a.addr.port()),
            Transport::Tcp => format!("listens on TCP port {}", a.addr.port()),
        })
    }
}
