//! Renderers: each gets a finished (or partial) transcript and a writer.
//! None of them touches sockets or capture.

pub mod json;
pub mod terminal;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::transcript::Transcript;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
    Md,
    Html,
    Pcapng,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            "pcapng" => Some(Format::Pcapng),
            _ => None,
        }
    }
}

/// Where an export goes and in which format, decided before the lesson runs.
#[derive(Debug, Clone)]
pub struct Export {
    pub path: PathBuf,
    pub format: Format,
}

pub fn plan_exports(paths: &[PathBuf], forced: Option<Format>) -> Result<Vec<Export>, Error> {
    paths
        .iter()
        .map(|p| {
            let format = forced.or_else(|| Format::from_path(p)).ok_or_else(|| Error::Usage {
                message: format!("cannot tell the export format of `{}` from its extension", p.display()),
                hint: "use .json, .yaml, .md, .html or .pcapng, or pass `--export-format FORMAT`".into(),
            })?;
            if !matches!(format, Format::Json) {
                return Err(Error::Usage {
                    message: format!("exporting to {:?} is not available yet", format),
                    hint: "export to `.json` for now".into(),
                });
            }
            Ok(Export { path: p.clone(), format })
        })
        .collect()
}

pub fn write_export(export: &Export, t: &Transcript) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io { path: export.path.clone(), action: "write", reason: e.to_string() };
    let file = std::fs::File::create(&export.path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    match export.format {
        Format::Json => json::write(t, &mut w).map_err(io)?,
        _ => unreachable!("checked in plan_exports"),
    }
    std::io::Write::flush(&mut w).map_err(io)
}
