//! The HTML page on a phone (390 px) and a wide screen (1400 px), in real
//! headless Chromium driven over the DevTools protocol (a pipe, no Node):
//! after a click on an arrow the detail panel is next to it (beside it, or
//! in the sheet just below it), nothing overflows sideways, and the RFC
//! header diagrams fit the panel.

mod common;
use common::*;

use common::chromium::Browser;
use serde_json::Value;

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

/// Every lane head (name, x), and for every event its arrow's ends or its
/// call marker's x.
const LANES: &str = r#"(function () {
  var heads = Array.prototype.map.call(document.querySelectorAll('#svg .lane-head text'),
    function (t) { return [t.textContent, Number(t.getAttribute('x'))]; });
  var events = Array.prototype.map.call(document.querySelectorAll('#svg g.ev'), function (g) {
    var line = g.querySelector('line.shaft'), dot = g.querySelector('circle');
    return {
      index: Number(g.getAttribute('data-index')),
      xs: line ? [Number(line.getAttribute('x1')), Number(line.getAttribute('x2'))]
        : dot ? [Number(dot.getAttribute('cx'))] : []
    };
  });
  return { heads: heads, events: events };
})()"#;

#[test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium (CI installs it; the test fails there if it is missing)"
)]
fn a_lesson_with_hosts_draws_one_lane_per_host_and_each_frame_on_its_link() {
    require("chromium");
    let dir = scratch("html-hosts");
    let page = dir.join("t.html");
    let json = dir.join("t.json");
    netcourse(&[
        "run",
        "lesson",
        "ip-router",
        "--quiet",
        "--export",
        page.to_str().unwrap(),
        "--export",
        json.to_str().unwrap(),
    ])
    .run()
    .ok();
    let t = read_json(&json);
    let mut browser = Browser::start(&dir.join("profile"), &dir.join("chromium.log"));
    let url = format!("file://{}", page.display());
    let drawn = browser.evaluate_at(&url, 1400, 900, LANES);
    let heads: Vec<(String, f64)> = drawn["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_string(), h[1].as_f64().unwrap()))
        .collect();
    let names: Vec<&str> = heads.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(names, ["alice", "router", "bob"], "one lane per host");
    // The lane a drawn x belongs to (arrows stop 3 px short of their lane).
    let lane = |x: f64| {
        heads
            .iter()
            .min_by(|a, b| (a.1 - x).abs().total_cmp(&(b.1 - x).abs()))
            .map(|h| h.0.clone())
            .unwrap()
    };
    let ends = t["network"]["ends"].as_array().unwrap();
    let host = |i: &Value| {
        ends[i.as_u64().unwrap() as usize]["host"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let drawn_events = drawn["events"].as_array().unwrap();
    let events = t["events"].as_array().unwrap();
    assert_eq!(drawn_events.len(), events.len());
    let mut routed = Vec::new();
    for (d, e) in drawn_events.iter().zip(events) {
        assert_eq!(d["index"], e["index"]);
        let xs: Vec<String> = d["xs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| lane(x.as_f64().unwrap()))
            .collect();
        if e["kind"] == "frame" {
            let c = &e["crossing"];
            let expected = vec![host(&c["from_end"]), host(&c["to_ends"][0])];
            assert_eq!(xs, expected, "frame #{} on link {}", e["index"], c["link"]);
            if e["payload"] == "b\"across\"" {
                routed.push(xs);
            }
        } else {
            let on = if e["actor"] == "receiver" {
                "bob"
            } else {
                "alice"
            };
            assert_eq!(xs, [on], "call #{} of {}", e["index"], e["actor"]);
        }
    }
    // The routed datagram: two arrows, one per link.
    assert_eq!(
        routed,
        [["alice", "router"], ["router", "bob"]],
        "the datagram crosses both links"
    );
}
