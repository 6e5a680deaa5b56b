//! The class's HTTP side, on tiny_http: `GET /` the page, `GET /events` the
//! event stream (SSE), `POST /answer` an answer. Every request needs the
//! join code (`?code=`); see docs/class-protocol.md.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tiny_http::{Header, Method, Request, Response, Server};

use super::class::{Class, MAX_STREAMS, Refusal};

/// Largest request body read (an answer is at most 100 characters).
pub const MAX_BODY: usize = 1024;
/// Threads taking requests; streams get a thread each.
const WORKERS: usize = 4;
/// A comment on an idle stream this often, so dead clients are noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Serve `class` on `server` from background threads, for as long as the
/// process lives.
pub fn start(server: Server, class: Arc<Class>) {
    let server = Arc::new(server);
    for _ in 0..WORKERS {
        let (server, class) = (server.clone(), class.clone());
        std::thread::spawn(move || {
            while let Ok(request) = server.recv() {
                handle(request, &class);
            }
        });
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

/// What every answer carries: no caching (the URL holds the code), no
/// referrer, no sniffing, and a page that can reach only this server.
fn respond(request: Request, status: u16, kind: &str, body: Vec<u8>, extra: Option<Header>) {
    let mut r = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", kind))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'",
        ));
    if let Some(h) = extra {
        r = r.with_header(h);
    }
    let _ = request.respond(r);
}

fn refuse(request: Request, Refusal(status, why): Refusal) {
    let body = serde_json::json!({ "error": why }).to_string();
    respond(request, status, "application/json", body.into_bytes(), None);
}

/// The value of `name` in a query string (no decoding: codes, numbers and
/// ids are plain).
pub fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let q = url.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compare without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn cookie(request: &Request) -> Option<String> {
    let h = request.headers().iter().find(|h| h.field.equiv("Cookie"))?;
    h.value
        .as_str()
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "netcourse_student")
        .map(|(_, v)| v.to_string())
}

fn handle(mut request: Request, class: &Arc<Class>) {
    let ip = request
        .remote_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    if let Err(r) = class.admit(ip) {
        return refuse(request, r);
    }
    let url = request.url().to_string();
    if !query(&url, "code").is_some_and(|c| same(c, &class.code)) {
        return refuse(
            request,
            Refusal(
                403,
                "the join code is missing or wrong: use the address the teacher shows",
            ),
        );
    }
    let path = url.split('?').next().unwrap_or("");
    match (request.method().clone(), path) {
        (Method::Get, "/") => page(request, class),
        (Method::Get, "/events") => {
            // A reconnecting EventSource says where it was.
            let resumed = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Last-Event-ID"))
                .and_then(|h| h.value.as_str().trim().parse().ok());
            let from = resumed
                .or_else(|| query(&url, "from").and_then(|f| f.parse().ok()))
                .unwrap_or(0);
            stream(request, class, from)
        }
        (Method::Post, "/answer") => {
            let Some(student) = cookie(&request) else {
                return refuse(request, Refusal(403, "open the class page first"));
            };
            let Some(step) = query(&url, "checkpoint").and_then(|s| s.parse().ok()) else {
                return refuse(
                    request,
                    Refusal(400, "which checkpoint? add &checkpoint=STEP"),
                );
            };
            if request.body_length().is_some_and(|n| n > MAX_BODY) {
                return refuse(request, Refusal(413, "the answer is too long"));
            }
            let mut body = Vec::new();
            let read = request
                .as_reader()
                .take(MAX_BODY as u64 + 1)
                .read_to_end(&mut body);
            if read.is_err() || body.len() > MAX_BODY {
                return refuse(request, Refusal(413, "the answer is too long"));
            }
            let text = String::from_utf8_lossy(&body);
            match class.answer(&student, step, &text) {
                Ok(receipt) => {
                    let body = serde_json::json!({ "receipt": receipt }).to_string();
                    respond(request, 200, "application/json", body.into_bytes(), None)
                }
                Err(r) => refuse(request, r),
            }
        }
        (_, "/" | "/events" | "/answer") => refuse(request, Refusal(405, "method not allowed")),
        _ => refuse(request, Refusal(404, "no such page")),
    }
}

fn page(request: Request, class: &Arc<Class>) {
    let Some((student, new)) = class.student(cookie(&request).as_deref()) else {
        return refuse(request, Refusal(503, "the class is full"));
    };
    let html = super::page::html(class);
    let set = new.then(|| {
        header(
            "Set-Cookie",
            &format!("netcourse_student={student}; Path=/; HttpOnly; SameSite=Strict"),
        )
    });
    respond(
        request,
        200,
        "text/html; charset=utf-8",
        html.into_bytes(),
        set,
    );
}

/// The event stream: every message from `from` on, then each new one as it
/// is published, on a thread of its own.
fn stream(request: Request, class: &Arc<Class>, from: usize) {
    if class.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
        class.streams.fetch_sub(1, Ordering::SeqCst);
        return refuse(request, Refusal(503, "too many pages follow this class"));
    }
    let counted = class.clone();
    let class = class.clone();
    let spawned = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            // tiny_http's responses buffer their body in chunks; a stream
            // must go out message by message, so it is written raw.
            let mut w = request.into_writer();
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
            let mut at = from;
            let mut ok = w.write_all(head.as_bytes()).and_then(|_| w.flush()).is_ok();
            while ok {
                let batch = class.messages_from(at, KEEP_ALIVE);
                let mut out = String::new();
                if batch.is_empty() {
                    out.push_str(": still here\n\n");
                }
                for m in &batch {
                    out.push_str(&format!("id: {}\nevent: {}\ndata: {}\n\n", at + 1, m.event, m.data));
                    at += 1;
                }
                ok = w.write_all(out.as_bytes()).and_then(|_| w.flush()).is_ok();
            }
            class.streams.fetch_sub(1, Ordering::SeqCst);
        });
    if spawned.is_err() {
        // Out of threads: the request went with the closure, and the client
        // sees its connection close (an EventSource retries).
        counted.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values() {
        assert_eq!(query("/?code=abc", "code"), Some("abc"));
        assert_eq!(query("/events?from=3&code=x", "code"), Some("x"));
        assert_eq!(query("/events?from=3", "code"), None);
        assert_eq!(query("/", "code"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
