//! Developer commands: `cargo xtask build | test | start | bench`.
//! Each installs what it needs (wasm32 target, the pinned wasm-bindgen-cli, npm
//! packages) so a fresh clone needs nothing by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_BINDGEN_VERSION: &str = "0.2.130";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build(),
        Some("test") => build().and_then(|_| test(&args[1..])),
        Some("start") => build().and_then(|_| start()),
        Some("bench") => build().and_then(|_| bench()),
        _ => {
            eprintln!("usage: cargo xtask <build|test|start|bench>");
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

/// Compiles the wasm and writes the complete npm package into `pkg/`.
fn build() -> Res {
    setup()?;
    let root = root();
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["build", "--release", "--lib", "-p", "crosswalk", "--target", "wasm32-unknown-unknown"]))?;
    let wasm = root.join("target/wasm32-unknown-unknown/release/crosswalk.wasm");
    let out = root.join("pkg/wasm");
    run(Command::new("wasm-bindgen")
        .arg(&wasm)
        .args(["--target", "web", "--out-name", "crosswalk_core", "--no-typescript", "--out-dir"])
        .arg(&out))?;
    let bg = out.join("crosswalk_core_bg.wasm");
    // npm's binaryen (v132+); Debian's v108 breaks the output.
    let opt = root.join("node_modules/.bin/wasm-opt");
    run(Command::new(&opt).arg(&bg).args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-mutable-globals", "-o"]).arg(&bg))?;
    let size = std::fs::metadata(&bg).map(|m| m.len()).unwrap_or(0);
    eprintln!("pkg/wasm/crosswalk_core_bg.wasm: {size} bytes");
    Ok(())
}

fn test(extra: &[String]) -> Res {
    let root = root();
    run(Command::new("cargo").current_dir(&root).args(["test", "-p", "crosswalk"]))?;
    run(npm().current_dir(&root).args(["run", "test:types"]))?;
    run(npm().current_dir(&root).args(["run", "test:node"]))?;
    let _ = extra;
    Ok(())
}

fn start() -> Res {
    let root = root();
    run(Command::new("node").current_dir(&root).arg("examples/demo.mjs"))
}

fn bench() -> Res {
    let root = root();
    run(Command::new("node").current_dir(&root).args(["--expose-gc", "bench/run.mjs"]))
}
