//! A validator for the Windows SyncML that reads Microsoft's CSP rules as data (`tests/fixtures/windows-csp/`):
//! node paths, formats, allowed values and ranges, required nodes, one `Atomic` with `Exec …/Enroll` last.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One `Install` node's rule.
#[derive(Debug, Deserialize)]
pub struct NodeRule {
    #[serde(default)]
    pub required: bool,
    pub format: String,
    #[serde(default)]
    pub values: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    pub bits: Option<Vec<i64>>,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub joiner: Option<String>,
    #[serde(default)]
    pub command: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UniqueId {
    format: String,
    pattern: String,
}

/// The ClientCertificateInstall rules.
#[derive(Debug, Deserialize)]
pub struct ClientCertificateInstall {
    scopes: Vec<String>,
    base: String,
    #[serde(rename = "uniqueId")]
    unique_id: UniqueId,
    install: BTreeMap<String, NodeRule>,
}

#[derive(Debug, Deserialize)]
struct Store {
    scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Pattern {
    pattern: String,
}

#[derive(Debug, Deserialize)]
struct Encoded {
    format: String,
    commands: Vec<String>,
}

/// The RootCATrustedCertificates rules.
#[derive(Debug, Deserialize)]
pub struct RootCa {
    base: String,
    stores: BTreeMap<String, Store>,
    #[serde(rename = "certHash")]
    cert_hash: Pattern,
    #[serde(rename = "encodedCertificate")]
    encoded: Encoded,
}

/// Both CSPs' rules.
pub struct Csp {
    pub cci: ClientCertificateInstall,
    pub root: RootCa,
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/windows-csp").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `s` matches the simple anchored patterns the fixtures use (`^[...]{n}$`, `^[...]{a,b}$`, the OID list).
fn matches(pattern: &str, s: &str) -> bool {
    match pattern {
        "^[0-9A-Fa-f]{40}$" => s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "^[A-Za-z0-9_-]{1,128}$" => {
            (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        p if p.starts_with("^[0-9]+(\\.[0-9]+)+") => s.split('+').all(|oid| {
            let parts: Vec<&str> = oid.split('.').collect();
            parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }),
        other => panic!("pattern {other} unknown to the validator"),
    }
}

/// One SyncML command with its item.
#[derive(Debug, Clone)]
pub struct Command {
    pub name: String,
    pub loc: String,
    pub format: Option<String>,
    pub data: Option<String>,
}

/// The commands inside the document's one `Atomic`, in order. Errors: the document's shape.
pub fn commands(doc: &str) -> Result<Vec<Command>, String> {
    let xml = roxmltree::Document::parse(doc).map_err(|e| format!("not XML: {e}"))?;
    let root = xml.root_element();
    if root.tag_name().name() != "SyncBody" {
        return Err("the root is not SyncBody".into());
    }
    let top: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    if top.len() != 1 || !top[0].has_tag_name("Atomic") {
        return Err(format!(
            "SyncBody must hold exactly one Atomic, holds {:?}",
            top.iter().map(|n| n.tag_name().name()).collect::<Vec<_>>()
        ));
    }
    let mut out = Vec::new();
    for cmd in top[0].children().filter(|n| n.is_element() && !n.has_tag_name("CmdID")) {
        let items: Vec<_> = cmd.children().filter(|n| n.has_tag_name("Item")).collect();
        if items.len() != 1 {
            return Err(format!("{} holds {} items", cmd.tag_name().name(), items.len()));
        }
        let find = |tag: &str| items[0].descendants().find(|n| n.has_tag_name(tag));
        if let Some(f) = find("Format") {
            if f.tag_name().namespace() != Some("syncml:metinf") {
                return Err("Format outside the syncml:metinf namespace".into());
            }
        }
        out.push(Command {
            name: cmd.tag_name().name().to_string(),
            loc: find("LocURI").and_then(|n| n.text()).ok_or("an Item without LocURI")?.to_string(),
            format: find("Format").and_then(|n| n.text()).map(String::from),
            data: find("Data").map(|n| n.text().unwrap_or("").to_string()),
        });
    }
    Ok(out)
}

impl Csp {
    /// Reads both fixtures.
    pub fn load() -> Csp {
        Csp {
            cci: serde_yaml::from_str(&fixture("clientcertificateinstall.yaml")).unwrap(),
            root: serde_yaml::from_str(&fixture("rootcacertificates.yaml")).unwrap(),
        }
    }

    /// Every violation of the CSP rules in `doc`, as `LocURI: reason`.
    pub fn validate(&self, doc: &str) -> Vec<String> {
        let cmds = match commands(doc) {
            Ok(c) => c,
            Err(e) => return vec![e],
        };
        let mut errors = Vec::new();
        let mut seen_install = Vec::new();
        let mut scep_node: Option<String> = None;
        for (i, c) in cmds.iter().enumerate() {
            let Some((scope, rest)) = c.loc.split_once("/Vendor/") else {
                errors.push(format!("{}: not under ./User/Vendor or ./Device/Vendor", c.loc));
                continue;
            };
            let rest = format!("Vendor/{rest}");
            if let Some(tail) = rest.strip_prefix(&format!("{}/", self.root.base)) {
                self.check_ca(c, scope, tail, &mut errors);
                if scep_node.is_some() {
                    errors.push(format!("{}: the CA must be installed before the enrollment", c.loc));
                }
                continue;
            }
            let Some(tail) = rest.strip_prefix(&format!("{}/", self.cci.base)) else {
                errors.push(format!("{}: a node of neither CSP", c.loc));
                continue;
            };
            if !self.cci.scopes.iter().any(|s| s == scope) {
                errors.push(format!("{}: scope {scope} not allowed", c.loc));
            }
            let mut parts = tail.splitn(3, '/');
            let id = parts.next().unwrap_or_default();
            if !matches(&self.cci.unique_id.pattern, id) {
                errors.push(format!("{}: UniqueID {id:?} not allowed", c.loc));
            }
            match (parts.next(), parts.next()) {
                (None, _) => {
                    if c.name != "Add" || c.format.as_deref() != Some(self.cci.unique_id.format.as_str()) {
                        errors.push(format!("{}: the UniqueID node must be an Add of format node", c.loc));
                    }
                    scep_node = Some(c.loc.clone());
                }
                (Some("Install"), Some(node)) => {
                    if scep_node.is_none() {
                        errors.push(format!("{}: before its UniqueID node", c.loc));
                    }
                    let Some(rule) = self.cci.install.get(node) else {
                        errors.push(format!("{}: not a node of the CSP", c.loc));
                        continue;
                    };
                    seen_install.push(node.to_string());
                    self.check_install(c, node, rule, i + 1 == cmds.len(), &mut errors);
                }
                _ => errors.push(format!("{}: not a SCEP node of the CSP", c.loc)),
            }
        }
        for (node, rule) in &self.cci.install {
            if rule.required && !seen_install.contains(node) {
                errors.push(format!("Install/{node}: required by the CSP, missing"));
            }
        }
        if cmds.last().is_none_or(|c| c.name != "Exec" || !c.loc.ends_with("/Install/Enroll")) {
            errors.push("the Atomic must end with Exec …/Install/Enroll".into());
        }
        errors
    }

    fn check_ca(&self, c: &Command, scope: &str, tail: &str, errors: &mut Vec<String>) {
        let parts: Vec<&str> = tail.split('/').collect();
        if parts.len() != 3 || parts[2] != "EncodedCertificate" {
            errors.push(format!("{}: not {{store}}/{{CertHash}}/EncodedCertificate", c.loc));
            return;
        }
        match self.root.stores.get(parts[0]) {
            Some(store) if store.scopes.iter().any(|s| s == scope) => {}
            Some(_) => errors.push(format!("{}: store {} has no {scope} scope", c.loc, parts[0])),
            None => errors.push(format!("{}: unknown store {}", c.loc, parts[0])),
        }
        if !matches(&self.root.cert_hash.pattern, parts[1]) {
            errors.push(format!("{}: CertHash is not a SHA-1 hex", c.loc));
        }
        if !self.root.encoded.commands.contains(&c.name) {
            errors.push(format!("{}: {} not allowed", c.loc, c.name));
        }
        if c.format.as_deref() != Some(self.root.encoded.format.as_str()) {
            errors.push(format!("{}: format {:?}, the CSP says {}", c.loc, c.format, self.root.encoded.format));
        }
        use base64::Engine as _;
        match c.data.as_deref().map(|d| base64::engine::general_purpose::STANDARD.decode(d)) {
            Some(Ok(der)) => {
                let sha1 = hex::encode_upper(<sha1::Sha1 as sha1::Digest>::digest(&der));
                if !sha1.eq_ignore_ascii_case(parts[1]) {
                    errors.push(format!("{}: named {} but the certificate's SHA-1 is {sha1}", c.loc, parts[1]));
                }
            }
            _ => errors.push(format!("{}: EncodedCertificate is not base64 on one line", c.loc)),
        }
    }

    fn check_install(&self, c: &Command, node: &str, rule: &NodeRule, last: bool, errors: &mut Vec<String>) {
        let expected_cmd = rule.command.as_deref().unwrap_or("Add");
        if c.name != expected_cmd {
            errors.push(format!("{}: {} where the CSP needs {expected_cmd}", c.loc, c.name));
        }
        if rule.format == "null" {
            if c.format.is_some() || c.data.is_some() || !last {
                errors.push(format!("{}: Enroll is an Exec without data, last", c.loc));
            }
            return;
        }
        if c.format.as_deref() != Some(rule.format.as_str()) {
            errors.push(format!("{}: format {:?}, the CSP says {}", c.loc, c.format, rule.format));
        }
        let data = c.data.clone().unwrap_or_default();
        if rule.format == "int" {
            let Ok(n) = data.parse::<i64>() else {
                errors.push(format!("{}: {data:?} is not an integer", c.loc));
                return;
            };
            if rule.min.is_some_and(|m| n < m) || rule.max.is_some_and(|m| n > m) {
                errors.push(format!("{}: {n} outside {:?}..={:?}", c.loc, rule.min, rule.max));
            }
            if let Some(bits) = &rule.bits {
                let all: i64 = bits.iter().fold(0, |a, b| a | b);
                if n == 0 || n & !all != 0 {
                    errors.push(format!("{}: {n} is not a combination of {bits:?}", c.loc));
                }
            }
            if let Some(values) = &rule.values {
                if !values.iter().any(|v| v.as_i64() == Some(n)) {
                    errors.push(format!("{}: {n} not among {values:?}", c.loc));
                }
            }
        } else {
            if data.is_empty() && rule.required {
                errors.push(format!("{}: empty", c.loc));
            }
            if let Some(values) = &rule.values {
                let parts: Vec<&str> = match &rule.joiner {
                    Some(j) => data.split(j.as_str()).collect(),
                    None => vec![data.as_str()],
                };
                if !parts.iter().all(|p| values.iter().any(|v| v.as_str() == Some(p))) {
                    errors.push(format!("{}: {data:?} not among {values:?}", c.loc));
                }
            }
            if let Some(p) = &rule.pattern {
                if !matches(p, &data) {
                    errors.push(format!("{}: {data:?} does not match {p}", c.loc));
                }
            }
        }
        let _ = node;
    }
}
