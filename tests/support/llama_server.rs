//! A real OpenAI-compatible server for tests: llama.cpp's `llama-server` serving SmolLM2 on
//! 127.0.0.1, started on a free port (`-c 4096`, one slot, no prompt cache, [`threads`] threads,
//! no web UI, model alias `smollm2`) and killed when the guard drops (also when a test panics).
//!
//! The binary is `$PYWARD_LLAMA_SERVER`, else `<repo>/target/llama.cpp/build/bin/llama-server`
//! (built by `scripts/build-llama.sh`, which `scripts/test.sh` runs). A missing binary fails
//! the test with directions, unless `PYWARD_SKIP_LLAMA_SERVER=1`, which skips it with a notice.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The llama-server binary, or `None` (with a notice) when the tests are to be skipped.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PYWARD_LLAMA_SERVER")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/llama.cpp/build/bin/llama-server")
        });
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("PYWARD_SKIP_LLAMA_SERVER").as_deref() == Ok("1") {
        eprintln!(
            "skipping: llama-server not found at {} and PYWARD_SKIP_LLAMA_SERVER=1",
            path.display()
        );
        return None;
    }
    panic!(
        "llama-server not found at {}: run `scripts/build-llama.sh` (or set PYWARD_LLAMA_SERVER to a \
         llama-server binary; PYWARD_SKIP_LLAMA_SERVER=1 skips these tests)",
        path.display()
    );
}

/// The SmolLM2 GGUF file from `PYWARD_MODELS_DIR` (default `<repo>/.models`).
pub fn model() -> PathBuf {
    let dir = std::env::var_os("PYWARD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".models"));
    let path = dir.join(SMOLLM2);
    assert!(
        path.is_file(),
        "model file {} not found: run `scripts/fetch-models.sh` or set PYWARD_MODELS_DIR",
        path.display()
    );
    path
}

/// llama-server's threads: `$PYWARD_LLAMA_THREADS`, default 1. ggml's worker threads spin while
/// they wait; on a 2-core machine shared with other builds, 2 threads measured 1.9 tokens/s of
/// decode against 22 with 1 thread (SmolLM2, load average 7).
pub fn threads() -> String {
    std::env::var("PYWARD_LLAMA_THREADS")
        .ok()
        .filter(|t| t.parse::<u16>().is_ok_and(|n| n > 0))
        .unwrap_or_else(|| "1".into())
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// A running llama-server; killed on drop.
pub struct LlamaServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LlamaServer {
    /// Starts llama-server with SmolLM2 and `extra` arguments and waits until `/health`
    /// answers 200. `None` when the tests are skipped (see [`binary`]).
    pub fn start(extra: &[&str]) -> Option<LlamaServer> {
        let mut last = String::new();
        // A free port can be taken between the probe and the server's bind: try a few.
        for _ in 0..3 {
            let mut server = LlamaServer::spawn(extra)?;
            match server.wait_healthy(Duration::from_secs(180)) {
                Ok(()) => return Some(server),
                Err(e) => last = e,
            }
        }
        panic!("llama-server did not start: {last}");
    }

    /// Starts llama-server without waiting for it: for a moment the port refuses connections,
    /// then the server answers 503 while it loads the model.
    pub fn spawn(extra: &[&str]) -> Option<LlamaServer> {
        let bin = binary()?;
        let model = model();
        let threads = threads();
        {
            let port = free_port();
            let dir = tempfile::tempdir().unwrap();
            let log = dir.path().join("llama-server.log");
            let out = std::fs::File::create(&log).unwrap();
            let err = out.try_clone().unwrap();
            let child = Command::new(&bin)
                .args([
                    "-m",
                    model.to_str().unwrap(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                ])
                .args([
                    "-c",
                    "4096",
                    "-t",
                    &threads,
                    "-tb",
                    &threads,
                    "-np",
                    "1",
                    "--no-webui",
                    "-a",
                    "smollm2",
                ])
                // Reusing a cached prompt prefix changes the numerics of the rest of the
                // prompt, and at temperature 0 a near tie can flip: measured, the same guardrail
                // request answered `injection: true`, then `false`. Without the prompt cache
                // identical requests give bit-identical logprobs.
                .arg("--no-cache-prompt")
                .args(extra)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            Some(LlamaServer {
                child,
                port,
                log,
                _dir: dir,
            })
        }
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/health` answers 200; the error says why not (with the log's tail).
    pub fn wait_healthy(&mut self, limit: Duration) -> Result<(), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .proxy(None)
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}/health", self.port);
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log();
                return Err(format!(
                    "exited with {status}; log tail:\n{}",
                    tail(&log, 3000)
                ));
            }
            if let Ok(r) = agent.get(&url).call() {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "no healthy /health within {limit:?}; log tail:\n{}",
            tail(&self.log(), 3000)
        ))
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
