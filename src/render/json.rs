//! The JSON transcript: the model as it is, pretty-printed.

use std::io::{self, Write};

use crate::transcript::Transcript;

pub fn write(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, t).map_err(io::Error::other)?;
    writeln!(w)
}

pub fn read(text: &str) -> Result<Transcript, serde_json::Error> {
    serde_json::from_str(text)
}
