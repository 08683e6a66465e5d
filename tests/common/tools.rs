//! Finding the client programs the tests drive.

use std::process::Command;

/// Whether `program --version` runs; with `CALLQA_REQUIRE_CLIENTS` set (as `.ci/run` does) a
/// missing client fails the test instead of skipping it.
pub fn available(program: &str, install_hint: &str) -> bool {
    let installed = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "{program} is required (CALLQA_REQUIRE_CLIENTS is set): {install_hint}"
    );
    if !installed {
        eprintln!("{program} is not installed; skipping ({install_hint})");
    }
    installed
}

/// The Python with the client packages (`CALLQA_PYTHON`, set by `.ci/run`), if it has them.
pub fn python_with(modules: &[&str]) -> Option<String> {
    let python = std::env::var("CALLQA_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = format!("import {}", modules.join(", "));
    let ok = Command::new(&python)
        .args(["-c", &probe])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "{python} lacks {modules:?} (CALLQA_REQUIRE_CLIENTS is set): pip install -r tests/clients/requirements.txt"
    );
    if !ok {
        eprintln!(
            "{python} lacks {modules:?}; skipping (pip install -r tests/clients/requirements.txt)"
        );
    }
    ok.then_some(python)
}
