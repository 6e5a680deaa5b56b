//! explain's stages on their own threads: one reads frames from the file
//! and dissects them, one annotates them, and the caller prints (and keeps)
//! the events. Each stage owns its state (the annotator's connections, the
//! printer's headers shown), so frames keep their order and every stage
//! sees every frame, as in one loop; the stages only overlap in time.
//! Dissecting needs no history, so it is done where the frame is read, with
//! the event's texts that follow from the dissection alone (`FrameText`):
//! the annotating thread, the slowest, has less to do.
//!
//! Frames travel in batches through channels of a few batches each, so
//! memory stays bounded however long the file is. What a stage allocated
//! goes back to that stage's thread to be freed there: glibc's allocator
//! frees another thread's memory under a lock, which cost more than the
//! printing. Printed events go back to the annotating thread, which sends
//! their layers and texts, with what the events did not take of each
//! dissection, on to the reading thread in the batch it read them in.
//! When events are only printed (`printing_only`), each thread keeps the
//! strings and vectors it gets back for the next frames' (`text::keep`,
//! `dissect::recycle`) instead of freeing them; events kept for exports
//! are left as they were made.

use std::io::Read;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{self, JoinHandle};

use super::link;
use super::reader::{CaptureReader, ReadError};
use crate::annotate::{Annotator, FrameText};
use crate::dissect::stop::Stop;
use crate::dissect::{Dissection, Layer};
use crate::live::capture::CapturedFrame;
use crate::transcript::Event;

/// Frames per batch: enough to make a channel's cost per frame small.
const BATCH: usize = 64;
/// Batches a channel holds before its sender waits.
const DEPTH: usize = 4;

/// One frame of a batch as the file gives it.
struct Raw {
    link_type: u32,
    timestamp_ns: u64,
    original_len: u32,
    bytes: std::ops::Range<usize>,
}

/// Frames read, their bytes in one buffer, and each one's dissection.
/// Back from the annotating thread, it brings what those dissections and
/// earlier ones left, to be freed by the thread that read them.
struct RawBatch {
    bytes: Vec<u8>,
    frames: Vec<Raw>,
    dissections: Vec<Dissection>,
    texts: Vec<FrameText>,
    /// What the reader made of printed events: their layers, summaries
    /// and payloads.
    spent: Vec<(Vec<Layer>, [String; 2])>,
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
    /// Printed batches, back to be freed where they were made.
    done: Sender<Vec<Explained>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Start reading `reader`. `printing_only`: see
    /// `Annotator::for_printing_only`. Fails only if a thread cannot start.
    pub fn start<R: Read + Send + 'static>(
        reader: CaptureReader<R>,
        printing_only: bool,
    ) -> std::io::Result<Pipeline> {
        let (raw_tx, raw_rx) = sync_channel(DEPTH);
        let (events_tx, events) = sync_channel(DEPTH);
        let (done, done_rx) = channel();
        // Batches the reader has no more use for; it takes one back
        // before it makes a new one, so no more are ever made than the
        // channels hold at once.
        let (back_tx, back_rx) = channel();
        let read = thread::Builder::new()
            .name("explain-read".into())
            .spawn(move || read(reader, raw_tx, back_rx, printing_only))?;
        let annotate = thread::Builder::new()
            .name("explain-annotate".into())
            // Should this fail, the reading thread ends at its first send.
            .spawn(move || annotate(raw_rx, events_tx, done_rx, back_tx, printing_only))?;
        Ok(Pipeline {
            events,
            done,
            threads: vec![read, annotate],
        })
    }

    /// Hand back a batch once its events are printed (or kept).
    pub fn printed(&self, batch: Vec<Explained>) {
        // The annotating thread may have ended; then the batch is freed here.
        let _ = self.done.send(batch);
    }

    /// Wait for the threads (after `events` ran dry); a panic in one goes
    /// on in the caller.
    pub fn finish(self) {
        drop(self.events);
        drop(self.done);
        for t in self.threads {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

fn read<R: Read>(
    mut reader: CaptureReader<R>,
    tx: SyncSender<Result<RawBatch, ReadError>>,
    back: Receiver<RawBatch>,
    recycle: bool,
) {
    // A batch back from the annotating thread, emptied here (freeing, or
    // keeping, what this thread made), else a new one.
    let empty = || match back.try_recv() {
        Ok(mut b) => {
            b.bytes.clear();
            b.frames.clear();
            // Taken by the events (see `annotate`), unless a read error
            // came first.
            b.texts.clear();
            if recycle {
                crate::dissect::recycle_dissections(b.dissections.drain(..));
                for (layers, texts) in b.spent.drain(..) {
                    crate::dissect::recycle(layers);
                    crate::text::keep(texts);
                }
            } else {
                b.dissections.clear();
                b.spent.clear();
            }
            b
        }
        Err(_) => RawBatch {
            bytes: Vec::with_capacity(BATCH * 1600),
            frames: Vec::with_capacity(BATCH),
            dissections: Vec::with_capacity(BATCH),
            texts: Vec::with_capacity(BATCH),
            spent: Vec::new(),
        },
    };
    let mut batch = empty();
    let end = loop {
        match reader.next_record() {
            Ok(Some(rec)) => {
                let at = batch.bytes.len();
                batch.bytes.extend_from_slice(rec.data);
                let mut d = link::dissect(rec.link_type, rec.data);
                if !link::supported(rec.link_type) {
                    d.stopped = Some(Stop::UnknownLinkType {
                        link_type: rec.link_type,
                        name: link::name(rec.link_type),
                    });
                }
                batch.texts.push(FrameText::of(&d, rec.data));
                batch.dissections.push(d);
                batch.frames.push(Raw {
                    link_type: rec.link_type,
                    timestamp_ns: rec.timestamp_ns,
                    original_len: rec.original_len,
                    bytes: at..batch.bytes.len(),
                });
                if batch.frames.len() == BATCH
                    && tx.send(Ok(std::mem::replace(&mut batch, empty()))).is_err()
                {
                    return;
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    if !batch.frames.is_empty() && tx.send(Ok(batch)).is_err() {
        return;
    }
    if let Some(e) = end {
        let _ = tx.send(Err(e));
    }
}

/// The short strings of a printed event that this thread made from spares
/// (`text::spare`), into `texts` to be kept for the next events': the
/// names, addresses and TCP view.
fn spent_texts(e: Event, texts: &mut Vec<String>) {
    texts.push(e.actor);
    texts.extend(e.to);
    for p in [e.mac, e.ip].into_iter().flatten() {
        texts.push(p.src);
        texts.push(p.dst);
    }
    if let Some(t) = e.tcp {
        texts.extend(t.flags);
        for o in t.options {
            texts.push(o.name);
            texts.push(o.value);
        }
        for s in t.states {
            texts.push(s.actor);
            texts.push(s.state);
        }
        texts.extend(t.role);
    }
}

fn annotate(
    rx: Receiver<Result<RawBatch, ReadError>>,
    tx: SyncSender<Batch>,
    done: Receiver<Vec<Explained>>,
    back: Sender<RawBatch>,
    printing_only: bool,
) {
    let mut annotator = Annotator::without_plan(true);
    if printing_only {
        annotator = annotator.for_printing_only();
    }
    let mut frame = CapturedFrame {
        data: Vec::with_capacity(2048),
        timestamp_ns: 0,
        crossing: None,
    };
    let mut spent = Vec::new();
    let mut texts = Vec::new();
    for batch in rx {
        // Free what was printed (here, where it was allocated, but for the
        // layers, which go back to the reader): at most the few batches
        // the channel holds wait for it.
        while let Ok(printed) = done.try_recv() {
            spent.extend(printed.into_iter().map(|mut x| {
                let e = &mut x.event;
                let payload = e.payload.take().unwrap_or_default();
                let spent = (
                    std::mem::take(&mut e.layers),
                    [std::mem::take(&mut e.summary), payload],
                );
                spent_texts(x.event, &mut texts);
                spent
            }));
            crate::text::keep(texts.drain(..));
        }
        let batch = batch.map(|mut raw| {
            let explained = raw
                .frames
                .iter()
                .zip(&mut raw.dissections)
                .zip(raw.texts.drain(..))
                .map(|((f, d), text)| {
                    let data = &raw.bytes[f.bytes.clone()];
                    frame.data.clear();
                    frame.data.extend_from_slice(data);
                    frame.timestamp_ns = f.timestamp_ns;
                    let mut event = annotator.frame_from(0, &frame, d, Some(text));
                    let captured = data.len();
                    if (f.original_len as usize) > captured {
                        event.length = Some(f.original_len as usize);
                        event.notes.syntax.push_str(&format!(
                            "\n\nOnly the first {captured} of this frame's {} bytes were captured (the capture's snapshot length).",
                            f.original_len
                        ));
                    }
                    Explained {
                        link_type: f.link_type,
                        timestamp_ns: f.timestamp_ns,
                        event,
                    }
                })
                .collect();
            raw.spent = std::mem::take(&mut spent);
            // The reader may have ended (a read error): then it is freed here.
            let _ = back.send(raw);
            explained
        });
        if tx.send(batch).is_err() {
            return;
        }
    }
}
