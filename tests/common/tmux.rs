//! A real terminal for step mode's tests: netcourse in a tmux pane of its
//! own (its own server, by socket name), read with capture-pane.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{bin, read_json, require, scratch};

pub struct Tmux {
    socket: String,
    dir: PathBuf,
}

impl Tmux {
    /// Start `netcourse ARGS` in a 100×40 tmux pane, recording `stty -g`
    /// before and after, its pid and its exit code. None when tmux is missing.
    pub fn start(tag: &str, args: &[&str], env: &[(&str, &str)]) -> Option<Tmux> {
        Tmux::start_sized(tag, args, env, 100, 40)
    }

    /// The same in a pane of `cols`×`rows`.
    pub fn start_sized(
        tag: &str,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Option<Tmux> {
        require("tmux");
        let dir = scratch(tag);
        let socket = format!("netcourse-test-{}-{tag}", std::process::id());
        let mut inner = "echo $$ > pid; exec env".to_string();
        for (k, v) in env {
            inner.push_str(&format!(" {k}={v}"));
        }
        inner.push_str(&format!(" {}", bin()));
        for a in args {
            inner.push_str(&format!(" {a}"));
        }
        let command = format!(
            "cd {dir}; stty -g > before; sh -c '{inner}'; echo $? > rc.tmp; stty -g > after; mv rc.tmp rc",
            dir = dir.display()
        );
        let me = Tmux { socket, dir };
        let out = me.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "S",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            &command,
            ";",
            "set-option",
            "-t",
            "S",
            "remain-on-exit",
            "on",
        ]);
        assert!(
            out.status.success(),
            "tmux failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(me)
    }

    /// An interactive shell (with job control, for Ctrl-Z and `fg`) in a
    /// `cols`×`rows` pane, in the test's directory, its prompt `nc$ `.
    pub fn shell(tag: &str, cols: u16, rows: u16) -> Option<Tmux> {
        require("tmux");
        let dir = scratch(tag);
        let socket = format!("netcourse-test-{}-{tag}", std::process::id());
        let command = format!("cd {}; exec env PS1='nc$ ' ENV= /bin/sh -i", dir.display());
        let me = Tmux { socket, dir };
        let out = me.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "S",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            &command,
        ]);
        assert!(
            out.status.success(),
            "tmux failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        me.wait("the shell's prompt", |t| t.visible().contains("nc$"));
        Some(me)
    }

    /// Type `text` and Enter.
    pub fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// The contents of file `name` once a line has been written to it.
    pub fn file_line(&self, name: &str) -> String {
        let path = self.path(name);
        self.wait(name, |_| {
            std::fs::read_to_string(&path).is_ok_and(|s| s.ends_with('\n'))
        });
        std::fs::read_to_string(&path).unwrap()
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            // tmux runs the pane's command with $SHELL, else the login shell
            // from passwd — for `nobody` that is nologin.
            .env("SHELL", "/bin/sh")
            .output()
            .expect("run tmux")
    }

    /// The pane's whole text, history included.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-J", "-t", "S", "-S", "-"])
                .stdout,
        )
        .into_owned()
    }

    /// Only what is visible now.
    pub fn visible(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "S"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "S"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Poll `cond` every few milliseconds until it holds, for at most 20 s.
    pub fn wait(&self, what: &str, mut cond: impl FnMut(&Tmux) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_for_legend(&self) {
        self.wait("the key legend", |t| t.visible().contains("[q]uit"));
    }

    pub fn wait_done(&self) -> i32 {
        self.wait("netcourse to exit", |t| t.path("rc").exists());
        std::fs::read_to_string(self.path("rc"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    pub fn pid(&self) -> i32 {
        self.wait("the pid file", |t| {
            std::fs::read_to_string(t.path("pid")).is_ok_and(|s| s.ends_with('\n'))
        });
        std::fs::read_to_string(self.path("pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    pub fn assert_terminal_restored(&self) {
        let before = std::fs::read_to_string(self.path("before")).unwrap();
        let after = std::fs::read_to_string(self.path("after")).unwrap();
        assert!(!before.trim().is_empty());
        assert_eq!(
            before,
            after,
            "the terminal settings changed; screen:\n{}",
            self.screen()
        );
    }

    pub fn export(&self) -> Value {
        read_json(&self.path("t.json"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Our own server, by its socket; and the socket file, which it leaves.
        let socket = String::from_utf8_lossy(
            &self
                .tmux(&["display-message", "-p", "#{socket_path}"])
                .stdout,
        )
        .trim()
        .to_string();
        let _ = self.tmux(&["kill-server"]);
        if socket.contains("netcourse-test-") {
            let _ = std::fs::remove_file(socket);
        }
    }
}
