//! Model management against a real HTTP server speaking the hub's protocol on 127.0.0.1:
//! pull into the Hugging Face cache layout, offline mode, sha256 verification, interrupted
//! downloads and resume, import, verify and resolution.
//!
//! Every test builds its own `ModelsConfig` (endpoint, cache dir, pyward home) instead of setting
//! process environment variables, so the tests can run in parallel.

#[path = "support/hub_server.rs"]
mod hub_server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use hub_server::{HubFile, HubServer};
use pyward::cli::models::ModelsArgs;
use pyward::commands::models::run_with;
use pyward::models::import::{import, ImportLocation};
use pyward::models::verify::{verify, VerifyStatus};
use pyward::models::{
    pull, resolve_with, Catalog, Manifest, ModelRequest, ModelsConfig, ModelsError, PullOptions,
    RecommendedDevice,
};
use sha2::{Digest, Sha256};

const REPO: &str = "testorg/tiny-GGUF";
const COMMIT: &str = "3f786850e387550fdab836ed7e6dc881de23001b";
const FILE: &str = "tiny-q8_0.gguf";

/// A few KB of deterministic bytes that start like a GGUF file.
fn fake_model(len: usize, seed: u64) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn manifest(name: &str, body: &[u8]) -> Manifest {
    Manifest {
        name: name.to_string(),
        description: "test model".to_string(),
        architecture: "llama".to_string(),
        parameters: "1K".to_string(),
        quant: "Q8_0".to_string(),
        context_length: 256,
        device: RecommendedDevice::Cpu,
        default_for: vec![],
        tier: 1,
        license: "MIT".to_string(),
        repo: REPO.to_string(),
        revision: COMMIT.to_string(),
        file: FILE.to_string(),
        sha256: sha256_hex(body),
        size: body.len() as u64,
        verified: true,
        provenance: "computed by the test".to_string(),
        pypi: vec![],
        pypi_member: String::new(),
    }
}

fn hub_file(body: &[u8], etag: &str) -> HubFile {
    HubFile {
        repo: REPO.to_string(),
        commit: COMMIT.to_string(),
        branches: vec!["main".to_string()],
        file: FILE.to_string(),
        body: body.to_vec(),
        etag: etag.to_string(),
        token: None,
    }
}

/// A configuration as `from_env` would build it from these variables, all under `root`.
fn config(root: &Path, endpoint: &str, extra: &[(&str, &str)]) -> ModelsConfig {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("HF_HOME".into(), root.join("hf").to_string_lossy().into());
    vars.insert(
        "PYWARD_HOME".into(),
        root.join("pyward").to_string_lossy().into(),
    );
    vars.insert("HF_ENDPOINT".into(), endpoint.to_string());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut cfg = ModelsConfig::from_lookup(|k| vars.get(k).cloned());
    cfg.hub.progress = false;
    cfg
}

fn snapshot(root: &Path) -> PathBuf {
    root.join("hf/hub/models--testorg--tiny-GGUF/snapshots")
        .join(COMMIT)
        .join(FILE)
}

fn blob(root: &Path, etag: &str) -> PathBuf {
    root.join("hf/hub/models--testorg--tiny-GGUF/blobs")
        .join(etag)
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    models: ModelsArgs,
}

fn cli(args: &[&str], catalog: &Catalog, cfg: &ModelsConfig) -> (Result<i32, ModelsError>, String) {
    let mut argv = vec!["pyward-models"];
    argv.extend_from_slice(args);
    let parsed = Cli::try_parse_from(argv).expect("arguments parse");
    let mut out = Vec::new();
    let r = run_with(&parsed.models, catalog, cfg.clone(), &mut out);
    (r, String::from_utf8(out).unwrap())
}

#[test]
fn pull_lands_in_the_hf_cache_layout_and_a_second_pull_is_local() {
    let body = fake_model(6000, 1);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let m = manifest("tiny", &body);

    let out = pull(&m, &cfg, &PullOptions::default()).expect("pull");
    assert!(out.downloaded);
    assert_eq!(out.sha256, sha);
    assert_eq!(out.path, snapshot(tmp.path()));
    assert_eq!(std::fs::read(&out.path).unwrap(), body);
    // Same layout as huggingface_hub: a relative symlink into blobs/<etag>, and a ref.
    let link = std::fs::read_link(&out.path).unwrap();
    assert_eq!(link, PathBuf::from(format!("../../blobs/{sha}")));
    assert_eq!(std::fs::read(blob(tmp.path(), &sha)).unwrap(), body);
    let found = hf_hub::Cache::new(tmp.path().join("hf/hub"))
        .repo(hf_hub::Repo::with_revision(
            REPO.into(),
            hf_hub::RepoType::Model,
            COMMIT.into(),
        ))
        .get(FILE);
    assert_eq!(found, Some(snapshot(tmp.path())));

    let reqs = server.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(r.path, format!("/{REPO}/resolve/{COMMIT}/{FILE}"));
        assert_eq!(r.authorization, None);
    }
    assert!(
        reqs.iter().any(|r| r.range.as_deref() == Some("bytes=0-")),
        "{reqs:?}"
    );
    let before = server.request_count();

    // Second pull: served from the cache, no request at all.
    let again = pull(&m, &cfg, &PullOptions::default()).expect("second pull");
    assert!(!again.downloaded);
    assert_eq!(again.path, out.path);
    assert_eq!(server.request_count(), before);

    // Resolution finds it by name, with its sha256, without the network.
    let catalog = Catalog::from_manifests(vec![m.clone()]).unwrap();
    let req = ModelRequest {
        name: Some("tiny".into()),
        ..Default::default()
    };
    let r = resolve_with(&req, &catalog, &cfg).unwrap();
    assert_eq!(r.path, out.path);
    assert_eq!(r.sha256, sha);
    assert_eq!(r.manifest.as_ref().map(|m| m.name.as_str()), Some("tiny"));
    assert_eq!(server.request_count(), before);

    // The CLI reports the same thing.
    let (code, text) = cli(&["pull", "tiny"], &catalog, &cfg);
    assert_eq!(code.unwrap(), 0);
    assert!(text.contains("tiny: already cached"), "{text}");
    assert_eq!(server.request_count(), before);
    let (code, text) = cli(&["list"], &catalog, &cfg);
    assert_eq!(code.unwrap(), 0);
    assert!(
        text.lines()
            .any(|l| l.starts_with("tiny") && l.contains("cached")),
        "{text}"
    );
}

#[test]
fn offline_with_a_cold_cache_fails_without_any_request() {
    let body = fake_model(3000, 2);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest("tiny", &body);
    let catalog = Catalog::from_manifests(vec![m.clone()]).unwrap();

    // HF_HUB_OFFLINE=1 in the environment.
    let cfg = config(tmp.path(), &server.endpoint(), &[("HF_HUB_OFFLINE", "1")]);
    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ModelsError::OfflineNotCached { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("HF_HUB_OFFLINE"), "{msg}");
    assert!(msg.contains("no network request was made"), "{msg}");
    assert!(msg.contains("--model /path/model.gguf"), "{msg}");
    assert!(msg.contains("pyward models import FILE.gguf"), "{msg}");

    // --offline on the command line, hub otherwise enabled.
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let (r, _) = cli(&["pull", "tiny", "--offline"], &catalog, &cfg);
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("offline mode (--offline)"), "{msg}");

    // Resolution never downloads either.
    let req = ModelRequest {
        name: Some("tiny".into()),
        offline: true,
        ..Default::default()
    };
    let err = resolve_with(&req, &catalog, &cfg).unwrap_err();
    assert!(matches!(err, ModelsError::NotCached { .. }), "{err}");
    assert!(err.to_string().contains("pyward models import"), "{err}");

    assert_eq!(server.request_count(), 0, "{:?}", server.requests());
    assert!(!tmp
        .path()
        .join("hf/hub/models--testorg--tiny-GGUF")
        .exists());
}

#[test]
fn offline_with_a_warm_cache_succeeds_without_any_request() {
    let body = fake_model(4000, 3);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest("tiny", &body);
    let online = config(tmp.path(), &server.endpoint(), &[]);
    pull(&m, &online, &PullOptions::default()).expect("warm the cache");
    let n = server.request_count();

    let offline = config(
        tmp.path(),
        &server.endpoint(),
        &[("HF_HUB_OFFLINE", "true")],
    );
    let out = pull(&m, &offline, &PullOptions::default()).expect("offline pull from cache");
    assert!(!out.downloaded);
    assert_eq!(out.path, snapshot(tmp.path()));
    let catalog = Catalog::from_manifests(vec![m]).unwrap();
    let (code, text) = cli(&["pull", "tiny", "--offline"], &catalog, &online);
    assert_eq!(code.unwrap(), 0, "{text}");
    assert_eq!(server.request_count(), n);
}

#[test]
fn a_python_style_cache_entry_is_reused() {
    // huggingface_hub stores a pinned-commit download as snapshots/<commit>/<file> -> blob,
    // without refs/<commit>. pyward must find it without the network.
    let body = fake_model(2000, 4);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "http://127.0.0.1:1", &[("HF_HUB_OFFLINE", "1")]);
    let m = manifest("tiny", &body);
    let sha = sha256_hex(&body);
    let b = blob(tmp.path(), &sha);
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    std::fs::write(&b, &body).unwrap();
    let s = snapshot(tmp.path());
    std::fs::create_dir_all(s.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(format!("../../blobs/{sha}"), &s).unwrap();
    let out = pull(&m, &cfg, &PullOptions::default()).expect("found in cache");
    assert_eq!(out.path, s);
    assert!(!out.downloaded);
}

#[test]
fn an_upstream_file_with_another_sha256_is_refused_before_downloading() {
    let body = fake_model(5000, 5);
    let served_sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &served_sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let mut m = manifest("tiny", &body);
    m.sha256 = "0".repeat(64);

    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ModelsError::HubMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&served_sha) && msg.contains(&"0".repeat(64)),
        "{msg}"
    );
    // Only the metadata probe went out; no body transfer, nothing cached.
    assert!(server
        .requests()
        .iter()
        .all(|r| r.range.as_deref() == Some("bytes=0-0")));
    assert!(!snapshot(tmp.path()).exists());
    assert!(!blob(tmp.path(), &served_sha).exists());
}

#[test]
fn a_download_with_the_wrong_sha256_is_a_typed_error_and_is_removed() {
    let body = fake_model(5000, 6);
    // A non-LFS style etag (git blob sha1) so the mismatch is only found after the download.
    let etag = "1234567890abcdef1234567890abcdef12345678";
    let server = HubServer::start(vec![hub_file(&body, etag)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let mut m = manifest("tiny", &body);
    let wrong = "ab".repeat(32);
    m.sha256 = wrong.clone();

    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    match &err {
        ModelsError::Sha256Mismatch {
            expected,
            actual,
            removed,
            ..
        } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha256_hex(&body));
            assert!(removed);
        }
        other => panic!("expected Sha256Mismatch, got {other}"),
    }
    assert!(err.to_string().contains("removed from the cache"), "{err}");
    assert!(server
        .requests()
        .iter()
        .any(|r| r.range.as_deref() == Some("bytes=0-")));
    let s = snapshot(tmp.path());
    assert!(
        std::fs::symlink_metadata(&s).is_err(),
        "snapshot entry left behind"
    );
    assert!(!blob(tmp.path(), etag).exists(), "bad blob left behind");
    assert!(!blob(tmp.path(), &format!("{etag}.part")).exists());
}

#[test]
fn an_interrupted_download_leaves_nothing_usable_and_a_retry_resumes() {
    let body = fake_model(64 * 1024, 7);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let m = manifest("tiny", &body);
    let catalog = Catalog::from_manifests(vec![m.clone()]).unwrap();

    let cut = 20_000;
    server.cut_next_body_after(cut);
    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ModelsError::Interrupted { .. }), "{err}");
    assert!(err.to_string().contains("interrupted"), "{err}");
    // Nothing in the cache proper: no snapshot, no blob, resolution says "not downloaded".
    assert!(std::fs::symlink_metadata(snapshot(tmp.path())).is_err());
    assert!(!blob(tmp.path(), &sha).exists());
    let req = ModelRequest {
        name: Some("tiny".into()),
        ..Default::default()
    };
    assert!(matches!(
        resolve_with(&req, &catalog, &cfg),
        Err(ModelsError::NotCached { .. })
    ));
    let part = blob(tmp.path(), &format!("{sha}.part"));
    let partial = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    assert!(
        partial > 0 && partial <= cut as u64,
        "partial file has {partial} bytes"
    );

    // Retry: resumes from the partial file with a range request and verifies.
    let out = pull(&m, &cfg, &PullOptions::default()).expect("retry");
    assert!(out.downloaded);
    assert_eq!(std::fs::read(&out.path).unwrap(), body);
    assert!(!part.exists());
    let last = server.requests().last().cloned().unwrap();
    assert_eq!(last.range, Some(format!("bytes={partial}-")));
}

#[test]
fn an_unreachable_hub_names_the_air_gapped_path() {
    let tmp = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let cfg = config(tmp.path(), "http://127.0.0.1:1", &[]);
    let body = fake_model(100, 8);
    let err = pull(&manifest("tiny", &body), &cfg, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ModelsError::HubUnreachable { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("cannot reach the Hugging Face hub at http://127.0.0.1:1"),
        "{msg}"
    );
    assert!(msg.contains("--model /path/model.gguf"), "{msg}");
    assert!(msg.contains("pyward models import FILE.gguf"), "{msg}");
}

#[test]
fn gated_repositories_need_the_token_and_get_it() {
    let body = fake_model(3000, 9);
    let sha = sha256_hex(&body);
    let mut f = hub_file(&body, &sha);
    f.token = Some("hf_test_token".into());
    let server = HubServer::start(vec![f]);
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest("tiny", &body);

    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(err, ModelsError::HubStatus { status: 401, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HF_TOKEN"), "{err}");

    let cfg = config(
        tmp.path(),
        &server.endpoint(),
        &[("HF_TOKEN", "hf_test_token")],
    );
    pull(&m, &cfg, &PullOptions::default()).expect("pull with token");
    assert!(server
        .requests()
        .iter()
        .any(|r| r.authorization.as_deref() == Some("Bearer hf_test_token") && r.status == 206));
}

#[test]
fn unverified_manifests_need_allow_unverified() {
    let body = fake_model(2500, 10);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let mut m = manifest("tiny", &body);
    m.sha256 = String::new();
    m.verified = false;

    let err = pull(&m, &cfg, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ModelsError::Unverified { .. }), "{err}");
    assert!(err.to_string().contains("--allow-unverified"), "{err}");
    assert_eq!(server.request_count(), 0);

    let out = pull(
        &m,
        &cfg,
        &PullOptions {
            allow_unverified: true,
        },
    )
    .expect("pull");
    assert_eq!(out.sha256, sha);
    assert!(
        out.notes.iter().any(|n| n.contains("not verified")),
        "{:?}",
        out.notes
    );
}

#[test]
fn import_puts_a_matching_file_into_the_cache_and_registers_custom_ones() {
    let tmp = tempfile::tempdir().unwrap();
    // No hub at all: everything below is offline.
    let cfg = config(tmp.path(), "http://127.0.0.1:1", &[("HF_HUB_OFFLINE", "1")]);
    let body = fake_model(4096, 11);
    let m = manifest("tiny", &body);
    let catalog = Catalog::from_manifests(vec![m.clone()]).unwrap();
    let src = tmp.path().join("usb/tiny.gguf");
    std::fs::create_dir_all(src.parent().unwrap()).unwrap();
    std::fs::write(&src, &body).unwrap();

    let out = import(&src, None, &catalog, &cfg).expect("import");
    assert_eq!(out.location, ImportLocation::HubCache);
    assert_eq!(out.name, "tiny");
    assert_eq!(out.path, snapshot(tmp.path()));
    assert_eq!(std::fs::read(&out.path).unwrap(), body);
    // Found by name, offline, where a real download would have put it.
    let req = ModelRequest {
        name: Some("tiny".into()),
        offline: true,
        ..Default::default()
    };
    assert_eq!(
        resolve_with(&req, &catalog, &cfg).unwrap().path,
        snapshot(tmp.path())
    );
    let pulled = pull(&m, &cfg, &PullOptions::default()).expect("pull sees the import");
    assert!(!pulled.downloaded);

    // A file that matches no manifest needs a name ...
    let other = fake_model(3000, 12);
    let src2 = tmp.path().join("usb/custom.gguf");
    std::fs::write(&src2, &other).unwrap();
    let err = import(&src2, None, &catalog, &cfg).unwrap_err();
    assert!(matches!(err, ModelsError::ImportNeedsName { .. }), "{err}");
    // ... and may not take a manifest's name.
    let err = import(&src2, Some("tiny"), &catalog, &cfg).unwrap_err();
    assert!(matches!(err, ModelsError::Sha256Mismatch { .. }), "{err}");
    let (code, text) = cli(
        &["import", src2.to_str().unwrap(), "--name", "my-model"],
        &catalog,
        &cfg,
    );
    assert_eq!(code.unwrap(), 0);
    assert!(text.contains("as `my-model` (custom model"), "{text}");
    let req = ModelRequest {
        name: Some("my-model".into()),
        ..Default::default()
    };
    let r = resolve_with(&req, &catalog, &cfg).unwrap();
    assert_eq!(r.sha256, sha256_hex(&other));
    assert_eq!(std::fs::read(&r.path).unwrap(), other);
    assert!(r
        .path
        .starts_with(tmp.path().join("pyward/models/my-model")));
    assert!(r.manifest.is_none());
    let (_, text) = cli(&["list"], &catalog, &cfg);
    assert!(
        text.lines()
            .any(|l| l.starts_with("my-model") && l.contains("imported")),
        "{text}"
    );

    // Not a GGUF file.
    let junk = tmp.path().join("usb/junk.bin");
    std::fs::write(&junk, b"PK\x03\x04zip").unwrap();
    let err = import(&junk, Some("junk"), &catalog, &cfg).unwrap_err();
    assert!(matches!(err, ModelsError::Gguf { .. }), "{err}");
}

#[test]
fn explicit_path_wins_and_is_matched_to_its_manifest_by_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "http://127.0.0.1:1", &[]);
    let body = fake_model(1500, 13);
    let catalog = Catalog::from_manifests(vec![manifest("tiny", &body)]).unwrap();
    let f = tmp.path().join("model.gguf");
    std::fs::write(&f, &body).unwrap();
    let req = ModelRequest {
        path: Some(f.clone()),
        name: Some("does-not-exist".into()),
        offline: false,
    };
    let r = resolve_with(&req, &catalog, &cfg).unwrap();
    assert_eq!(r.path, f);
    assert_eq!(r.sha256, sha256_hex(&body));
    assert_eq!(r.name, "tiny");
    // The sha256 was cached: a second resolution does not need to read the file.
    let cache = std::fs::read_to_string(tmp.path().join("pyward/sha256-cache.json")).unwrap();
    assert!(cache.contains(&sha256_hex(&body)), "{cache}");

    let missing = ModelRequest {
        path: Some(tmp.path().join("nope.gguf")),
        ..Default::default()
    };
    let err = resolve_with(&missing, &catalog, &cfg).unwrap_err();
    assert!(err.to_string().contains("nope.gguf"), "{err}");
    let unknown = ModelRequest {
        name: Some("nope".into()),
        ..Default::default()
    };
    let err = resolve_with(&unknown, &catalog, &cfg).unwrap_err();
    assert!(matches!(err, ModelsError::UnknownModel { .. }), "{err}");
}

#[test]
fn verify_detects_a_corrupted_cached_file() {
    let body = fake_model(8000, 14);
    let sha = sha256_hex(&body);
    let server = HubServer::start(vec![hub_file(&body, &sha)]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), &server.endpoint(), &[]);
    let m = manifest("tiny", &body);
    let catalog = Catalog::from_manifests(vec![m.clone()]).unwrap();
    let out = pull(&m, &cfg, &PullOptions::default()).unwrap();

    let report = verify(&catalog, &cfg, &[]).unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].status, VerifyStatus::Ok);

    // Flip one byte in the blob, keeping the size (and move the mtime so no cache can mask it).
    let mut bad = body.clone();
    bad[4000] ^= 0xff;
    std::fs::write(&out.path, &bad).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(&out.path)
        .unwrap()
        .set_modified(later)
        .unwrap();

    let report = verify(&catalog, &cfg, &[]).unwrap();
    match &report[0].status {
        VerifyStatus::Corrupt { message } => {
            assert!(message.contains(&sha256_hex(&bad)), "{message}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let (code, text) = cli(&["verify"], &catalog, &cfg);
    assert_eq!(code.unwrap(), 1);
    assert!(text.contains("CORRUPT   tiny"), "{text}");

    // Resolution refuses the corrupt file; pull replaces it.
    let req = ModelRequest {
        name: Some("tiny".into()),
        ..Default::default()
    };
    assert!(matches!(
        resolve_with(&req, &catalog, &cfg),
        Err(ModelsError::Sha256Mismatch { .. })
    ));
    let fixed = pull(&m, &cfg, &PullOptions::default()).unwrap();
    assert!(fixed.downloaded);
    assert!(
        fixed
            .notes
            .iter()
            .any(|n| n.contains("removed a corrupt cached copy")),
        "{:?}",
        fixed.notes
    );
    assert_eq!(std::fs::read(&fixed.path).unwrap(), body);
    let (code, _) = cli(&["verify", "tiny"], &catalog, &cfg);
    assert_eq!(code.unwrap(), 0);
}
