//! Headless Chromium driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`, no Node): pages opened as targets, probed
//! with `Runtime.evaluate`, the protocol's events kept for the test to read.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A Chromium browser spoken to over `--remote-debugging-pipe`: commands go
/// to its fd 3 and answers come from its fd 4, each a JSON text ended by NUL.
pub struct Browser {
    child: Child,
    to: ChildStdin,
    from: ChildStdout,
    buf: Vec<u8>,
    next_id: u64,
    /// The protocol's events (messages without an id) not yet taken.
    events: Vec<Value>,
}

impl Browser {
    /// `profile` is the browser's own directory (it must be writable by the
    /// user running the test: as `nobody`, under the test's scratch dir).
    pub fn start(profile: &Path, log: &Path) -> Browser {
        // The shell hands our pipes to Chromium as fds 3 and 4; `timeout`
        // bounds the whole session, so a hung browser ends in EOF here.
        let mut child = Command::new("timeout")
            .args(["180", "sh", "-c"])
            .arg(
                "exec chromium --headless --no-sandbox --disable-gpu --no-first-run \
                 --disable-background-networking --disable-component-update --disable-sync \
                 --user-data-dir=\"$1\" --remote-debugging-pipe 3<&0 4>&1 </dev/null >/dev/null",
            )
            .arg("sh")
            .arg(profile)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start chromium");
        let to = child.stdin.take().unwrap();
        let from = child.stdout.take().unwrap();
        Browser {
            child,
            to,
            from,
            buf: Vec::new(),
            next_id: 0,
            events: Vec::new(),
        }
    }

    pub fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> u64 {
        self.next_id += 1;
        let mut msg = json!({ "id": self.next_id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.next_id
    }

    /// The next message from the pipe.
    fn receive(&mut self) -> Value {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == 0) {
                let msg: Vec<u8> = self.buf.drain(..=end).collect();
                return serde_json::from_slice(&msg[..end]).expect("a JSON message");
            }
            let mut chunk = [0u8; 65536];
            let n = self.from.read(&mut chunk).expect("read from chromium");
            assert!(n > 0, "chromium closed its pipe (crashed or timed out)");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Send a command and wait for its answer; events met on the way are kept.
    pub fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        let id = self.send(method, params, session);
        loop {
            let msg = self.receive();
            if msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
            if msg.get("id").is_none() {
                self.events.push(msg);
            }
        }
    }

    /// Wait for the event `method` of `session` (it may have come already).
    pub fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let mine = |m: &Value| m["method"] == method && m["sessionId"] == session;
        if let Some(at) = self.events.iter().position(mine) {
            return self.events.remove(at);
        }
        loop {
            let msg = self.receive();
            if mine(&msg) {
                return msg;
            }
            if msg.get("id").is_none() {
                self.events.push(msg);
            }
        }
    }

    /// The params of every event `method` of `session` received so far, in
    /// order (they stay kept).
    pub fn events(&self, session: &str, method: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|m| m["method"] == method && m["sessionId"] == session)
            .map(|m| m["params"].clone())
            .collect()
    }

    /// A new page (a tab) of `width`×`height` CSS pixels (a phone's when
    /// narrow), attached: its session id. `domains` are enabled before
    /// anything loads (e.g. "Network", to see every message it receives).
    pub fn page(&mut self, width: u32, height: u32, domains: &[&str]) -> String {
        let target =
            self.call("Target.createTarget", json!({ "url": "about:blank" }), None)["targetId"]
                .clone();
        let session = self.call(
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
            None,
        )["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
        let s = Some(session.as_str());
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
            s,
        );
        self.call("Page.enable", json!({}), s);
        for d in domains {
            self.call(&format!("{d}.enable"), json!({}), s);
        }
        session
    }

    /// Start loading `url` in the page (without waiting for it).
    pub fn navigate(&mut self, session: &str, url: &str) {
        self.call("Page.navigate", json!({ "url": url }), Some(session));
    }

    /// The value of `expression` in the page.
    pub fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        self.try_evaluate(session, expression)
            .unwrap_or_else(|r| panic!("the probe failed: {r}"))
    }

    /// The value of `expression`, or the whole reply when it threw.
    fn try_evaluate(&mut self, session: &str, expression: &str) -> Result<Value, Value> {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
            Some(session),
        );
        if r.get("exceptionDetails").is_some() {
            return Err(r);
        }
        Ok(r["result"]["value"].clone())
    }

    /// Evaluate `expression` every few milliseconds until `done` accepts
    /// its value, for at most 20 s; the last value either way. A probe that
    /// throws (the page navigated to has not loaded its elements yet) is
    /// tried again; one still throwing at the deadline fails the test.
    pub fn poll(
        &mut self,
        session: &str,
        expression: &str,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = match self.try_evaluate(session, expression) {
                Ok(v) => v,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                Err(r) => panic!("the probe failed: {r}"),
            };
            if done(&v) || Instant::now() >= deadline {
                return v;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Open `url` in a page of `width`×`height` and return the value of
    /// `expression` once it has loaded.
    pub fn evaluate_at(&mut self, url: &str, width: u32, height: u32, expression: &str) -> Value {
        let session = self.page(width, height, &[]);
        self.navigate(&session, url);
        self.wait_event(&session, "Page.loadEventFired");
        self.evaluate(&session, expression)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.send("Browser.close", json!({}), None);
        let _ = self.child.wait();
    }
}
