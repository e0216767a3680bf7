//! A minimal Hugging Face hub for tests: a real HTTP/1.1 server on 127.0.0.1 that serves files in
//! the hub's URL layout, `GET /{org}/{name}/resolve/{revision}/{file}`, with the headers hf-hub
//! reads (`x-repo-commit`, `etag`, `x-linked-etag`, `content-range`, `content-length`) and range
//! requests (`Range: bytes=S-` and `bytes=S-E`). It records every request, can demand a token,
//! and can cut a download short to simulate a dropped connection.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A file the server publishes.
#[derive(Debug, Clone)]
pub struct HubFile {
    /// `org/name`.
    pub repo: String,
    /// The commit (answered in `x-repo-commit`).
    pub commit: String,
    /// Branch names that resolve to `commit` (e.g. "main").
    pub branches: Vec<String>,
    /// Path inside the repository.
    pub file: String,
    pub body: Vec<u8>,
    /// The etag to advertise (the sha256 for LFS files on the real hub).
    pub etag: String,
    /// Answer 401 unless `Authorization: Bearer <token>` carries this token.
    pub token: Option<String>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub authorization: Option<String>,
    pub status: u16,
}

#[derive(Debug, Default)]
struct State {
    requests: Vec<Request>,
    /// Cut the next body download after this many bytes.
    cut_next_body_after: Option<usize>,
}

/// The running server; stops when dropped.
pub struct HubServer {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HubServer {
    /// Starts serving `files` on a free port.
    pub fn start(files: Vec<HubFile>) -> HubServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let files = Arc::new(files);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = conn {
                    // One request per connection (we answer `Connection: close`).
                    let _ = handle(stream, &files, &st);
                }
            }
        });
        HubServer {
            port,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for `HF_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// All requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Number of requests so far.
    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }

    /// The next download of file contents (any range other than the `bytes=0-0` metadata probe)
    /// sends its headers and `n` bytes of body, then closes the connection.
    pub fn cut_next_body_after(&self, n: usize) {
        self.state.lock().unwrap().cut_next_body_after = Some(n);
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(mut stream: TcpStream, files: &[HubFile], state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut range = None;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "range" => range = Some(v),
                "authorization" => authorization = Some(v),
                _ => {}
            }
        }
    }

    let found = files.iter().find(|f| {
        let prefix = format!("/{}/resolve/", f.repo);
        match path.strip_prefix(&prefix) {
            Some(rest) => {
                let (rev, file) = rest.split_once('/').unwrap_or((rest, ""));
                file == f.file && (rev == f.commit || f.branches.iter().any(|b| b == rev))
            }
            None => false,
        }
    });
    let record = |status: u16| {
        state.lock().unwrap().requests.push(Request {
            method: method.clone(),
            path: path.clone(),
            range: range.clone(),
            authorization: authorization.clone(),
            status,
        });
    };
    let Some(f) = found.filter(|_| method == "GET") else {
        record(404);
        return respond_simple(&mut stream, 404, "Not Found", "Entry not found");
    };
    if let Some(tok) = &f.token {
        if authorization.as_deref() != Some(&format!("Bearer {tok}")) {
            record(401);
            return respond_simple(
                &mut stream,
                401,
                "Unauthorized",
                "Access to this model is restricted",
            );
        }
    }

    let total = f.body.len();
    let (start, end) = match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
        Some(spec) => {
            let (s, e) = spec.split_once('-').unwrap_or((spec, ""));
            let s: usize = s.parse().unwrap_or(0);
            let e: usize = if e.is_empty() {
                total.saturating_sub(1)
            } else {
                e.parse().unwrap_or(0)
            };
            (s, e.min(total.saturating_sub(1)))
        }
        None => (0, total.saturating_sub(1)),
    };
    if start >= total {
        record(416);
        return respond_simple(&mut stream, 416, "Range Not Satisfiable", "");
    }
    let partial = range.is_some();
    let status = if partial { 206 } else { 200 };
    record(status);
    let body = &f.body[start..=end];
    let is_probe = range.as_deref() == Some("bytes=0-0");
    let cut = if is_probe {
        None
    } else {
        state.lock().unwrap().cut_next_body_after.take()
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\
         accept-ranges: bytes\r\nx-repo-commit: {}\r\netag: \"{}\"\r\nx-linked-etag: \"{}\"\r\n\
         x-linked-size: {total}\r\nconnection: close\r\n",
        if partial { "Partial Content" } else { "OK" },
        body.len(),
        f.commit,
        f.etag,
        f.etag,
    );
    if partial {
        head.push_str(&format!("content-range: bytes {start}-{end}/{total}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    match cut {
        Some(n) => {
            stream.write_all(&body[..n.min(body.len())])?;
            stream.flush()?;
            let _ = stream.shutdown(Shutdown::Both);
        }
        None => {
            stream.write_all(body)?;
            stream.flush()?;
        }
    }
    Ok(())
}

fn respond_simple(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    body: &str,
) -> std::io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(msg.as_bytes())?;
    stream.flush()
}
