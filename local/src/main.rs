//! `odt-local`: run the product on this machine.
//!
//! - `up`: start the local services, the Okta double and the HTTP front in the background; print the base URL.
//! - `token --tenant T --role admin|technician`: print a bearer token the front accepts.
//! - `demo`: run the walkthrough on a fresh local stack and print what happened.
//! - `down`: stop what `up` started.
//! - `walkthrough --api URL --setup FILE`: the walkthrough against a deployed stack and real Okta and Hexnode.
//! - `bootstraps --dir target/lambda`: check that every function in template.yaml has its arm64 `bootstrap`.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use odt_local::authorizer::LocalAuthorizer;
use odt_local::seed::{seed_demo, DEMO_DOMAIN};
use odt_local::stack::{Stack, StackConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
#[command(name = "odt-local", about = "Run the Okta Device Trust functions locally")]
struct Cli {
    /// Which background stack `up`, `serve`, `token` and `down` act on (one per name).
    #[arg(long, global = true, default_value = "up")]
    name: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start services, the Okta double and the HTTP front in the background.
    Up,
    /// Serve in the foreground (what `up` runs in the background).
    Serve,
    /// Print a bearer token for the running front.
    Token {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["admin", "technician"])]
        role: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Run the walkthrough on a fresh local stack.
    Demo,
    /// Stop what `up` started.
    Down,
    /// Check that every function in template.yaml has an arm64 `bootstrap` under DIR (after
    /// `cargo lambda build --release --arm64`; scripts/lambda-build.sh does both) and print each one's size.
    Bootstraps {
        #[arg(long, default_value = "target/lambda")]
        dir: PathBuf,
    },
    /// Run the walkthrough against a deployed API, a real Okta org and a real Hexnode portal. The admin token is
    /// read from ODT_TOKEN; SETUP is JSON with the API's own bodies (docs/walkthrough.example.json), where a
    /// string `${NAME}` is read from the environment.
    Walkthrough {
        /// The API's base URL (the stack's `ApiUrl` output).
        #[arg(long)]
        api: String,
        #[arg(long)]
        setup: PathBuf,
        /// Delete device trust at the end and wait until every item came off.
        #[arg(long)]
        teardown: bool,
    },
}

fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    here.canonicalize().unwrap_or(here)
}

fn run_dir(name: &str) -> PathBuf {
    root().join(".local/run").join(name)
}

fn services(action: &str, name: &str) -> anyhow::Result<()> {
    let status = Command::new("bash").arg(root().join("scripts/services.sh")).args([action, name]).status()?;
    if !status.success() {
        bail!("scripts/services.sh {action} {name} failed");
    }
    Ok(())
}

/// Loads `KEY=VALUE` lines into this process's environment (before any thread starts).
fn load_env(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    for line in text.lines().filter(|l| l.contains('=')) {
        let (k, v) = line.split_once('=').expect("line has =");
        std::env::set_var(k.trim(), v.trim());
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let name = cli.name.as_str();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        bail!("--name takes letters, digits, '-' and '_'");
    }
    match cli.cmd {
        Cmd::Up => up(name),
        Cmd::Serve => {
            load_env(&run_dir(name).join("env"))?;
            runtime()?.block_on(serve(name))
        }
        Cmd::Token { tenant, role, ttl } => {
            if running_front(name).is_none() {
                bail!("no stack named {name} is running; start it with: cargo run -q -p odt-local -- --name {name} up");
            }
            if odt_shared::auth::TenantId::parse(&tenant).is_none() {
                bail!("--tenant takes 1 to 128 letters, digits, '-' and '_'");
            }
            let auth = LocalAuthorizer::persistent(&run_dir(name))?;
            println!("{}", auth.token(&tenant, &role, ttl));
            Ok(())
        }
        Cmd::Demo => demo(),
        Cmd::Walkthrough { api, setup, teardown } => {
            let token = std::env::var("ODT_TOKEN").context("set ODT_TOKEN to an admin access token")?;
            let text = std::fs::read_to_string(&setup).with_context(|| format!("reading {}", setup.display()))?;
            let setup = odt_local::remote::expand(serde_json::from_str(&text)?, &|k| std::env::var(k).ok())?;
            let mut out = std::io::stdout();
            runtime()?.block_on(odt_local::remote::walkthrough(&api, token, &setup, teardown, &mut out))?;
            Ok(())
        }
        Cmd::Bootstraps { dir } => {
            let template = odt_local::template::Template::load(&odt_local::template::default_path())?;
            let found = odt_local::bootstraps::check(&template, &dir)?;
            for b in &found {
                println!("{:<28} {:<26} {:>6.1} MB  {}", b.function, b.binary, b.bytes as f64 / 1e6, b.path.display());
            }
            println!("{} functions, each with an arm64 bootstrap", found.len());
            Ok(())
        }
        Cmd::Down => {
            let pid_file = run_dir(name).join("front.pid");
            if let Ok(pid) = std::fs::read_to_string(&pid_file) {
                let _ = Command::new("kill").arg(pid.trim()).status();
                let _ = std::fs::remove_file(pid_file);
            }
            services("stop", name)?;
            println!("stopped");
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The pid of a running front of stack `name`, if any.
fn running_front(name: &str) -> Option<String> {
    let pid = std::fs::read_to_string(run_dir(name).join("front.pid")).ok()?;
    let alive = Command::new("kill").args(["-0", pid.trim()]).status().map(|s| s.success()).unwrap_or(false);
    alive.then(|| pid.trim().to_string())
}

fn up(name: &str) -> anyhow::Result<()> {
    let dir = run_dir(name);
    let ready = dir.join("front.json");
    if running_front(name).is_some() {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            let info: serde_json::Value = serde_json::from_str(&text)?;
            println!("{}", info["baseUrl"].as_str().unwrap_or_default());
            eprintln!("already running (stop it with: cargo run -q -p odt-local -- --name {name} down)");
            return Ok(());
        }
    }
    services("start", name)?;
    let _ = std::fs::remove_file(&ready);
    if let Ok(pid) = std::fs::read_to_string(dir.join("front.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let log = std::fs::File::create(dir.join("front.log"))?;
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new(std::env::current_exe()?)
            .args(["--name", name, "serve"])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?
    };
    std::fs::write(dir.join("front.pid"), child.id().to_string())?;
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            let info: serde_json::Value = serde_json::from_str(&text)?;
            println!("{}", info["baseUrl"].as_str().unwrap_or_default());
            eprintln!(
                "Okta double: {} (client id {}, client secret {} — a local double's, made for this run)",
                info["oktaDomain"].as_str().unwrap_or_default(),
                info["clientId"].as_str().unwrap_or_default(),
                info["clientSecret"].as_str().unwrap_or_default()
            );
            eprintln!(
                "Hexnode double: https://{} (API key {} — a local double's, made for this run)",
                info["hexnodePortal"].as_str().unwrap_or_default(),
                info["hexnodeApiKey"].as_str().unwrap_or_default()
            );
            eprintln!("token: cargo run -q -p odt-local -- --name {name} token --tenant my-tenant --role admin");
            eprintln!(
                "logs: {}; stop: cargo run -q -p odt-local -- --name {name} down",
                dir.join("front.log").display()
            );
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("the front did not start within 60 s; see {}", dir.join("front.log").display())
}

async fn serve(name: &str) -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("info")).init();
    let dir = run_dir(name);
    let auth = LocalAuthorizer::persistent(&dir)?;
    let mut cfg = StackConfig::new("odt-local", "odt-local", DEMO_DOMAIN, auth);
    cfg.front_port = 0;
    let stack = Stack::start(cfg).await?;
    let org = seed_demo(&stack.okta);
    odt_local::seed::seed_demo_fleet(&stack.hexnode);
    let info = serde_json::json!({
        "baseUrl": stack.base_url, "oktaDomain": org.domain, "clientId": org.client_id, "clientSecret": org.client_secret,
        "hexnodePortal": stack.hexnode_portal, "hexnodeApiKey": stack.hexnode_api_key,
    });
    std::fs::write(dir.join("front.json"), info.to_string())?;
    tracing::info!(base_url = %stack.base_url, "local front ready");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

fn demo() -> anyhow::Result<()> {
    const NAME: &str = "demo";
    println!("== Okta Device Trust automation: local walkthrough ==");
    services("start", NAME)?;
    let result = (|| {
        load_env(&run_dir(NAME).join("env"))?;
        runtime()?.block_on(async {
            let table = format!("odt-demo-{}", time::OffsetDateTime::now_utc().unix_timestamp());
            let stack = Stack::start(StackConfig::new(&table, "odt-demo", DEMO_DOMAIN, LocalAuthorizer::generate()?)).await?;
            let org = seed_demo(&stack.okta);
            odt_local::seed::seed_demo_fleet(&stack.hexnode);
            println!(
                "[0] Local stack: DynamoDB Local at {}, Secrets Manager (moto) at {}; table {table} created from template.yaml",
                std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default(),
                std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").unwrap_or_default(),
            );
            println!(
                "    Okta double plays {} (groups and users seeded); HTTP front at {} with the template's routes and JWT authorizer",
                org.domain, stack.base_url
            );
            let mut stdout = std::io::stdout();
            let outcome = odt_local::demo::walkthrough(&stack, &org, &mut stdout).await?;
            println!(
                "== Done: org {} connected, {} Okta groups listed, 4 platforms configured, {} devices in scope and \
                 deployed ({} UEM calls), iOS key reset pushed in {} call, Windows switched off, device trust deleted \
                 and every item removed; exports in {} ==",
                outcome.org_id,
                outcome.groups,
                outcome.in_scope,
                outcome.deploy_uem_calls,
                outcome.reset_writes.len(),
                odt_local::demo::exports_dir().display(),
            );
            anyhow::Ok(())
        })
    })();
    let stopped = services("stop", NAME);
    result.and(stopped)
}
