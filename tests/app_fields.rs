//! The application layer against tshark: for each application lesson, every
//! field we show that Wireshark also decodes (`dns.id`, `dns.flags.*`,
//! `http.request.method`, `smtp.req.command`, `ftp.passive.port`,
//! `telnet.cmd`, …), compared value by value on the exported bytes.

mod common;
use common::*;

/// How our values and tshark's are compared.
#[derive(Clone, Copy, PartialEq)]
enum Take {
    /// Every occurrence, in order.
    All,
    /// The first occurrence only (tshark gives a multi-line reply's code once).
    First,
}

use Take::*;

/// (our protocol, our field names, tshark field, how).
const MAP: &[(&str, &[&str], &str, Take)] = &[
    ("DNS", &["transaction ID"], "dns.id", First),
    ("DNS", &["flags"], "dns.flags", First),
    ("DNS", &["flags.QR"], "dns.flags.response", First),
    ("DNS", &["flags.opcode"], "dns.flags.opcode", First),
    ("DNS", &["flags.AA"], "dns.flags.authoritative", First),
    ("DNS", &["flags.TC"], "dns.flags.truncated", First),
    ("DNS", &["flags.RD"], "dns.flags.recdesired", First),
    ("DNS", &["flags.RA"], "dns.flags.recavail", First),
    ("DNS", &["flags.Z"], "dns.flags.z", First),
    ("DNS", &["flags.AD"], "dns.flags.authenticated", First),
    ("DNS", &["flags.CD"], "dns.flags.checkdisable", First),
    ("DNS", &["flags.rcode"], "dns.flags.rcode", First),
    ("DNS", &["questions"], "dns.count.queries", First),
    ("DNS", &["answer RRs"], "dns.count.answers", First),
    ("DNS", &["authority RRs"], "dns.count.auth_rr", First),
    ("DNS", &["additional RRs"], "dns.count.add_rr", First),
    ("DNS", &["query.name"], "dns.qry.name", All),
    ("DNS", &["query.type"], "dns.qry.type", All),
    ("DNS", &["query.class"], "dns.qry.class", All),
    ("DNS", &["answer.name"], "dns.resp.name", All),
    ("DNS", &["answer.type"], "dns.resp.type", All),
    ("DNS", &["answer.TTL"], "dns.resp.ttl", All),
    ("DNS", &["answer.data length"], "dns.resp.len", All),
    ("DNS", &["answer.A"], "dns.a", All),
    ("DNS", &["answer.CNAME"], "dns.cname", All),
    ("HTTP", &["request.method"], "http.request.method", First),
    ("HTTP", &["request.URI"], "http.request.uri", First),
    ("HTTP", &["request.version"], "http.request.version", First),
    (
        "HTTP",
        &["response.version"],
        "http.response.version",
        First,
    ),
    ("HTTP", &["response.code"], "http.response.code", First),
    ("HTTP", &["response.phrase"], "http.response.phrase", First),
    ("HTTP", &["Content-Length"], "http.content_length", First),
    ("HTTP", &["Host"], "http.host", First),
    ("SMTP", &["command"], "smtp.req.command", All),
    ("SMTP", &["parameter"], "smtp.req.parameter", All),
    ("SMTP", &["reply code"], "smtp.response.code", First),
    ("SMTP", &["reply text"], "smtp.rsp.parameter", All),
    ("FTP", &["command"], "ftp.request.command", All),
    ("FTP", &["argument"], "ftp.request.arg", All),
    ("FTP", &["reply code"], "ftp.response.code", First),
    ("FTP", &["passive IP"], "ftp.passive.ip", First),
    ("FTP", &["passive port"], "ftp.passive.port", First),
    ("TELNET", &["command"], "telnet.cmd", All),
    // tshark's "subcommand" is the option, and in a subnegotiation also
    // the IS/SEND byte after it.
    ("TELNET", &["option", "subcommand"], "telnet.subcmd", All),
];

const LESSONS: &[&str] = &[
    "dns-query",
    "http-get",
    "smtp-hello",
    "ftp-passive",
    "telnet-options",
];

/// Joins tshark's occurrences of a field (no value here holds it).
const AGGREGATOR: &str = "^";

/// A value as compared: a number where its first word is one (`200 (OK)`,
/// `0x1a2b`), else the text without a trailing `(…)` remark of ours.
fn normalize(v: &str) -> String {
    let v = v.trim();
    let first = v.split_whitespace().next().unwrap_or("");
    let n = match first.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => first.parse::<u64>().ok(),
    };
    if let Some(n) = n {
        return n.to_string();
    }
    match v.find(" (") {
        Some(i) if v.ends_with(')') => v[..i].to_string(),
        _ => v.to_string(),
    }
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn application_fields_match_tshark() {
    require("tshark");
    let mut compared = std::collections::HashMap::<&str, usize>::new();
    for lesson in LESSONS {
        let dir = scratch(&format!("app-fields-{lesson}"));
        let t = run_json(lesson, &dir);
        let frames = frames(&t);
        let pcap = dir.join("t.pcap");
        write_frames_pcap(&pcap, &frames);
        let mut cmd = std::process::Command::new("tshark");
        cmd.args(["-n", "-r"]).arg(&pcap).args([
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-E",
            "occurrence=a",
            "-E",
            &format!("aggregator={AGGREGATOR}"),
        ]);
        for m in MAP {
            cmd.args(["-e", m.2]);
        }
        let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
        assert_eq!(rows.len(), frames.len(), "{lesson}: one row per frame");
        for (i, (row, frame)) in rows.iter().zip(&frames).enumerate() {
            // Our application layers: the frame's own, and any message it
            // completed (reassembled from earlier segments).
            let mut layers: Vec<&serde_json::Value> =
                frame["layers"].as_array().unwrap().iter().collect();
            if let Some(r) = frame["reassembled"].as_array() {
                layers.extend(r.iter().map(|r| &r["layer"]));
            }
            for (col, (proto, names, field, take)) in MAP.iter().enumerate() {
                let theirs: Vec<String> = row[col]
                    .split(AGGREGATOR)
                    .filter(|v| !v.is_empty())
                    .map(normalize)
                    .collect();
                let mut ours: Vec<String> = layers
                    .iter()
                    .filter(|l| l["protocol"] == *proto)
                    .flat_map(|l| l["fields"].as_array().unwrap())
                    .filter(|f| names.contains(&f["name"].as_str().unwrap()))
                    .map(|f| normalize(f["value"].as_str().unwrap()))
                    .collect();
                // tshark leaves some fields out (e.g. a query's reply code).
                if theirs.is_empty() {
                    continue;
                }
                let mut theirs = theirs;
                if *take == First {
                    ours.truncate(1);
                    theirs.truncate(1);
                }
                assert_eq!(
                    ours,
                    theirs,
                    "{lesson} frame {}: our {proto} {names:?} against tshark's {field}",
                    i + 1
                );
                *compared.entry(proto).or_default() += theirs.len();
            }
        }
    }
    eprintln!("values compared with tshark: {compared:?}");
    for proto in ["DNS", "HTTP", "SMTP", "FTP", "TELNET"] {
        let n = compared.get(proto).copied().unwrap_or(0);
        assert!(n >= 10, "compared only {n} {proto} values");
    }
}
