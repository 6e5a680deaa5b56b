//! explain's stages on their own threads: one reads and dissects frames,
//! one annotates them, and the caller prints (and keeps) the events. Each
//! stage owns its state (the reader's buffer, the annotator's connections,
//! the printer's headers shown), so frames keep their order and every
//! stage sees every frame, as in one loop; the stages only overlap in time.
//! Frames travel in batches through channels of a few batches each, so
//! memory stays bounded however long the file is.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{self, JoinHandle};

use super::link;
use super::reader::{CaptureReader, ReadError};
use crate::annotate::Annotator;
use crate::dissect::Dissection;
use crate::dissect::stop::Stop;
use crate::live::capture::CapturedFrame;
use crate::transcript::Event;

/// Frames per batch: enough to make a channel's cost per frame small.
const BATCH: usize = 64;
/// Batches a channel holds before its sender waits.
const DEPTH: usize = 4;

/// A frame as the reading thread hands it on.
struct Dissected {
    link_type: u32,
    original_len: u32,
    frame: CapturedFrame,
    d: Dissection,
}

/// A frame's event, and what the file said of the frame.
pub struct Explained {
    pub link_type: u32,
    pub timestamp_ns: u64,
    pub event: Event,
}

/// The batches of events in file order; a read error, if any, comes last.
pub type Batch = Result<Vec<Explained>, ReadError>;

pub struct Pipeline {
    pub events: Receiver<Batch>,
    threads: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Start reading `reader`. `printing_only`: see
    /// `Annotator::for_printing_only`.
    pub fn start<R: Read + Send + 'static>(
        reader: CaptureReader<R>,
        printing_only: bool,
    ) -> Pipeline {
        let (dissected_tx, dissected_rx) = sync_channel(DEPTH);
        let (events_tx, events) = sync_channel(DEPTH);
        let read = thread::Builder::new()
            .name("explain-read".into())
            .spawn(move || read_and_dissect(reader, dissected_tx))
            .expect("spawn the reading thread");
        let annotate = thread::Builder::new()
            .name("explain-annotate".into())
            .spawn(move || annotate(dissected_rx, events_tx, printing_only))
            .expect("spawn the annotating thread");
        Pipeline {
            events,
            threads: vec![read, annotate],
        }
    }

    /// Wait for the threads (after `events` ran dry); a panic in one goes
    /// on in the caller.
    pub fn finish(self) {
        drop(self.events);
        for t in self.threads {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

fn read_and_dissect<R: Read>(
    mut reader: CaptureReader<R>,
    tx: SyncSender<Result<Vec<Dissected>, ReadError>>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let end = loop {
        match reader.next_record() {
            Ok(Some(rec)) => {
                let mut d = link::dissect(rec.link_type, rec.data);
                if !link::supported(rec.link_type) {
                    d.stopped = Some(Stop::UnknownLinkType {
                        link_type: rec.link_type,
                        name: link::name(rec.link_type),
                    });
                }
                batch.push(Dissected {
                    link_type: rec.link_type,
                    original_len: rec.original_len,
                    frame: CapturedFrame {
                        data: rec.data.to_vec(),
                        timestamp_ns: rec.timestamp_ns,
                        crossing: None,
                    },
                    d,
                });
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(Ok(full)).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    if !batch.is_empty() && tx.send(Ok(batch)).is_err() {
        return;
    }
    if let Some(e) = end {
        let _ = tx.send(Err(e));
    }
}

fn annotate(
    rx: Receiver<Result<Vec<Dissected>, ReadError>>,
    tx: SyncSender<Batch>,
    printing_only: bool,
) {
    let mut annotator = Annotator::without_plan(true);
    if printing_only {
        annotator = annotator.for_printing_only();
    }
    for batch in rx {
        let batch = batch.map(|frames| {
            frames
                .into_iter()
                .map(|f| {
                    let captured = f.frame.data.len();
                    let mut event = annotator.frame_dissected(0, &f.frame, f.d);
                    if (f.original_len as usize) > captured {
                        event.length = Some(f.original_len as usize);
                        event.notes.syntax.push_str(&format!(
                            "\n\nOnly the first {captured} of this frame's {} bytes were captured (the capture's snapshot length).",
                            f.original_len
                        ));
                    }
                    Explained {
                        link_type: f.link_type,
                        timestamp_ns: f.frame.timestamp_ns,
                        event,
                    }
                })
                .collect()
        });
        if tx.send(batch).is_err() {
            return;
        }
    }
}
