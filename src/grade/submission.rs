//! Where the command for each program slot comes from: `--program
//! SLOT=CMD`, or a submission directory's manifest (`netcourse.yaml`):
//!
//! ```yaml
//! programs:
//!   server: python3 dict_server.py
//! ```
//!
//! The programs of a submission run in its directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The manifest's file name in a submission directory.
pub const MANIFEST: &str = "netcourse.yaml";
/// Largest manifest read, in bytes.
const MANIFEST_LIMIT: usize = 64 * 1024;

/// The command line for each slot, and where the programs run.
#[derive(Debug, Default, Clone)]
pub struct Programs {
    pub commands: BTreeMap<String, String>,
    /// The submission directory (else the current one).
    pub dir: Option<PathBuf>,
    /// Where each command was given, for messages: `--program`, or the manifest's path.
    pub origin: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    programs: BTreeMap<String, String>,
}

/// `SLOT=CMD` from the command line.
fn parse_flag(flag: &str) -> Result<(String, String), Error> {
    let usage = |why: &str| {
        Error::Usage {
        message: format!("--program `{}`: {why}", crate::text::printable(flag)),
        hint: "write the slot, `=`, and the command, quoted once for the shell: --program server='python3 server.py'".into(),
    }
    };
    let (slot, cmd) = flag.split_once('=').ok_or_else(|| usage("no `=`"))?;
    let slot = slot.trim();
    if slot.is_empty() {
        return Err(usage("no slot name before `=`"));
    }
    if cmd.trim().is_empty() {
        return Err(usage("no command after `=`"));
    }
    Ok((slot.to_string(), cmd.to_string()))
}

/// The programs a run was given: the manifest's, then each `--program`
/// (which wins over the manifest's command for its slot).
pub fn gather(submission: Option<&Path>, flags: &[String]) -> Result<Programs, Error> {
    let mut out = Programs::default();
    if let Some(dir) = submission {
        let meta = std::fs::metadata(dir).map_err(|e| Error::Usage {
            message: format!("submission `{}`: {e}", dir.display()),
            hint: "give the directory that holds the programs and their netcourse.yaml".into(),
        })?;
        if !meta.is_dir() {
            return Err(Error::Usage {
                message: format!("submission `{}` is not a directory", dir.display()),
                hint: "give the directory that holds the programs and their netcourse.yaml".into(),
            });
        }
        let path = dir.join(MANIFEST);
        let bytes =
            crate::files::read_bounded(&path, MANIFEST_LIMIT).map_err(|e| Error::Usage {
                message: format!(
                    "cannot read the submission's manifest `{}`: {}",
                    path.display(),
                    e.reason(MANIFEST_LIMIT)
                ),
                hint: format!(
                    "a submission holds a `{MANIFEST}` naming the command for each program slot, e.g.\nprograms:\n  server: python3 dict_server.py"
                ),
            })?;
        let text = String::from_utf8_lossy(&bytes);
        let manifest: Manifest = serde_saphyr::from_str(&text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let first = e.to_string();
            let first = first.lines().next().unwrap_or("invalid YAML").to_string();
            Error::Usage {
                message: format!("{}:{line}:{column}: {first}", path.display()),
                hint: "the manifest has one key, `programs:`, mapping each slot to its command, e.g.\nprograms:\n  server: python3 dict_server.py".into(),
            }
        })?;
        for (slot, cmd) in manifest.programs {
            out.origin.insert(slot.clone(), path.display().to_string());
            out.commands.insert(slot, cmd);
        }
        out.dir = Some(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()));
    }
    for flag in flags {
        let (slot, cmd) = parse_flag(flag)?;
        out.origin.insert(slot.clone(), "--program".into());
        out.commands.insert(slot, cmd);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_a_slot_and_a_command() {
        assert_eq!(
            parse_flag("server=python3 s.py --port=1").unwrap(),
            ("server".into(), "python3 s.py --port=1".into())
        );
        assert!(parse_flag("server").is_err());
        assert!(parse_flag("=python3").is_err());
        assert!(parse_flag("server= ").is_err());
    }

    #[test]
    fn a_manifest_names_commands_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("netcourse-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            "programs:\n  server: python3 a.py\n  client: python3 b.py\n",
        )
        .unwrap();
        let p = gather(Some(&dir), &["client=python3 c.py".into()]).unwrap();
        assert_eq!(p.commands["server"], "python3 a.py");
        assert_eq!(p.commands["client"], "python3 c.py");
        assert!(p.dir.is_some());
        std::fs::write(dir.join(MANIFEST), "program:\n  server: x\n").unwrap();
        let e = gather(Some(&dir), &[]).unwrap_err().to_string();
        assert!(e.contains("netcourse.yaml:1:"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
