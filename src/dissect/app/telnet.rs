//! TELNET (RFC 854, RFC 855): data bytes, and commands introduced by IAC
//! (255). Options are negotiated with `IAC WILL|WONT|DO|DONT option`;
//! `IAC SB option … IAC SE` carries an option's parameters; `IAC IAC` is a
//! data byte 255.

use super::super::Layer;
use super::super::builder::hex;
use super::super::enums::enum_with_unknown;
use super::super::payload::display;
use super::super::stop::{Header, Problem, Stop};
use super::builder;

pub const IAC: u8 = 255;

enum_with_unknown! {
    /// A command after IAC.
    pub enum Command(u8) {
        Se = 240 => "SE",
        Nop = 241 => "NOP",
        DataMark = 242 => "Data Mark",
        Break = 243 => "Break",
        InterruptProcess = 244 => "Interrupt Process",
        AbortOutput = 245 => "Abort Output",
        AreYouThere = 246 => "Are You There",
        EraseCharacter = 247 => "Erase Character",
        EraseLine = 248 => "Erase Line",
        GoAhead = 249 => "Go Ahead",
        Sb = 250 => "SB",
        Will = 251 => "WILL",
        Wont = 252 => "WONT",
        Do = 253 => "DO",
        Dont = 254 => "DONT",
        Iac = 255 => "IAC",
    }
}

enum_with_unknown! {
    /// A TELNET option (IANA "Telnet Options").
    pub enum Opt(u8) {
        Binary = 0 => "Binary Transmission",
        Echo = 1 => "Echo",
        SuppressGoAhead = 3 => "Suppress Go Ahead",
        Status = 5 => "Status",
        TimingMark = 6 => "Timing Mark",
        TerminalType = 24 => "Terminal Type",
        WindowSize = 31 => "Negotiate About Window Size",
        TerminalSpeed = 32 => "Terminal Speed",
        RemoteFlowControl = 33 => "Remote Flow Control",
        Linemode = 34 => "Linemode",
        XDisplay = 35 => "X Display Location",
        Environment = 36 => "Environment Option",
        NewEnvironment = 39 => "New Environment Option",
    }
}

pub fn command_text(c: u8) -> String {
    match Command::from(c).name() {
        Some(n) => format!("{c} ({n})"),
        None => c.to_string(),
    }
}

pub fn option_text(o: u8) -> String {
    match Opt::from(o).name() {
        Some(n) => format!("{o} ({n})"),
        None => o.to_string(),
    }
}

/// One piece of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// WILL, WONT, DO or DONT and the option.
    Negotiation { command: u8, option: u8 },
    /// IAC SB option … IAC SE.
    Subnegotiation { option: u8, parameters: Vec<u8> },
    /// Any other command (NOP, Go Ahead, …).
    Command(u8),
    /// Data bytes (IAC IAC counted as one 255).
    Data(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Info {
    pub items: Vec<Item>,
}

impl Info {
    pub fn negotiations(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.items.iter().filter_map(|i| match *i {
            Item::Negotiation { command, option } => Some((command, option)),
            _ => None,
        })
    }
    pub fn data_len(&self) -> usize {
        self.items
            .iter()
            .map(|i| match i {
                Item::Data(d) => d.len(),
                _ => 0,
            })
            .sum()
    }
}

pub fn decode(msg: &[u8]) -> (Layer, Info, Option<Stop>) {
    let mut b = builder(msg, Header::Telnet);
    let mut info = Info::default();
    let mut stop = None;
    let mut pos = 0;
    let mut data_start = 0;
    let mut data = Vec::new();
    let flush = |b: &mut super::super::builder::LayerBuilder<'_>,
                 info: &mut Info,
                 data: &mut Vec<u8>,
                 from: usize,
                 to: usize| {
        if to > from {
            b.bytes("data", from..to, |_| display(data));
            info.items.push(Item::Data(std::mem::take(data)));
        }
    };
    while pos < msg.len() {
        let c = msg[pos];
        if c != IAC {
            data.push(c);
            pos += 1;
            continue;
        }
        let Some(&cmd) = msg.get(pos + 1) else {
            stop = Some(Problem::TelnetCut);
            break;
        };
        if cmd == IAC {
            data.push(IAC);
            pos += 2;
            continue;
        }
        flush(&mut b, &mut info, &mut data, data_start, pos);
        let at = pos;
        match Command::from(cmd) {
            Command::Will | Command::Wont | Command::Do | Command::Dont => {
                let Some(&option) = msg.get(pos + 2) else {
                    stop = Some(Problem::TelnetCut);
                    break;
                };
                let name = Command::from(cmd).name().unwrap_or("?");
                let opt = Opt::from(option)
                    .name()
                    .map_or(option.to_string(), str::to_string);
                b.bytes("negotiation", at..at + 3, |_| format!("IAC {name} {opt}"));
                b.bytes("command", at + 1..at + 2, |_| command_text(cmd));
                b.bytes("option", at + 2..at + 3, |_| option_text(option));
                info.items.push(Item::Negotiation {
                    command: cmd,
                    option,
                });
                pos += 3;
            }
            Command::Sb => {
                let Some(&option) = msg.get(pos + 2) else {
                    stop = Some(Problem::TelnetCut);
                    break;
                };
                // The parameters run to IAC SE; IAC IAC inside is a 255.
                let mut i = pos + 3;
                let mut params = Vec::new();
                let end = loop {
                    match (msg.get(i), msg.get(i + 1)) {
                        (Some(&IAC), Some(&IAC)) => {
                            params.push(IAC);
                            i += 2;
                        }
                        (Some(&IAC), Some(&240)) => break Some(i),
                        (Some(&p), _) => {
                            params.push(p);
                            i += 1;
                        }
                        (None, _) => break None,
                    }
                };
                let Some(se) = end else {
                    stop = Some(Problem::TelnetOpenSubnegotiation);
                    break;
                };
                b.bytes("command", at + 1..at + 2, |_| command_text(cmd));
                b.bytes("option", at + 2..at + 3, |_| option_text(option));
                let mut first_param = at + 3;
                // These options' parameters start with IS, SEND or INFO,
                // then text (RFC 1091, 1079, 1096, 1572).
                let texty = matches!(option, 24 | 32 | 35 | 36 | 39);
                if texty && se > first_param {
                    let sub = msg[first_param];
                    b.bytes("subcommand", first_param..first_param + 1, |_| match sub {
                        0 => "0 (IS)".to_string(),
                        1 => "1 (SEND)".to_string(),
                        2 => "2 (INFO)".to_string(),
                        n => n.to_string(),
                    });
                    first_param += 1;
                }
                if se > first_param {
                    b.bytes("subnegotiation parameters", first_param..se, |s| {
                        if texty { display(s) } else { hex(s) }
                    });
                }
                b.bytes("command", se + 1..se + 2, |_| command_text(240));
                info.items.push(Item::Subnegotiation {
                    option,
                    parameters: params,
                });
                pos = se + 2;
            }
            _ => {
                b.bytes("command", at + 1..at + 2, |_| command_text(cmd));
                info.items.push(Item::Command(cmd));
                pos += 2;
            }
        }
        data_start = pos;
    }
    let end = if stop.is_some() { pos } else { msg.len() };
    flush(&mut b, &mut info, &mut data, data_start, end);
    let stop = stop.map(|problem| Stop::Malformed {
        header: Header::Telnet,
        offset: pos,
        problem,
    });
    (b.finish(msg.len()), info, stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_subnegotiation_and_data() {
        let m = [
            IAC, 253, 24, IAC, 251, 1, IAC, 250, 24, 1, IAC, 240, b'h', b'i', IAC, IAC, b'\r',
            b'\n',
        ];
        let (l, info, stop) = decode(&m);
        assert_eq!(stop, None);
        assert_eq!(
            info.negotiations().collect::<Vec<_>>(),
            [(253, 24), (251, 1)]
        );
        assert_eq!(l.value("negotiation"), Some("IAC DO Terminal Type"));
        assert_eq!(l.value("command"), Some("253 (DO)"));
        assert_eq!(l.value("option"), Some("24 (Terminal Type)"));
        assert!(info.items.contains(&Item::Subnegotiation {
            option: 24,
            parameters: vec![1]
        }));
        assert_eq!(info.data_len(), 5);
        let data = l.field("data").unwrap();
        assert_eq!((data.offset, data.length), (12, 6));
        // IAC IAC is one data byte 255: not UTF-8, so shown as hex.
        assert_eq!(data.value, "68 69 ff 0d 0a");
        assert_eq!(l.value("subcommand"), Some("1 (SEND)"));
    }

    #[test]
    fn cut_commands_stop() {
        assert!(matches!(
            decode(&[b'a', IAC]).2,
            Some(Stop::Malformed {
                problem: Problem::TelnetCut,
                offset: 1,
                ..
            })
        ));
        assert!(matches!(
            decode(&[IAC, 253]).2,
            Some(Stop::Malformed {
                problem: Problem::TelnetCut,
                ..
            })
        ));
        assert!(matches!(
            decode(&[IAC, 250, 24, 1]).2,
            Some(Stop::Malformed {
                problem: Problem::TelnetOpenSubnegotiation,
                ..
            })
        ));
        assert_eq!(decode(&[IAC, 241]).1.items, [Item::Command(241)]);
    }
}
