//! The students' page: self-contained (no outside asset), drawn by the HTML
//! export's own style and script, fed by the class's messages. It carries
//! the messages so far (a late joiner sees everything at once), then
//! follows the event stream. Nothing in it is more than the teacher's
//! screen has shown: the log holds nothing else.

use std::io::Write;

use crate::render::html::{CSS, JS, PANEL, ScriptSafe};

use super::class::Class;

const CLASS_CSS: &str = r#"
#class { border: 2px solid #8fa9cf; border-radius: 8px; padding: 8px 14px; margin: 10px 0; background: #f5f8fd; }
#class p { margin: .3em 0; }
#now { font-weight: 600; }
#say { color: #374151; }
#ask input { font: inherit; padding: 6px 8px; width: min(24em, 70vw); }
#ask button { font: inherit; padding: 6px 14px; margin-left: 6px; }
#question { font-size: 1.15em; font-weight: 700; }
#verdict.right { color: #15803d; font-weight: 600; } #verdict.wrong { color: #b45309; font-weight: 600; }
#conn { color: #b91c1c; }
"#;

const LIVE_JS: &str = r#"(function () {
  'use strict';
  function $(id) { return document.getElementById(id); }
  function text(id, s) { $(id).textContent = s; }
  var C = JSON.parse($('classlog').textContent);
  var T = null, V = { lanes: [], events: [] }, mine = {}, es = null, drawing = false;
  // The export's script is run again for every new event: only its latest
  // handler of each kind on the page (keys) and the window (resize) may
  // stay, and the panel's buttons are new ones each time.
  function latestOnly(target) {
    var last = {}, realAdd = target.addEventListener.bind(target);
    target.addEventListener = function (type, fn, opts) {
      if (last[type]) target.removeEventListener(type, last[type], opts);
      last[type] = fn;
      return realAdd(type, fn, opts);
    };
  }
  latestOnly(document);
  latestOnly(window);
  function draw() {
    if (!T) return;
    $('transcript').textContent = JSON.stringify(T);
    $('views').textContent = JSON.stringify(V);
    ['svg', 'detail', 'all'].forEach(function (id) { var n = $(id); while (n.firstChild) n.removeChild(n.firstChild); });
    ['prev', 'next', 'close'].forEach(function (id) { var b = $(id); b.parentNode.replaceChild(b.cloneNode(true), b); });
    var n = T.events.length;
    if (n) {
      try { history.replaceState(null, '', location.pathname + location.search + '#e' + T.events[n - 1].index); } catch (err) { /* ignore */ }
    }
    drawExport();
    document.documentElement.setAttribute('data-events', String(n));
  }
  function later() {
    if (drawing) return;
    drawing = true;
    setTimeout(function () { drawing = false; draw(); }, 0);
  }
  function hello(d) {
    T = { format: d.format, version: d.version, generator: d.generator, complete: false, lesson: d.lesson,
      network: d.network, actors: d.actors, steps: d.steps, events: [], outcome: { passed: false }, dropped: 0, started_at_ns: 0 };
    document.title = d.lesson.title + ' — netcourse class';
    text('title', d.lesson.title);
    text('summary', d.lesson.summary);
    text('net', d.network.note);
  }
  function ask(d) {
    $('verdict').hidden = true;
    $('ask').hidden = false;
    $('ask').setAttribute('data-step', String(d.step));
    text('question', 'Checkpoint: ' + d.question);
    text('sent', '');
    $('given').value = '';
    $('given').disabled = false;
    $('send').disabled = false;
  }
  function send(ev) {
    ev.preventDefault();
    var step = $('ask').getAttribute('data-step'), answer = $('given').value;
    if (!answer.trim()) return;
    $('send').disabled = true;
    fetch('/answer?code=' + C.code + '&checkpoint=' + step, { method: 'POST', body: answer, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.receipt) {
          mine[step] = { answer: answer.trim(), receipt: j.receipt };
          $('given').disabled = true;
          text('sent', 'Sent: ' + answer.trim() + '. Wait for the reveal.');
        } else {
          $('send').disabled = false;
          text('sent', 'Not sent: ' + (j.error || 'refused') + '.');
        }
      })
      .catch(function () { $('send').disabled = false; text('sent', 'Not sent: no connection.'); });
  }
  function reveal(d) {
    $('ask').hidden = true;
    var v = $('verdict'), me = mine[d.step], says = 'the frame says ' + d.answer + ' (' + d.value + ').';
    var kind = 'none', line;
    if (!d.gradable) line = 'The capture cannot grade this one.';
    else if (me && d.right.indexOf(me.receipt) >= 0) { kind = 'right'; line = 'Right: ' + says; }
    else if (me) { kind = 'wrong'; line = 'Not quite: you said ' + me.answer + '; ' + says; }
    else line = 'The answer: ' + says;
    if (d.explain) line += ' ' + d.explain;
    var groups = (d.groups || []).slice(0, 5).map(function (g) { return g.count + ' said ' + g.answer + (g.correct ? ' (right)' : ''); });
    line += ' The class: ' + (groups.length ? groups.join(', ') : 'nobody answered') + '.';
    v.className = kind === 'none' ? '' : kind;
    v.setAttribute('data-verdict', kind);
    v.textContent = line;
    v.hidden = false;
  }
  function handle(type, d, live) {
    if (type === 'hello') hello(d);
    else if (type === 'step') {
      text('now', 'Step ' + d.number + '/' + d.total + ': ' + d.actor + ' is about to call ' + d.call);
      text('say', d.say || '');
    } else if (type === 'event') T.events.push(d);
    else if (type === 'view') { V.lanes = d.lanes; V.events.push(d.view); if (live) later(); }
    else if (type === 'checkpoint') ask(d);
    else if (type === 'reveal') reveal(d);
    else if (type === 'end') {
      text('now', d.complete ? 'The lesson is over.' : 'The teacher stopped the lesson.');
      if (es) es.close();
      es = null;
    }
  }
  $('ask').addEventListener('submit', send);
  var ended = false;
  C.log.forEach(function (m) { handle(m[0], m[1], false); if (m[0] === 'end') ended = true; });
  draw();
  if (!ended && window.EventSource) {
    es = new EventSource('/events?code=' + C.code + '&from=' + C.from);
    ['hello', 'step', 'event', 'view', 'checkpoint', 'reveal', 'end'].forEach(function (type) {
      es.addEventListener(type, function (m) { text('conn', ''); handle(type, JSON.parse(m.data), true); });
    });
    es.onerror = function () { if (es) text('conn', 'Connection lost; trying again…'); };
  }
})();
function drawExport() {
"#;

/// The page as it stands now: the messages so far inside it.
pub fn html(class: &Class) -> String {
    let log = class.messages_from(0, std::time::Duration::ZERO);
    let mut h = String::with_capacity(64 * 1024 + log.iter().map(|m| m.data.len()).sum::<usize>());
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>netcourse class</title>\n<style>\n");
    h.push_str(CSS);
    h.push_str(CLASS_CSS);
    h.push_str("</style>\n</head>\n<body>\n<header>\n<h1 id=\"title\">netcourse class</h1>\n");
    h.push_str(
        "<p class=\"summary\" id=\"summary\"></p>\n<p class=\"net\" id=\"net\"></p>\n</header>\n",
    );
    h.push_str(
        "<section id=\"class\" aria-live=\"polite\">\n<p id=\"now\">Waiting for the teacher's first step…</p>\n\
         <p id=\"say\"></p>\n<p id=\"conn\"></p>\n\
         <form id=\"ask\" hidden><p id=\"question\"></p>\
         <input id=\"given\" maxlength=\"100\" autocomplete=\"off\" aria-label=\"Your answer\">\
         <button id=\"send\">Answer</button><p id=\"sent\"></p></form>\n\
         <p id=\"verdict\" hidden></p>\n</section>\n",
    );
    h.push_str(
        "<noscript><p class=\"warn\">This page follows the class with a small script kept inside the page; turn scripts on.</p></noscript>\n\
         <main>\n<section id=\"ladder-wrap\" aria-label=\"Ladder diagram\">\n\
         <p class=\"help\">Each arrow is a captured frame, each dot a socket call, as the teacher shows them. \
         Click one to see it; <kbd>←</kbd> and <kbd>→</kbd> step through the events.</p>\n\
         <div id=\"ladder\"><svg id=\"svg\" role=\"img\" aria-label=\"Ladder diagram of the exchange\"></svg></div>\n\
         </section>\n",
    );
    h.push_str(PANEL);
    h.push_str("</main>\n<section id=\"all\" aria-label=\"Every event\"></section>\n");
    h.push_str("<script type=\"application/json\" id=\"transcript\">{}</script>\n");
    h.push_str("<script type=\"application/json\" id=\"views\">{}</script>\n");
    h.push_str("<script type=\"application/json\" id=\"classlog\">");
    let mut data = format!(
        "{{\"code\":\"{}\",\"from\":{},\"log\":[",
        class.code,
        log.len()
    );
    for (i, m) in log.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        data.push_str(&format!("[\"{}\",{}]", m.event, m.data));
    }
    data.push_str("]}");
    let mut safe = Vec::with_capacity(data.len());
    let _ = ScriptSafe(&mut safe).write_all(data.as_bytes());
    h.push_str(&String::from_utf8_lossy(&safe));
    h.push_str("</script>\n<script>\n");
    h.push_str(LIVE_JS);
    h.push_str(JS);
    h.push_str("}\n</script>\n</body>\n</html>\n");
    h
}
