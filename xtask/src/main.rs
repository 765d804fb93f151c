//! Developer commands: `cargo xtask build | test | start | bench`.
//! Each installs what it needs (wasm32 target, the pinned wasm-bindgen-cli, npm
//! packages, Debian's chromium for the browser tests) so a fresh clone needs
//! nothing by hand.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// What rustc's wasm32 target emits; wasm-opt must be told to keep them.
const WASM_FEATURES: [&str; 4] = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-mutable-globals"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => match providers_flag(&args[1..]) {
            Ok(features) => build_with(features.as_deref()),
            Err(e) => Err(e),
        },
        Some("test") => build().and_then(|_| test(&args[1..])),
        Some("start") => build().and_then(|_| start(&args[1..])),
        Some("bench") => build().and_then(|_| bench()),
        _ => {
            eprintln!("usage: cargo xtask <build [--providers a,b|none]|test [--explore] [suite…]|start|bench>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res = Result<(), String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repo").to_path_buf()
}

fn run(cmd: &mut Command) -> Res {
    eprintln!("+ {cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn npm() -> Command {
    Command::new("npm")
}

/// Installs the toolchain pieces that are missing.
fn setup() -> Res {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have != format!("wasm-bindgen {WASM_BINDGEN_VERSION}") {
        // Not --locked: that fails for this version (see README).
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]))?;
    }
    let root = root();
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock).and_then(|m| m.modified()), std::fs::metadata(&stamp).and_then(|m| m.modified())) {
        (Ok(l), Ok(s)) => s >= l,
        _ => false,
    };
    if !fresh {
        run(npm().current_dir(&root).args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// `--providers hubspot,salesforce` (Cargo features: provider names, `ats`,
/// `crm`; `none` for the core and the sandbox only) → the feature list.
fn providers_flag(args: &[String]) -> Result<Option<String>, String> {
    match args {
        [] => Ok(None),
        [flag, list] if flag == "--providers" => {
            let names: Vec<&str> = list.split(',').map(str::trim).filter(|n| !n.is_empty() && *n != "none" && *n != "sandbox").collect();
            Ok(Some(names.join(",")))
        }
        _ => Err(format!("unexpected arguments {args:?}; build takes --providers a,b (or none)")),
    }
}

/// Compiles the wasm and writes the complete npm package into `pkg/`.
fn build() -> Res {
    build_with(None)
}

/// [`build`] with only the given provider features (`None`: the default, all).
///
/// Two wasm files from the same source and the same JS glue (wasm-bindgen's output
/// is identical for both): `crosswalk_core_bg.wasm`, built for size (the browser
/// entry, what a page downloads), and `crosswalk_core_fast.wasm`, built for speed
/// (the Node and workerd entries, where pages of thousands of records are mapped).
/// Sizes and speeds of both: docs/SIZE.md and bench/.
fn build_with(features: Option<&str>) -> Res {
    setup()?;
    let root = root();
    let out = root.join("pkg/wasm");
    for (profile, file) in [("release", "crosswalk_core_bg.wasm"), ("release-fast", "crosswalk_core_fast.wasm")] {
        let mut cargo = Command::new("cargo");
        cargo.current_dir(&root).args(["build", "--profile", profile, "--lib", "-p", "crosswalk", "--target", "wasm32-unknown-unknown"]);
        if let Some(list) = features {
            cargo.args(["--no-default-features", "--features", list]);
        }
        run(&mut cargo)?;
        let wasm = root.join(format!("target/wasm32-unknown-unknown/{profile}/crosswalk.wasm"));
        let tmp = root.join(format!("target/bindgen-{profile}"));
        run(Command::new("wasm-bindgen")
            .arg(&wasm)
            // `__wbg_reset_state` re-instantiates the wasm from its compiled module, and
            // handles from before a reset refuse calls: how the driver recovers from a trap.
            .args(["--target", "web", "--out-name", "crosswalk_core", "--no-typescript", "--experimental-reset-state-function", "--out-dir"])
            .arg(&tmp))?;
        let glue = tmp.join("crosswalk_core.js");
        let shipped = out.join("crosswalk_core.js");
        if profile == "release" {
            std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
            std::fs::copy(&glue, &shipped).map_err(|e| format!("copying the glue: {e}"))?;
        } else if std::fs::read(&glue).ok() != std::fs::read(&shipped).ok() {
            return Err("the fast build's wasm-bindgen glue differs from the size build's: one crosswalk_core.js cannot load both".into());
        }
        let bg = out.join(file);
        // npm's binaryen (v132+); Debian's v108 breaks the output.
        let opt = root.join("node_modules/.bin/wasm-opt");
        // Inlining a function into its only caller saves a call but makes the code
        // compress worse: capping it at 20 instructions measured +1% raw, -4.7% gzip
        // (docs/SIZE.md). `--converge` reruns -Oz until nothing shrinks. The fast
        // build too: wasm-opt -O2 on it measured no faster, and 10 KB larger gzip.
        run(Command::new(&opt).arg(tmp.join("crosswalk_core_bg.wasm")).args(["-Oz", "--one-caller-inline-max-function-size=20", "--converge"]).args(WASM_FEATURES).arg("-o").arg(&bg))?;
        let size = std::fs::metadata(&bg).map(|m| m.len()).unwrap_or(0);
        eprintln!("pkg/wasm/{file}: {size} bytes");
    }
    copy_pkg_to_www(&root)
}

/// The admin page loads the package as static files: copy what the browser entry
/// needs to `www/pkg/` (git-ignored), so the Worker's static assets and any plain
/// static server have it next to the page.
fn copy_pkg_to_www(root: &Path) -> Res {
    let dest = root.join("www/pkg");
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::create_dir_all(dest.join("wasm")).map_err(|e| format!("creating {}: {e}", dest.display()))?;
    for file in ["core.js", "entry.browser.js", "wasm/crosswalk_core.js", "wasm/crosswalk_core_bg.wasm"] {
        std::fs::copy(root.join("pkg").join(file), dest.join(file)).map_err(|e| format!("copying pkg/{file} to www/pkg: {e}"))?;
    }
    Ok(())
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's chromium for the browser tests (playwright-core drives it; nothing is
/// downloaded besides the Debian package). Installed with apt-get when missing.
fn setup_browser() -> Res {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get").env("DEBIAN_FRONTEND", "noninteractive").args(["install", "-y", "-qq", "chromium"]))?;
    if Path::new(CHROMIUM).exists() {
        Ok(())
    } else {
        Err(format!("apt-get installed chromium but {CHROMIUM} is missing"))
    }
}

const SUITES: [(&str, &[&str]); 6] = [
    ("rust", &["cargo", "test", "-p", "crosswalk"]),
    ("types", &["npm", "run", "test:types"]),
    ("node", &["npm", "run", "test:node"]),
    ("worker", &["npm", "run", "test:worker"]),
    ("e2e", &["npm", "run", "test:e2e"]),
    ("browser", &["npm", "run", "test:browser"]),
];

/// The property-test seed CI uses (the same default as `src/proptests.rs` and
/// `tests/node/helpers/property.mjs`), so every run gives the same answer.
const DEFAULT_PROPTEST_SEED: u64 = 20_261_203;

/// The seed for this run: `--explore` draws a fresh one, `CROSSWALK_PROPTEST_SEED`
/// picks one, otherwise the fixed default.
fn proptest_seed(explore: bool) -> Result<(u64, &'static str), String> {
    if explore {
        let mut bytes = [0u8; 4];
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| format!("reading /dev/urandom: {e}"))?;
        // 32 bits: fast-check's seeds are 32-bit, so one number reproduces both.
        return Ok((u64::from(u32::from_le_bytes(bytes)), "fresh, --explore"));
    }
    match std::env::var("CROSSWALK_PROPTEST_SEED") {
        Ok(v) => v.trim().parse().map(|n| (n, "from CROSSWALK_PROPTEST_SEED")).map_err(|_| format!("CROSSWALK_PROPTEST_SEED must be a whole number, got {v:?}")),
        Err(_) => Ok((DEFAULT_PROPTEST_SEED, "fixed")),
    }
}

/// Every suite in order (`cargo xtask test worker e2e` runs only the named ones;
/// `--explore` runs the property tests from a fresh random seed); each suite's
/// wall time is printed at the end.
fn test(args: &[String]) -> Res {
    let root = root();
    let explore = args.iter().any(|a| a == "--explore");
    let only: Vec<String> = args.iter().filter(|a| *a != "--explore").cloned().collect();
    let only = only.as_slice();
    let (seed, why) = proptest_seed(explore)?;
    eprintln!("property tests: seed {seed} ({why})");
    if let Some(unknown) = only.iter().find(|n| !SUITES.iter().any(|(s, _)| s == n)) {
        let names: Vec<&str> = SUITES.iter().map(|(n, _)| *n).collect();
        return Err(format!("unknown suite {unknown:?}; suites: {}", names.join(", ")));
    }
    let selected: Vec<_> = SUITES.iter().filter(|(n, _)| only.is_empty() || only.iter().any(|o| o == n)).collect();
    if selected.iter().any(|(n, _)| *n == "browser") {
        setup_browser()?;
    }
    let mut times: Vec<(&str, Duration, bool)> = Vec::new();
    for (name, argv) in selected {
        let started = Instant::now();
        let result = if *name == "rust" { arithmetic_gate(&root) } else { Ok(()) };
        let result = result.and_then(|_| run(Command::new(argv[0]).current_dir(&root).args(&argv[1..]).env("WRANGLER_SEND_METRICS", "false").env("CROSSWALK_PROPTEST_SEED", seed.to_string())));
        times.push((name, started.elapsed(), result.is_ok()));
        if let Err(e) = result {
            print_times(&times);
            eprintln!("property tests ran from seed {seed}; reproduce with: CROSSWALK_PROPTEST_SEED={seed} cargo xtask test {name}");
            return Err(e);
        }
    }
    print_times(&times);
    eprintln!("property tests: seed {seed} ({why})");
    Ok(())
}

/// Part of the `rust` suite, before `cargo test`: the core reads numbers from
/// providers, callers, cursors and headers, so `src/lib.rs` denies
/// `clippy::arithmetic_side_effects`; this runs clippy with only that lint (other
/// clippy lints are not a gate), natively and for the wasm target (whose
/// `src/facade/wasm.rs` takes numbers from JS). The same runs deny `unused`: the
/// modules are private, so an item nothing calls (dead code) fails the build.
/// Installs clippy when it is missing.
fn arithmetic_gate(root: &Path) -> Res {
    if output(Command::new("cargo").args(["clippy", "--version"])).is_none() {
        run(Command::new("rustup").args(["component", "add", "clippy"]))?;
    }
    let lint = ["--", "-A", "clippy::all", "-D", "clippy::arithmetic_side_effects", "-D", "unused"];
    run(Command::new("cargo").current_dir(root).args(["clippy", "-p", "crosswalk", "--lib", "--no-deps"]).args(lint))?;
    run(Command::new("cargo").current_dir(root).args(["clippy", "-p", "crosswalk", "--lib", "--no-deps", "--target", "wasm32-unknown-unknown"]).args(lint))
}

fn print_times(times: &[(&str, Duration, bool)]) {
    eprintln!("\nsuite timings:");
    for (name, took, ok) in times {
        eprintln!("  {name:<8} {:>7.1} s  {}", took.as_secs_f64(), if *ok { "ok" } else { "FAILED" });
    }
}

/// `N` bytes from the OS RNG.
fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(bytes)
}

/// A random API token for local development (hex from the OS RNG).
fn new_token() -> Result<String, String> {
    Ok(format!("cw_{}", random_bytes::<24>()?.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Standard base64 with padding (the Worker reads CREDENTIALS_KEY with `atob`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// The local Worker's CREDENTIALS_KEY (AES-256-GCM for credentials at rest): added
/// to worker/.dev.vars on the first start, kept afterwards (a new key would leave
/// the stored accounts unreadable).
fn dev_credentials_key(root: &Path) -> Res {
    let vars = root.join("worker/.dev.vars");
    let mut text = std::fs::read_to_string(&vars).unwrap_or_default();
    if text.lines().any(|l| l.trim().starts_with("CREDENTIALS_KEY=")) {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("# Written by `cargo xtask start`: seals integrated-account credentials in the local KV (git-ignored).\nCREDENTIALS_KEY={}\n", base64(&random_bytes::<32>()?)));
    std::fs::write(&vars, text).map_err(|e| format!("writing {}: {e}", vars.display()))
}

/// The tenant and token in worker/.dev.vars: created on the first start as
/// `dev:<token>`, reused afterwards. A bare token from before tenants is kept; the
/// Worker puts it in tenant `default`.
fn dev_token(root: &Path) -> Result<(String, String), String> {
    let vars = root.join("worker/.dev.vars");
    let existing = std::fs::read_to_string(&vars).unwrap_or_default();
    let configured = existing
        .lines()
        .find_map(|l| l.trim().strip_prefix("API_TOKENS="))
        .and_then(|v| v.trim().trim_matches('"').split(',').next().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty());
    if let Some(entry) = configured {
        return Ok(match entry.split_once(':') {
            Some((tenant, token)) => (tenant.to_string(), token.to_string()),
            None => ("default".to_string(), entry),
        });
    }
    let token = new_token()?;
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("# Written by `cargo xtask start`: the local Worker's API token, as tenant:token (git-ignored).\nAPI_TOKENS=dev:{token}\n"));
    std::fs::write(&vars, text).map_err(|e| format!("writing {}: {e}", vars.display()))?;
    Ok(("dev".to_string(), token))
}

const SANDBOX_ACCOUNTS: [&str; 2] = ["sandbox-1", "sandbox-2"];

/// Puts the sandbox integrated accounts of `tenant` into the local KV that `wrangler dev`
/// reads (same key and record shape as `POST /integrated-accounts` stores).
fn seed_accounts(root: &Path, persist: &Path, tenant: &str) -> Res {
    let records: Vec<String> = SANDBOX_ACCOUNTS
        .iter()
        .map(|id| {
            let value = format!(r#"{{"id":"{id}","provider":"sandbox","credentials":{{}},"context":{{}},"created_at":"2026-01-01T00:00:00.000Z"}}"#);
            format!(r#"{{"key":"tenant:{tenant}:account:{id}","value":{},"metadata":{{"provider":"sandbox"}}}}"#, json_string(&value))
        })
        .collect();
    let file = root.join("worker/.wrangler/seed-accounts.json");
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(&file, format!("[{}]", records.join(","))).map_err(|e| format!("writing {}: {e}", file.display()))?;
    run(Command::new(root.join("node_modules/.bin/wrangler"))
        .current_dir(root)
        .env("WRANGLER_SEND_METRICS", "false")
        .args(["kv", "bulk", "put", "--config", "worker/wrangler.jsonc", "--binding", "ACCOUNTS", "--local", "--persist-to"])
        .arg(persist)
        .arg(&file))
}

fn json_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Whether the Worker on 127.0.0.1:`port` answers `GET /health` with 200.
fn healthy(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// Seeds sandbox accounts and serves the Worker (API + admin page) with
/// `wrangler dev` on 127.0.0.1:8787 (`--port N` to change) until Ctrl-C; prints the
/// API token and a curl to paste once it answers. The caller has built everything.
fn start(args: &[String]) -> Res {
    let root = root();
    let port: u16 = match args {
        [] => 8787,
        [flag, n] if flag == "--port" => n.parse().map_err(|_| format!("--port needs a number, got {n:?}"))?,
        _ => return Err("usage: cargo xtask start [--port N]".into()),
    };
    let (tenant, token) = dev_token(&root)?;
    dev_credentials_key(&root)?;
    let persist = root.join("worker/.wrangler/state");
    seed_accounts(&root, &persist, &tenant)?;
    let mut child = Command::new(root.join("node_modules/.bin/wrangler"))
        .current_dir(&root)
        .env("WRANGLER_SEND_METRICS", "false")
        .args(["dev", "--config", "worker/wrangler.jsonc", "--ip", "127.0.0.1", "--port", &port.to_string(), "--persist-to"])
        .arg(&persist)
        .spawn()
        .map_err(|e| format!("could not start wrangler dev: {e}"))?;
    let started = Instant::now();
    while !healthy(port) {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("wrangler dev exited with {status} (is port {port} free? try --port)"));
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            return Err("wrangler dev did not answer within 90 s".into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let base = format!("http://127.0.0.1:{port}");
    let account = SANDBOX_ACCOUNTS[0];
    let rule = "=".repeat(80);
    eprintln!("\n{rule}");
    eprintln!("crosswalk Worker running at {base}\n");
    eprintln!("  admin page:       {base}/");
    eprintln!("  API token:        {token}   (tenant {tenant}, worker/.dev.vars)");
    eprintln!("  sandbox accounts: {}\n", SANDBOX_ACCOUNTS.join(", "));
    eprintln!("Try it:");
    eprintln!("  curl -s -H 'Authorization: Bearer {token}' '{base}/unified/ats/interviews?integrated_account_id={account}&limit=2'\n");
    eprintln!("  curl -s -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\");
    eprintln!("    '{base}/unified/ats/activities?integrated_account_id={account}' \\");
    eprintln!(r#"    -d '{{"candidate_id":"cand_1","body":"Great first call","visibility":"private"}}'"#);
    eprintln!("\nStop with Ctrl-C.\n{rule}\n");
    let status = child.wait().map_err(|e| format!("waiting for wrangler dev: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler dev exited with {status}"))
    }
}

fn bench() -> Res {
    let root = root();
    run(Command::new("node").current_dir(&root).args(["--expose-gc", "bench/run.mjs"]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(&[0xff; 32]), "//////////////////////////////////////////8=");
    }
}
