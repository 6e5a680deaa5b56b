//! The YAML transcript: the same model and schema as the JSON, as YAML.

use std::io::{self, Write};

use crate::transcript::Transcript;

pub fn write(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    serde_saphyr::to_io_writer(w, t).map_err(io::Error::other)
}

pub fn read(text: &str) -> Result<Transcript, serde_saphyr::Error> {
    serde_saphyr::from_str(text)
}
