//! The teaching text of the built-in notes, as data: `notes.en.yaml` holds
//! every fixed sentence, one entry per situation, with named placeholders;
//! this file is the registry of the entries the code uses and the functions
//! that fill them. docs/notes-catalog.md explains both for contributors.
//!
//! Each registry line `name = "key" (placeholders);` makes a function
//! `group::name(&value, …) -> String` taking the placeholders' values in that
//! order. The unit tests below check that the catalog and the registry agree
//! (no entry without a function, no function without an entry, no
//! placeholder the function does not fill, none it fills in vain), and the
//! compiler refuses a registry function no code calls.

use std::collections::HashMap;
use std::fmt::{Display, Write};
use std::sync::OnceLock;

/// The English catalog, embedded in the binary.
const SOURCE: &str = include_str!("notes.en.yaml");

/// Declares the registry: one function per catalog entry, and `KEYS`, each
/// entry's key with the placeholders its function fills.
macro_rules! registry {
    ($( $group:ident { $( $name:ident = $key:literal ( $($arg:ident),* ); )* } )*) => {
        /// Every entry the code uses: its key and the placeholders it fills.
        const KEYS: &[(&str, &[&str])] = &[ $( $( ($key, &[$(stringify!($arg)),*]), )* )* ];
        $(
            #[deny(dead_code)]
            pub(crate) mod $group {
                #[allow(unused_imports)]
                use std::fmt::Display;
                $(
                    // One argument per placeholder of the entry: the catalog's text decides how many.
                    #[allow(clippy::too_many_arguments)]
                    pub(crate) fn $name($($arg: &dyn Display),*) -> String {
                        // The entry's place in KEYS, found when compiling:
                        // no hashing of the key for every note.
                        const AT: usize = super::index_of($key);
                        super::render(AT, &[$($arg),*])
                    }
                )*
            }
        )*
    };
}

registry! {
    call {
        syntax_ok = "call.syntax.ok" (args, family, kind);
        syntax_error = "call.syntax.error" (args, family, kind);
        syntax_local = "call.syntax.local" (local);
        syntax_peer = "call.syntax.peer" (peer);
        syntax_returned = "call.syntax.returned" (result);
        explained_before = "call.explained_before" (call, event);
        no_frame = "call.no_frame" ();
        failed_semantics = "call.failed.semantics" (call, result);
        failed_timing = "call.failed.timing" ();
        failed_timing_tcp_send = "call.failed.timing_tcp_send" ();
        bind_udp = "call.bind.udp" (local);
        bind_tcp = "call.bind.tcp" (local);
        bind_timing = "call.bind.timing" ();
        sendto_semantics = "call.sendto.semantics" ();
        sendto_port = "call.sendto.port" (port);
        sendto_port_ephemeral = "call.sendto.port_ephemeral" (port, low, high);
        sendto_wildcard = "call.sendto.wildcard" ();
        sendto_timing = "call.sendto.timing" ();
        recvfrom_semantics = "call.recvfrom.semantics" (peer);
        recvfrom_unknown_peer = "call.recvfrom.unknown_peer" ();
        recvfrom_timing = "call.recvfrom.timing" ();
        recvfrom_timed_out = "call.recvfrom.timed_out" (result);
        recvfrom_failed_timing = "call.recvfrom.failed_timing" ();
        listen_semantics = "call.listen.semantics" (backlog, port, queue, resend);
        listen_timing = "call.listen.timing" ();
        accept_semantics = "call.accept.semantics" (peer);
        accept_timing = "call.accept.timing" ();
        accept_replacing = "call.accept.replacing" (peer, old);
        accept_replacing_timing = "call.accept.replacing_timing" (old);
        connect_tcp = "call.connect.tcp" (peer, port);
        connect_tcp_timing = "call.connect.tcp_timing" ();
        connect_refused = "call.connect.refused" (result);
        connect_refused_timing = "call.connect.refused_timing" ();
        connect_timed_out = "call.connect.timed_out" (result);
        connect_timed_out_timing = "call.connect.timed_out_timing" ();
        connect_failed_timing = "call.connect.failed_timing" ();
        connect_udp = "call.connect.udp" ();
        send_tcp = "call.send.tcp" ();
        send_tcp_timing = "call.send.tcp_timing" ();
        send_tcp_held = "call.send.tcp_held" ();
        send_udp = "call.send.udp" ();
        send_udp_timing = "call.send.udp_timing" ();
        recv_tcp_failed = "call.recv.tcp_failed" (result);
        recv_tcp_reset = "call.recv.tcp_reset" ();
        recv_tcp_failed_timing = "call.recv.tcp_failed_timing" ();
        recv_tcp_end_both_closed = "call.recv.tcp_end_both_closed" ();
        recv_tcp_end = "call.recv.tcp_end" ();
        recv_tcp_data = "call.recv.tcp_data" ();
        recv_tcp_timing = "call.recv.tcp_timing" ();
        recv_udp = "call.recv.udp" ();
        recv_udp_timed_out = "call.recv.udp_timed_out" (result);
        recv_udp_timing = "call.recv.udp_timing" ();
        shutdown_semantics = "call.shutdown.semantics" ();
        shutdown_timing = "call.shutdown.timing" ();
        setsockopt = "call.setsockopt" ();
        sleep = "call.sleep.semantics" ();
        sleep_timing = "call.sleep.timing" ();
        close_udp = "call.close.udp" ();
        close_udp_timing = "call.close.udp_timing" ();
        close_listener = "call.close.listener" ();
        close_listener_timing = "call.close.listener_timing" ();
        close_unread = "call.close.unread" (unread);
        close_unread_timing = "call.close.unread_timing" ();
        close_connected = "call.close.connected" ();
        close_connected_timing = "call.close.connected_timing" ();
        close_connected_held = "call.close.connected_held" ();
        close_after_peer_fin = "call.close.after_peer_fin" ();
        close_after_peer_fin_timing = "call.close.after_peer_fin_timing" ();
        close_fin_already_sent = "call.close.fin_already_sent" ();
        close_fin_already_sent_timing = "call.close.fin_already_sent_timing" ();
        close_refused_or_reset = "call.close.refused_or_reset" ();
        close_never_connected = "call.close.never_connected" ();
    }
    errno {
        eaddrinuse = "errno.EADDRINUSE" ();
        eaddrnotavail = "errno.EADDRNOTAVAIL" ();
        enetunreach = "errno.ENETUNREACH" ();
        eafnosupport = "errno.EAFNOSUPPORT" ();
        epipe = "errno.EPIPE" ();
        econnreset = "errno.ECONNRESET" ();
        econnrefused = "errno.ECONNREFUSED" ();
        enotconn = "errno.ENOTCONN" ();
        eisconn = "errno.EISCONN" ();
        einval = "errno.EINVAL" ();
        eagain = "errno.EAGAIN" ();
    }
    kernel {
        syn_resend_linear = "kernel.syn_resend_linear" (linear);
        syn_resend_doubling = "kernel.syn_resend_doubling" ();
    }
    count {
        byte_one = "count.byte.one" (n);
        byte_other = "count.byte.other" (n);
        frame_one = "count.frame.one" (n);
        frame_other = "count.frame.other" (n);
    }
    timing {
        first = "timing.first" (time);
        after = "timing.after" (time, delta, event);
        before = "timing.before" (time, delta, event);
        call = "timing.call" (step, steps, when, took, next);
        cause = "timing.cause" (step, actor, call);
        cause_background = "timing.cause_background" (actor, background, step, other, call);
        frame = "timing.frame" (lead, when, cause, next);
        before_call = "timing.before_call" (step, timing);
    }
    frame {
        layer = "frame.layer" (protocol, first, last, length, fields);
        parsing_stopped = "frame.parsing_stopped" (reason);
        not_read_to_the_end = "frame.not_read_to_the_end" (reason);
        no_socket_there = "frame.no_socket_there" (address);
        kernel_at = "frame.kernel_at" (ip);
        event = "frame.event" (event);
        other = "frame.other" (from, to, summary);
        captured = "frame.captured" ();
        payload = "frame.payload" (bytes, count);
        no_payload = "frame.no_payload" ();
    }
    network {
        ipv4 = "network.ipv4" (header, src, dst, ttl, hops, protocol);
        hops_lo = "network.hops_lo" ();
        ipv4_header = "network.ipv4_header" (length);
        ipv4_header_options = "network.ipv4_header_options" (length);
        fragment_more = "network.fragment_more" (offset, id);
        fragment_last = "network.fragment_last" (offset, id);
        dont_fragment = "network.dont_fragment" (id);
        dont_fragment_udp = "network.dont_fragment_udp" (id);
        ipv4_checksum = "network.ipv4_checksum" ();
        ipv6 = "network.ipv6" (src, dst, loopback, hop_limit, next_header, payload_length, flow_label);
        ipv6_loopback = "network.ipv6_loopback" ();
    }
    link {
        ethernet = "link.ethernet" ();
        ethernet_type = "link.ethernet_type" (ethertype, payload);
        ipv4 = "link.ipv4" ();
        ipv6 = "link.ipv6" ();
        arp = "link.arp" ();
        other = "link.other" ();
        zero_macs = "link.zero_macs" ();
        zero_macs_again = "link.zero_macs_again" (event);
    }
    checksum {
        partial = "checksum.partial" (protocol);
        complete = "checksum.complete" (protocol);
        partial_again = "checksum.partial_again" (protocol, event);
        bad = "checksum.bad" (protocol, expected);
        absent = "checksum.absent" (protocol);
    }
    udp {
        semantics = "udp.semantics" (from, to, src, dst, src_port, dst_port, receiver, ephemeral, payload, length, data);
        no_receiver = "udp.no_receiver" ();
        ephemeral = "udp.ephemeral" ();
        lead = "udp.lead" ();
        next_unreachable = "udp.next_unreachable" ();
        next = "udp.next" (to);
    }
    neighbour {
        arp_request = "neighbour.arp_request" (asker, target_ip, sender_ip, sender_mac, target_mac);
        arp_probe = "neighbour.arp_probe" (asker, target_ip, dst_mac);
        arp_announce = "neighbour.arp_announce" (asker, sender_ip, sender_mac);
        arp_reply = "neighbour.arp_reply" (answerer, sender_ip, sender_mac, target_mac, target_ip);
        ndp_solicit = "neighbour.ndp_solicit" (asker, target, dst_ip, dst_mac);
        ndp_solicit_mac = "neighbour.ndp_solicit_mac" (mac);
        ndp_probe = "neighbour.ndp_probe" (asker, target, dst_mac);
        ndp_dad = "neighbour.ndp_dad" (target);
        ndp_advert = "neighbour.ndp_advert" (answerer, target, mac, dst_ip);
        ndp_advert_no_mac = "neighbour.ndp_advert_no_mac" (answerer, target, dst_ip);
        ndp_solicited = "neighbour.ndp_solicited" ();
        ndp_unsolicited = "neighbour.ndp_unsolicited" ();
        cache = "neighbour.cache" ();
        cache_ms = "neighbour.cache_ms" (ms, interface, host);
        host = "neighbour.host" (name, ip);
        host_unknown = "neighbour.host_unknown" (ip);
        lead_ask = "neighbour.lead_ask" (asker, target);
        next_ask = "neighbour.next_ask" ();
        lead_probe = "neighbour.lead_probe" (asker);
        next_probe = "neighbour.next_probe" ();
        lead_announce = "neighbour.lead_announce" (asker);
        next_announce = "neighbour.next_announce" ();
        lead_dad = "neighbour.lead_dad" (asker, target);
        next_dad = "neighbour.next_dad" ();
        lead_answer = "neighbour.lead_answer" (answerer);
        next_answer = "neighbour.next_answer" (mac);
    }
    icmp {
        semantics = "icmp.semantics" (protocol, src, to, description, icmp_type, code);
        quotes = "icmp.quotes" (quoted_src, quoted_dst);
        port_unreachable = "icmp.port_unreachable" (port, option);
        lead = "icmp.lead" (answers);
        the_datagram = "icmp.the_datagram" ();
        next = "icmp.next" ();
    }
    tcp {
        segment = "tcp.segment" (from, to);
        previous_segment = "tcp.previous_segment" ();
        answer_lead = "tcp.answer_lead" (sender, answers);
        refused = "tcp.refused" (ip, port, ack_rel);
        reset = "tcp.reset" (from);
        receiving_host = "tcp.receiving_host" ();
        reset_next = "tcp.reset_next" ();
        syn_again = "tcp.syn_again" (from, seq, first, resend);
        syn_again_lead = "tcp.syn_again_lead" ();
        syn_again_unanswered = "tcp.syn_again_unanswered" (to);
        syn_again_unanswered_next = "tcp.syn_again_unanswered_next" ();
        syn_again_next = "tcp.syn_again_next" (to);
        syn = "tcp.syn" (from, to, seq);
        syn_lead = "tcp.syn_lead" ();
        syn_closed_port = "tcp.syn_closed_port" (port);
        syn_closed_port_next = "tcp.syn_closed_port_next" ();
        syn_dropped = "tcp.syn_dropped" (to);
        syn_dropped_next = "tcp.syn_dropped_next" (resend);
        syn_listening = "tcp.syn_listening" ();
        syn_listening_next = "tcp.syn_listening_next" (to, resend);
        syn_ack = "tcp.syn_ack" (from, seq, ack, ack_rel);
        syn_ack_lead = "tcp.syn_ack_lead" (answers);
        syn_ack_next = "tcp.syn_ack_next" ();
        handshake_done = "tcp.handshake_done" (from, to, ack_rel);
        handshake_done_lead = "tcp.handshake_done_lead" (answers);
        handshake_done_rtt_next = "tcp.handshake_done_rtt_next" (rtt);
        handshake_done_next = "tcp.handshake_done_next" ();
        data = "tcp.data" (from, payload, first, last);
        data_push = "tcp.data_push" ();
        data_acks = "tcp.data_acks" (to, ack, ack_rel);
        data_fin = "tcp.data_fin" ();
        data_lead = "tcp.data_lead" ();
        data_next = "tcp.data_next" (to, ack);
        fin = "tcp.fin" (from, to, seq_rel, ack_rel);
        fin_first = "tcp.fin_first" (from);
        tw_reuse_0 = "tcp.tw_reuse_0" ();
        tw_reuse_1 = "tcp.tw_reuse_1" ();
        tw_reuse_2 = "tcp.tw_reuse_2" ();
        fin_second = "tcp.fin_second" (from, to);
        fin_lead_call = "tcp.fin_lead_call" (actor, call);
        fin_lead = "tcp.fin_lead" ();
        fin_next_last_ack = "tcp.fin_next_last_ack" (from, to);
        fin_next = "tcp.fin_next" (to);
        fin_ack = "tcp.fin_ack" (from, to, ack, ack_rel);
        fin_ack_last = "tcp.fin_ack_last" (from, to);
        fin_ack_last_next = "tcp.fin_ack_last_next" ();
        fin_ack_alone = "tcp.fin_ack_alone" (step, actor, call);
        fin_ack_next = "tcp.fin_ack_next" (from);
        ack = "tcp.ack" (from, to, ack, ack_rel);
        ack_next = "tcp.ack_next" (to);
        window_scaled = "tcp.window_scaled" (from, window, factor, shift, bytes);
        window = "tcp.window" (window);
        window_syn = "tcp.window_syn" (window);
        zero_window = "tcp.zero_window" (from);
        covers_more = "tcp.covers_more" (n);
        window_full = "tcp.window_full" (to);
        states_after = "tcp.states_after" (states);
        options = "tcp.options" (options);
        option_mss_ipv4_lo = "tcp.option.mss_ipv4_lo" ();
        option_mss_ipv6_lo = "tcp.option.mss_ipv6_lo" ();
        option_mss = "tcp.option.mss" (mss);
        option_sack_permitted = "tcp.option.sack_permitted" ();
        sack = "tcp.sack" (at, end, blocks, from, to, ack_rel, last_missing);
        sack_block = "tcp.sack_block" (left, right, last, left_raw, right_raw);
        dsack = "tcp.dsack" (blocks, from);
        option_timestamps = "tcp.option.timestamps" (value);
        option_window_scale = "tcp.option.window_scale" (shift, factor);
    }
    app {
        syntax_message = "app.syntax.message" (protocol, who, start, end, length, fields);
        syntax_reassembled = "app.syntax.reassembled" (protocol, who, parts, length, fields);
        syntax_part = "app.syntax.part" (event, from, to);
        syntax_field = "app.syntax.field" (name, value, at, frame);
        syntax_field_elsewhere = "app.syntax.field_elsewhere" (name, value, at, event);
        syntax_more = "app.syntax.more" (n);
        stream_pending = "app.stream.pending" (from, to, who, protocol);
        stream_completes = "app.stream.completes" (who, protocol, length, count, parts);
        stream_ended = "app.stream.ended" (who, protocol);
        stream_repeated = "app.stream.repeated" (n);
        stream_early = "app.stream.early" ();
        stream_dropped = "app.stream.dropped" (n);
        stream_stopped = "app.stream.stopped" (protocol, reason);
        dns_query = "app.dns.query" (from, to, qtype, name, id);
        dns_recursion = "app.dns.recursion" ();
        dns_answer = "app.dns.answer" (id, records);
        dns_record = "app.dns.record" (name, rtype, data, ttl);
        dns_no_answer = "app.dns.no_answer" (id, name, rcode);
        dns_resolver = "app.dns.resolver" ();
        dns_compression = "app.dns.compression" (count, pointer, target, name);
        dns_timing_query = "app.dns.timing_query" (port, id);
        dns_timing_answer = "app.dns.timing_answer" (query, after);
        dns_timing_unasked = "app.dns.timing_unasked" ();
        http_request = "app.http.request" (from, uri, method, version);
        http_host = "app.http.host" (host);
        http_response = "app.http.response" (code, phrase, body);
        http_keep_alive = "app.http.keep_alive" ();
        http_closes = "app.http.closes" ();
        http_length_longer = "app.http.length_longer" (says, sent, extra);
        http_length_shorter = "app.http.length_shorter" (says, sent, end, missing);
        http_end_close = "app.http.end_close" ();
        http_chunked = "app.http.chunked" (body);
        http_after_length = "app.http.after_length" ();
        http_timing_request = "app.http.timing_request" ();
        http_timing_again = "app.http.timing_again" (n, first);
        http_timing_response = "app.http.timing_response" (request, what, after);
        smtp_greeting = "app.smtp.greeting" (code);
        smtp_ehlo = "app.smtp.ehlo" (arg);
        smtp_mail = "app.smtp.mail" (arg);
        smtp_rcpt = "app.smtp.rcpt" (arg);
        smtp_data = "app.smtp.data" ();
        smtp_quit = "app.smtp.quit" ();
        smtp_command = "app.smtp.command" (from, verb);
        smtp_message = "app.smtp.message" (bytes, lines);
        smtp_reply = "app.smtp.reply" (code, text);
        smtp_reply_lines = "app.smtp.reply_lines" (lines);
        smtp_timing_greeting = "app.smtp.timing_greeting" ();
        smtp_timing_command = "app.smtp.timing_command" ();
        smtp_timing_data = "app.smtp.timing_data" ();
        smtp_timing_reply = "app.smtp.timing_reply" (verb, command);
        ftp_greeting = "app.ftp.greeting" (code);
        ftp_user = "app.ftp.user" (arg);
        ftp_pass = "app.ftp.pass" ();
        ftp_pasv = "app.ftp.pasv" ();
        ftp_epsv = "app.ftp.epsv" ();
        ftp_port = "app.ftp.port" (address);
        ftp_retr = "app.ftp.retr" (arg);
        ftp_passive = "app.ftp.passive" (address);
        ftp_command = "app.ftp.command" (from, verb);
        ftp_reply = "app.ftp.reply" (code, text);
        ftp_timing_command = "app.ftp.timing_command" ();
        ftp_timing_passive = "app.ftp.timing_passive" (port);
        ftp_timing_reply = "app.ftp.timing_reply" (verb, command);
        ftp_data = "app.ftp_data.data" (announced, bytes);
        ftp_data_unannounced = "app.ftp_data.data_unannounced" (bytes);
        telnet_will = "app.telnet.will" (option, from);
        telnet_wont = "app.telnet.wont" (option, from);
        telnet_do = "app.telnet.do" (option, from);
        telnet_dont = "app.telnet.dont" (option, from);
        telnet_subnegotiation = "app.telnet.subnegotiation" (option);
        telnet_command = "app.telnet.command" (command);
        telnet_data = "app.telnet.data" (bytes);
        telnet_timing = "app.telnet.timing" ();
        custom_fields = "app.custom.fields" (protocol, fields);
    }
    checkpoint {
        read_from_capture = "checkpoint.read_from_capture" (what, event, step, frame, answer);
        the_value = "checkpoint.the_value" ();
        no_frame = "checkpoint.no_frame" (step, frames, frame);
        from_call = "checkpoint.from_call" (step, call, answer);
        prompt = "checkpoint.prompt" (question);
        right = "checkpoint.right" (answer);
        not_quite = "checkpoint.not_quite" (given, answer);
        not_graded_given = "checkpoint.not_graded_given" (given);
        not_graded = "checkpoint.not_graded" ();
        frame_says = "checkpoint.frame_says" (answer);
        rules_cut = "checkpoint.rules_cut" (text, max);
    }
}

/// A piece of a parsed entry: text, or the value of the function's n-th
/// placeholder.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Value(usize),
}

/// The parsed catalog: each registry key's pieces.
struct Catalog {
    /// By the key's place in `KEYS`.
    by_index: Vec<Option<Vec<Piece>>>,
}

/// Where `key` is in `KEYS` (a compile error if it is not there).
const fn index_of(key: &str) -> usize {
    let mut i = 0;
    while i < KEYS.len() {
        if same(KEYS[i].0, key) {
            return i;
        }
        i += 1;
    }
    panic!("a registry key missing from KEYS")
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The catalog, parsed on first use.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    // The tests make sure the embedded catalog has no problems.
    CATALOG.get_or_init(|| parse(SOURCE).0)
}

/// Fill entry `key` with `values` (in the registry's placeholder order). An
/// entry missing from the catalog (which the tests rule out) shows its key.
fn render(at: usize, values: &[&dyn Display]) -> String {
    let Some(pieces) = catalog().by_index.get(at).and_then(Option::as_ref) else {
        return KEYS.get(at).map_or("", |k| k.0).to_string();
    };
    let mut out = String::with_capacity(160);
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Value(i) => {
                if let Some(v) = values.get(*i) {
                    let _ = write!(out, "{v}");
                }
            }
        }
    }
    out
}

/// Parse a catalog file against the registry: the entries it could read,
/// and every problem found (each naming the key and what to fix).
fn parse(source: &str) -> (Catalog, Vec<String>) {
    let mut entries = HashMap::new();
    let mut problems = Vec::new();
    let found = read_entries(source).unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    for (key, text) in found {
        let Some((registered, placeholders)) = KEYS.iter().find(|(k, _)| *k == key) else {
            problems.push(format!(
                "`{key}` is in the catalog but no code uses it: add it to the registry in catalog.rs, or remove it"
            ));
            continue;
        };
        let pieces = pieces(&key, &text, placeholders, &mut problems);
        if entries.insert(*registered, pieces).is_some() {
            problems.push(format!("`{key}` is in the catalog twice"));
        }
    }
    for (key, _) in KEYS {
        if !entries.contains_key(key) {
            problems.push(format!(
                "`{key}` is used by the code but missing from the catalog"
            ));
        }
    }
    let by_index = KEYS.iter().map(|(key, _)| entries.remove(key)).collect();
    (Catalog { by_index }, problems)
}

/// Read the catalog's entries as (`group.name`, text). The catalog is YAML
/// written in a small subset that reads in microseconds, where a full YAML
/// parser would cost every run a millisecond: nested `name:` groups indented
/// by spaces, and entries that are `name: "double-quoted"`, `name: plain
/// text`, or `name: >-` followed by lines folded into one. A test checks that
/// a YAML parser reads the file the same way.
fn read_entries(source: &str) -> Result<Vec<(String, String)>, String> {
    let mut entries: Vec<(String, String)> = Vec::new();
    // The open groups, with their indentation.
    let mut path: Vec<(usize, &str)> = Vec::new();
    // A folded entry being read: its indentation and whether a line came.
    let mut folding: Option<(usize, bool)> = None;
    for (n, line) in source.lines().enumerate() {
        let at = |what: &str| format!("notes catalog line {}: {what}", n + 1);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.starts_with('\t') {
            return Err(at("indent with spaces, not tabs"));
        }
        if let Some((key_indent, started)) = folding {
            if !content.is_empty() && indent > key_indent {
                let text = &mut entries.last_mut().expect("a folded entry").1;
                if started {
                    text.push(' ');
                }
                text.push_str(content.trim_end());
                folding = Some((key_indent, true));
                continue;
            }
            if !started {
                return Err(at(
                    "a `>-` entry needs its text on the lines below it, indented",
                ));
            }
            folding = None;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (name, value) = match content.split_once(':') {
            Some((name, value)) if value.is_empty() || value.starts_with(' ') => {
                (name, value.trim())
            }
            _ => return Err(at("expected `name:` or `name: text`")),
        };
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        let key = path
            .iter()
            .map(|(_, p)| *p)
            .chain([name])
            .collect::<Vec<_>>()
            .join(".");
        if value.is_empty() {
            path.push((indent, name));
        } else if value == ">-" {
            entries.push((key, String::new()));
            folding = Some((indent, false));
        } else if let Some(quoted) = value.strip_prefix('"') {
            entries.push((key, unquote(quoted).map_err(|e| at(&e))?));
        } else if value.starts_with(|c: char| "'|>[]{}&*!%@`#,?-".contains(c))
            || value.contains(": ")
            || value.contains(" #")
        {
            return Err(at(
                "write this text in double quotes, or as `>-` with the text on the lines below",
            ));
        } else {
            entries.push((key, value.to_string()));
        }
    }
    if folding.is_some_and(|(_, started)| !started) {
        return Err("notes catalog: the last `>-` entry has no text".into());
    }
    Ok(entries)
}

/// The text of a double-quoted scalar whose opening quote is already gone.
fn unquote(rest: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let after = chars.as_str().trim();
                if after.is_empty() || after.starts_with('#') {
                    return Ok(out);
                }
                return Err("text after the closing quote".into());
            }
            '\\' => match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                other => {
                    return Err(format!(
                        "unknown escape `\\{}`; use \\\", \\\\, \\n or \\t",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            },
            c => out.push(c),
        }
    }
    Err("the quote is not closed on its line".into())
}

/// Split an entry into text and placeholders; `{{` and `}}` are literal
/// braces. A placeholder the code does not fill stays as written.
fn pieces(key: &str, text: &str, placeholders: &[&str], problems: &mut Vec<String>) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut used = vec![false; placeholders.len()];
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            literal.push(c);
            rest = &rest[2..];
        } else if c == '{' {
            let Some(end) = rest.find('}') else {
                problems.push(format!(
                    "`{key}`: a `{{` is not closed (write `{{{{` for a brace)"
                ));
                literal.push_str(rest);
                break;
            };
            let name = &rest[1..end];
            match placeholders.iter().position(|p| *p == name) {
                Some(i) => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Value(i));
                    used[i] = true;
                }
                None => {
                    problems.push(format!(
                        "`{key}`: the code fills no placeholder `{{{name}}}`; it fills: {}",
                        placeholders
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    literal.push_str(&rest[..=end]);
                }
            }
            rest = &rest[end + 1..];
        } else if c == '}' {
            problems.push(format!(
                "`{key}`: a `}}` has no `{{` (write `}}}}` for a brace)"
            ));
            literal.push(c);
            rest = &rest[1..];
        } else {
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    for (p, used) in placeholders.iter().zip(used) {
        if !used {
            problems.push(format!(
                "`{key}`: the code fills `{{{p}}}` but the entry never says it"
            ));
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_and_the_registry_agree() {
        let (catalog, problems) = parse(SOURCE);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(catalog.by_index.iter().all(Option::is_some));
        assert_eq!(catalog.by_index.len(), KEYS.len());
    }

    #[test]
    fn every_key_is_registered_once() {
        let mut keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "a key is registered twice");
    }

    #[test]
    fn every_entry_renders_with_all_its_values() {
        for (at, (key, placeholders)) in KEYS.iter().enumerate() {
            let values: Vec<String> = placeholders.iter().map(|p| format!("<{p}>")).collect();
            let refs: Vec<&dyn Display> = values.iter().map(|v| v as &dyn Display).collect();
            let text = render(at, &refs);
            assert!(!text.is_empty(), "{key}");
            for (p, v) in placeholders.iter().zip(&values) {
                assert!(text.contains(v.as_str()), "{key} lacks {p}: {text}");
            }
            let without: String = values
                .iter()
                .fold(text.clone(), |t, v| t.replace(v.as_str(), ""));
            assert!(
                !without.contains('{') && !without.contains('}'),
                "{key}: {text}"
            );
        }
    }

    #[test]
    fn problems_are_found_and_named() {
        let (_, problems) =
            parse("call:\n  bind:\n    udp: \"bind {local} {port} {\"\n  nobody: x\n");
        let all = problems.join("\n");
        assert!(
            all.contains("`call.nobody` is in the catalog but no code uses it"),
            "{all}"
        );
        assert!(
            all.contains("`call.bind.udp`: the code fills no placeholder `{port}`"),
            "{all}"
        );
        assert!(
            all.contains("`call.bind.udp`: a `{` is not closed"),
            "{all}"
        );
        assert!(
            all.contains("`call.bind.tcp` is used by the code but missing"),
            "{all}"
        );
        let (_, problems) = parse("call:\n  bind:\n    udp: \"bind }} {{ done\"\n");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("fills `{local}` but the entry never says it")),
            "{problems:?}"
        );
        let (_, problems) = parse("call:\n  bind: [unclosed\n");
        assert!(
            problems[0].starts_with("notes catalog line 2: write this text in double quotes"),
            "{problems:?}"
        );
    }

    /// A node of the catalog read by a full YAML parser.
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Node {
        Text(String),
        Group(std::collections::BTreeMap<String, Node>),
    }

    fn flatten(node: &Node, path: String, out: &mut Vec<(String, String)>) {
        match node {
            Node::Text(t) => out.push((path, t.clone())),
            Node::Group(g) => {
                for (name, child) in g {
                    let key = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    flatten(child, key, out);
                }
            }
        }
    }

    #[test]
    fn a_yaml_parser_reads_the_catalog_as_the_quick_reader_does() {
        let root: Node = serde_saphyr::from_str(SOURCE).expect("the catalog is YAML");
        let mut yaml = Vec::new();
        flatten(&root, String::new(), &mut yaml);
        let mut quick = read_entries(SOURCE).unwrap();
        quick.sort();
        yaml.sort();
        assert_eq!(quick, yaml);
    }

    #[test]
    fn the_quick_reader_reads_its_subset_and_refuses_the_rest() {
        let text = "# a comment\ng:\n  plain: some text\n  quoted: \"a \\\"b\\\" {c}\" # note\n  sub:\n    folded: >-\n      one\n      two\n\n  after: x\nh: why\n";
        let expected: Vec<(String, String)> = [
            ("g.plain", "some text"),
            ("g.quoted", "a \"b\" {c}"),
            ("g.sub.folded", "one two"),
            ("g.after", "x"),
            ("h", "why"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(read_entries(text).unwrap(), expected);
        let root: Node = serde_saphyr::from_str(text).unwrap();
        let mut yaml = Vec::new();
        flatten(&root, String::new(), &mut yaml);
        let mut sorted = expected.clone();
        sorted.sort();
        yaml.sort();
        assert_eq!(yaml, sorted, "the subset means what YAML means");
        for (bad, why) in [
            ("g: 'single'", "double quotes"),
            ("g: a: b", "double quotes"),
            ("g: \"open", "not closed"),
            ("g: \"a\" b", "after the closing quote"),
            ("g: \"\\x\"", "unknown escape"),
            ("g: >-\nh: x", "needs its text"),
            ("g: >-", "has no text"),
            ("just text", "expected `name:`"),
            ("\tg: x", "tabs"),
        ] {
            let e = read_entries(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn braces_and_values_are_filled_in_order() {
        let mut problems = Vec::new();
        let pieces = pieces("k", "a {{x}} {b} {a}{b}", &["a", "b"], &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            pieces,
            vec![
                Piece::Text("a {x} ".into()),
                Piece::Value(1),
                Piece::Text(" ".into()),
                Piece::Value(0),
                Piece::Value(1)
            ]
        );
        assert_eq!(
            call::bind_udp(&"127.0.0.1:5000"),
            "bind() attaches the socket to 127.0.0.1:5000: from now on the kernel delivers every datagram that arrives for that address and port to this socket."
        );
    }
}
