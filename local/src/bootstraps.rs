//! The deploy build check: every function in `template.yaml` has the `bootstrap` that `sam build` (through
//! cargo-lambda) puts in its artifact, built for Lambda's arm64. `scripts/lambda-build.sh` builds them with
//! `cargo lambda build --release --arm64` into `target/lambda/<Binary>/bootstrap` and then runs this check.

use crate::template::Template;
use object::{Architecture, Object};
use std::path::{Path, PathBuf};

/// One function's built `bootstrap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrap {
    /// The function's logical id in the template.
    pub function: String,
    /// The binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub path: PathBuf,
    /// File size in bytes.
    pub bytes: u64,
}

/// Checks `dir/<Binary>/bootstrap` for every function of `template`: present, an ELF for aarch64. Returns them
/// all, or an error listing every function that has none or the wrong one.
pub fn check(template: &Template, dir: &Path) -> anyhow::Result<Vec<Bootstrap>> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (function, binary) in template.function_binaries()? {
        let path = dir.join(&binary).join("bootstrap");
        match std::fs::read(&path) {
            Err(e) => problems.push(format!("{function}: {} ({e})", path.display())),
            Ok(data) => match object::File::parse(&*data) {
                Err(e) => problems.push(format!("{function}: {} is not an executable ({e})", path.display())),
                Ok(file) if file.architecture() != Architecture::Aarch64 => problems.push(format!(
                    "{function}: {} is built for {:?}, Lambda's arm64 needs Aarch64",
                    path.display(),
                    file.architecture()
                )),
                Ok(_) => found.push(Bootstrap { function, binary, path, bytes: data.len() as u64 }),
            },
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        anyhow::bail!("functions without an arm64 bootstrap:\n  {}", problems.join("\n  "))
    }
}

/// The `[[bin]]` names of every function crate (`functions/*/Cargo.toml`) under the repository `root`.
pub fn function_crate_binaries(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("functions"))? {
        let manifest = entry?.path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let doc: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest)?)?;
        for bin in doc.get("bin").and_then(|b| b.as_array()).into_iter().flatten() {
            if let Some(name) = bin.get("name").and_then(|n| n.as_str()) {
                out.push(name.to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn every_template_function_names_a_binary_that_a_function_crate_builds_and_every_binary_is_deployed() {
        let template = Template::load(&crate::template::default_path()).unwrap();
        let mut deployed: Vec<String> = template.function_binaries().unwrap().into_iter().map(|(_, b)| b).collect();
        deployed.sort();
        let built = function_crate_binaries(&root()).unwrap();
        assert_eq!(deployed.len(), 9, "the template's functions: {deployed:?}");
        assert_eq!(deployed, built, "template.yaml's Binary names and the function crates' [[bin]]s differ");
    }

    #[test]
    fn a_missing_or_foreign_bootstrap_is_named() {
        let template = Template::parse(
            "Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n      BuildProperties:\n        Binary: a\n  B:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n      BuildProperties:\n        Binary: b\n",
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("odt-bootstraps-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).unwrap();
        // This test binary itself: an ELF for the machine running the test, not for Lambda's arm64.
        std::fs::copy(std::env::current_exe().unwrap(), dir.join("a/bootstrap")).unwrap();
        let err = check(&template, &dir).unwrap_err().to_string();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(err.contains("B: ") && err.contains("b/bootstrap"), "{err}");
        if cfg!(target_arch = "aarch64") {
            assert!(!err.contains("A: "), "{err}");
        } else {
            assert!(err.contains("A: ") && err.contains("needs Aarch64"), "{err}");
        }
    }

    #[test]
    fn a_function_without_a_binary_is_refused() {
        let template =
            Template::parse("Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: {}\n").unwrap();
        assert!(template.function_binaries().unwrap_err().to_string().contains("A: Metadata.BuildMethod"));
    }
}
