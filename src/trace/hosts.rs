//! `netcourse trace --lesson L`: the programs run on a lesson's hosts (each
//! in its host's network namespace), and the frames come from the wire
//! between them, each on the link it crossed. The lesson gives its hosts,
//! links and wire rules; its steps do not run.

use std::time::Duration;

use crate::cli::TraceArgs;
use crate::error::Error;
use crate::lesson;
use crate::live::capture::CapturedFrame;
use crate::live::net::FrameSource;
use crate::plan::Plan;
use crate::transcript::NetworkInfo;

use super::tracer::Program;

/// Where each program runs, and the network as the transcript tells it.
#[derive(Debug, Clone)]
pub struct Placement {
    pub info: NetworkInfo,
    /// The host of each program (index into the lesson's hosts).
    pub program_host: Vec<usize>,
    /// The host of each link end (index into `info.ends`).
    pub end_host: Vec<usize>,
    pub host_names: Vec<String>,
}

impl Placement {
    /// The host a frame was sent from, by the link end it came from.
    pub fn frame_host(&self, frame: &CapturedFrame) -> Option<usize> {
        frame
            .crossing
            .as_ref()
            .and_then(|c| self.end_host.get(c.from_end).copied())
    }

    pub fn host_of_program(&self, program: usize) -> Option<&str> {
        let host = *self.program_host.get(program)?;
        self.host_names.get(host).map(String::as_str)
    }
}

/// The lesson of `--lesson`, and the host of each program by `--host`:
/// everything that can be wrong is found before the sandbox is entered.
pub fn plan(args: &TraceArgs, labels: &[String]) -> Result<Option<(Plan, Vec<usize>)>, Error> {
    let Some(name) = &args.lesson else {
        return Ok(None);
    };
    let plan = lesson::load::find(name, &args.dirs)?.plan()?;
    let Some(topology) = &plan.network else {
        return Err(Error::Usage {
            message: format!(
                "lesson `{}` has no hosts of its own: its actors share `lo`",
                plan.name
            ),
            hint: "leave out --lesson (the programs then share the sandbox's `lo`), or pick a lesson with `hosts:`, e.g. --lesson arp-basics".into(),
        });
    };
    let names: Vec<&str> = topology.hosts.iter().map(|h| h.name.as_str()).collect();
    let example = || {
        let mut words = Vec::new();
        for (host, label) in names.iter().cycle().zip(labels) {
            words.push(format!("--host {host} --run '{label}'"));
        }
        words.join(" ")
    };
    let chosen: Vec<&str> = match args.host.len() {
        0 if names.len() == 1 => vec![names[0]; labels.len()],
        0 => {
            return Err(Error::Usage {
                message: format!(
                    "lesson `{}` has {} hosts ({}): say which one each program runs on",
                    plan.name,
                    names.len(),
                    names.join(", ")
                ),
                hint: format!("--host once per --run, in order, e.g. {}", example()),
            });
        }
        1 => vec![args.host[0].as_str(); labels.len()],
        n if n == labels.len() => args.host.iter().map(String::as_str).collect(),
        n => {
            return Err(Error::Usage {
                message: format!("--host was given {n} times for {} programs", labels.len()),
                hint: format!(
                    "give it once for every program, or once per --run in order, e.g. {}",
                    example()
                ),
            });
        }
    };
    let mut program_host = Vec::with_capacity(chosen.len());
    for host in chosen {
        let Some(i) = names.iter().position(|n| *n == host) else {
            return Err(Error::Usage {
                message: format!(
                    "lesson `{}` has no host `{}`",
                    plan.name,
                    crate::text::printable(host)
                ),
                hint: format!("its hosts: {}", names.join(", ")),
            });
        };
        program_host.push(i);
    }
    Ok(Some((plan, program_host)))
}

/// The lesson's network, running: built inside the sandbox, its wire
/// started, each program given its host's namespace.
pub struct Hosts {
    source: FrameSource,
    pub placement: Placement,
    /// Every frame taken off the wire so far (step mode takes them as they
    /// come; the transcript at the end has them all).
    taken: Vec<CapturedFrame>,
}

impl Hosts {
    /// Inside the sandbox, before the programs start.
    pub fn start(
        plan: &Plan,
        program_host: Vec<usize>,
        programs: &mut [Program],
    ) -> Result<Hosts, Error> {
        let source = FrameSource::start(plan, false)?;
        let network = source.network().ok_or_else(|| Error::Usage {
            message: format!("lesson `{}` has no hosts of its own", plan.name),
            hint: "leave out --lesson".into(),
        })?;
        for (p, &h) in programs.iter_mut().zip(&program_host) {
            p.netns = Some(network.hosts[h].netns_fd());
        }
        let mut info = NetworkInfo {
            mode: "sandbox".into(),
            interface: source.interface().into(),
            note: String::new(),
            left_out: None,
            links: Vec::new(),
            ends: Vec::new(),
            link_type: None,
        };
        crate::run::describe_network(&mut info, network);
        let placement = Placement {
            info,
            program_host,
            end_host: network.ends.iter().map(|e| e.host).collect(),
            host_names: network.hosts.iter().map(|h| h.name.clone()).collect(),
        };
        Ok(Hosts {
            source,
            placement,
            taken: Vec::new(),
        })
    }

    /// The frames that left the wire since the last call, waiting at most
    /// `bound` for frames a rule still holds.
    pub fn frames(&mut self, bound: Duration) -> Result<Vec<CapturedFrame>, Error> {
        let new = self.source.drain(bound)?;
        self.taken.extend(new.iter().cloned());
        Ok(new)
    }

    /// Every frame of the run, once the rest has left the wire (at most
    /// `bound`).
    pub fn all_frames(&mut self, bound: Duration) -> Result<Vec<CapturedFrame>, Error> {
        self.frames(bound)?;
        Ok(std::mem::take(&mut self.taken))
    }

    /// Frames the kernel dropped before the wire read them.
    pub fn dropped(&self) -> u64 {
        self.source.dropped()
    }

    /// Frames a wire rule still held when the run stopped waiting for them.
    pub fn held_back(&self) -> usize {
        self.source.held_back()
    }
}
