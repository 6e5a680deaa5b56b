//! The YAML transcript: the same model and schema as the JSON, as YAML.

use std::io::{self, Write};

use crate::transcript::Transcript;

pub fn write(t: &Transcript, w: &mut impl Write) -> io::Result<()> {
    let text = serde_saphyr::to_string(t).map_err(io::Error::other)?;
    w.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(w)?;
    }
    Ok(())
}

pub fn read(text: &str) -> Result<Transcript, serde_saphyr::Error> {
    serde_saphyr::from_str(text)
}
