//! The HTML page on a phone (390 px) and a wide screen (1400 px), in real
//! headless Chromium driven over the DevTools protocol (a pipe, no Node):
//! after a click on an arrow the detail panel is next to it (beside it, or
//! in the sheet just below it), nothing overflows sideways, and the RFC
//! header diagrams fit the panel.

mod common;
use common::*;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// A Chromium browser spoken to over `--remote-debugging-pipe`: commands go
/// to its fd 3 and answers come from its fd 4, each a JSON text ended by NUL.
struct Browser {
    child: Child,
    to: ChildStdin,
    from: ChildStdout,
    buf: Vec<u8>,
    next_id: u64,
}

impl Browser {
    fn start(profile: &Path, log: &Path) -> Browser {
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
        }
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> u64 {
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

    fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        let id = self.send(method, params, session);
        loop {
            let msg = self.receive();
            if msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
        }
    }

    /// Open `url` in a page of `width`×`height` CSS pixels (a phone's when
    /// narrow) and return the value of `expression` once it has loaded.
    fn evaluate_at(&mut self, url: &str, width: u32, height: u32, expression: &str) -> Value {
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
        self.send("Page.navigate", json!({ "url": url }), s);
        loop {
            let msg = self.receive();
            if msg["method"] == "Page.loadEventFired" && msg["sessionId"] == session {
                break;
            }
        }
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
            s,
        );
        assert!(r.get("exceptionDetails").is_none(), "the probe failed: {r}");
        r["result"]["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.send("Browser.close", json!({}), None);
        let _ = self.child.wait();
    }
}

/// Like a user: scroll until the arrow is at the bottom edge of the screen
/// (where a sheet would cover it), click it, then read where things are.
const PROBE: &str = r#"(function () {
  var out = [];
  var arrows = document.querySelectorAll('g.ev.frame');
  [0, Math.floor(arrows.length / 2), arrows.length - 1].forEach(function (k) {
    var g = arrows[k], shaft = g.querySelector('.shaft');
    shaft.scrollIntoView({ block: 'end' });
    g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    var a = shaft.getBoundingClientRect(), p = document.getElementById('panel').getBoundingClientRect();
    out.push({
      index: Number(g.getAttribute('data-index')),
      shown: document.querySelector('#panel h3').textContent.split(' ')[0],
      arrow: [a.left, a.top, a.right, a.bottom],
      panel: [p.left, p.top, p.right, p.bottom],
      width: innerWidth, height: innerHeight,
      scroll_width: document.scrollingElement.scrollWidth,
      ladder_fits: document.getElementById('svg').getBoundingClientRect().width <= document.getElementById('ladder').clientWidth,
      diagrams: Array.prototype.map.call(document.querySelectorAll('#panel pre.diagram'),
        function (d) { return [d.scrollWidth, d.clientWidth]; })
    });
  });
  return out;
})()"#;

#[test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium (CI installs it; the test fails there if it is missing)"
)]
fn the_detail_panel_sits_next_to_the_clicked_arrow_on_a_phone_and_a_wide_screen() {
    require("chromium");
    let dir = scratch("html-layout");
    let page = dir.join("t.html");
    netcourse(&[
        "run",
        "lesson",
        "tcp-basics",
        "--quiet",
        "--export",
        page.to_str().unwrap(),
    ])
    .run()
    .ok();
    let mut browser = Browser::start(&dir.join("profile"), &dir.join("chromium.log"));
    let url = format!("file://{}", page.display());
    for (width, height) in [(390u32, 900u32), (1400, 900)] {
        let probes = browser.evaluate_at(&url, width, height, PROBE);
        let probes = probes.as_array().expect("the probe's list");
        assert_eq!(probes.len(), 3);
        for p in probes {
            let at = format!("{width}px, arrow #{}: {p}", p["index"]);
            let n = |v: &Value| v.as_f64().unwrap();
            let (a, b) = (&p["arrow"], &p["panel"]);
            let (w, h) = (n(&p["width"]), n(&p["height"]));
            assert_eq!(w, width as f64, "{at}");
            assert_eq!(
                p["shown"],
                format!("#{}", p["index"]),
                "the panel shows the clicked event: {at}"
            );
            assert!(
                n(&p["scroll_width"]) <= w,
                "the page overflows sideways: {at}"
            );
            assert!(
                n(&a[1]) >= 0.0 && n(&a[3]) <= h,
                "the clicked arrow is off screen: {at}"
            );
            assert!(
                n(&b[1]) >= 0.0 && n(&b[1]) < h - 100.0 && n(&b[2]) <= w,
                "the panel's top is not on screen: {at}"
            );
            let beside = n(&b[0]) >= n(&a[2]);
            let below = n(&b[1]) >= n(&a[3]) && n(&b[1]) - n(&a[3]) <= h;
            assert!(
                beside || below,
                "the panel is neither beside nor just below the arrow: {at}"
            );
            assert_eq!(beside, width >= 900, "{at}");
            let diagrams = p["diagrams"].as_array().unwrap();
            assert!(diagrams.len() >= 3, "Ethernet, IP and TCP diagrams: {at}");
            for d in diagrams {
                assert!(
                    n(&d[0]) <= n(&d[1]),
                    "a header diagram is wider than its panel: {at}"
                );
            }
            assert_eq!(p["ladder_fits"], true, "two lanes fit the screen: {at}");
        }
    }
}
