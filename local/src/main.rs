//! `odt-local`: run the product on this machine.
//!
//! - `up`: start the local services, the Okta double, the HTTP front and the console (built first if needed) in
//!   the background; print the base URL and the console's.
//! - `token --tenant T --role admin|technician`: print a bearer token the front accepts.
//! - `demo [--keep]`: run the walkthrough on a fresh local stack and print what happened (`--keep`: then serve
//!   the console on the data it left until Ctrl-C).
//! - `down`: stop what `up` started.
//! - `walkthrough --api URL --setup FILE`: the walkthrough against a deployed stack and real Okta and Hexnode.
//! - `bootstraps --dir target/lambda`: check that every function in template.yaml has its arm64 `bootstrap`.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use odt_local::authorizer::LocalAuthorizer;
use odt_local::seed::{seed_demo, DEMO_DOMAIN};
use odt_local::stack::StackConfig;
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
    /// Start services, the doubles, the HTTP front and the console in the background.
    Up {
        /// Also seed the doubles with names made to break HTML (a device `<img src=x onerror=alert(1)>`, groups
        /// `"><script>`), as the console's browser tests do.
        #[arg(long)]
        hostile_names: bool,
    },
    /// Serve in the foreground (what `up` runs in the background).
    Serve {
        #[arg(long)]
        hostile_names: bool,
    },
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
    Demo {
        /// Keep the stack running afterwards and serve the console on the data the walkthrough left.
        #[arg(long)]
        keep: bool,
    },
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
        Cmd::Up { hostile_names } => up(name, hostile_names),
        Cmd::Serve { hostile_names } => {
            load_env(&run_dir(name).join("env"))?;
            runtime()?.block_on(serve(name, hostile_names))
        }
        Cmd::Token { tenant, role, ttl } => {
            if running_front(name).is_none() {
                bail!("no stack named {name} is running; start it with: cargo run -q -p odt-local -- --name {name} up");
            }
            if odt_shared::auth::TenantId::parse(&tenant).is_none() {
                bail!("--tenant takes 1 to 128 letters, digits, '-' and '_'");
            }
            let auth = LocalAuthorizer::persistent(&run_dir(name))?.with_issuer(&front_issuer(name));
            println!("{}", auth.token(&tenant, &role, ttl));
            Ok(())
        }
        Cmd::Demo { keep } => demo(keep),
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

/// The issuer the running front of stack `name` trusts (its console's OIDC provider), from `front.json`.
fn front_issuer(name: &str) -> String {
    std::fs::read_to_string(run_dir(name).join("front.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["issuer"].as_str().map(str::to_string))
        .unwrap_or_else(|| odt_local::authorizer::LOCAL_ISSUER.to_string())
}

/// Builds `console/dist` when it is missing or older than its sources (`npm ci` first when `node_modules` is
/// missing). A failure is told and leaves the API running without the console.
fn build_console() {
    let dir = odt_local::console::console_dir();
    if !odt_local::console::needs_build(&dir, &root().join("openapi.json")) {
        return;
    }
    let npm =
        |args: &[&str]| Command::new("npm").args(args).current_dir(&dir).stdout(std::process::Stdio::null()).status();
    eprintln!("building the console (console/: npm ci, npm run build) ...");
    let installed =
        dir.join("node_modules").exists() || npm(&["ci", "--no-audit", "--no-fund"]).is_ok_and(|s| s.success());
    if !installed || !npm(&["run", "build"]).is_ok_and(|s| s.success()) {
        eprintln!("the console could not be built (node and npm are needed); the API runs without it");
    }
}

fn up(name: &str, hostile_names: bool) -> anyhow::Result<()> {
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
    build_console();
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
            .args(hostile_names.then_some("--hostile-names"))
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
            match info["consoleUrl"].as_str() {
                Some(url) => eprintln!("console: {url} (sign in as any tenant, e.g. my-tenant, admin or technician)"),
                None => eprintln!("console: not served (no console/dist; see {})", dir.join("front.log").display()),
            }
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

async fn serve(name: &str, hostile_names: bool) -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("info")).init();
    let dir = run_dir(name);
    let auth = LocalAuthorizer::persistent(&dir)?;
    let cfg = StackConfig::new("odt-local", "odt-local", DEMO_DOMAIN, auth);
    let dist = odt_local::console::console_dir().join("dist");
    let (stack, console) = odt_local::console::start_with_console(cfg, &dist).await?;
    let org = seed_demo(&stack.okta);
    odt_local::seed::seed_demo_fleet(&stack.hexnode);
    if hostile_names {
        odt_local::seed::seed_hostile_names(&stack.okta, &stack.hexnode);
    }
    let mut info = serde_json::json!({
        "baseUrl": stack.base_url, "oktaDomain": org.domain, "clientId": org.client_id, "clientSecret": org.client_secret,
        "hexnodePortal": stack.hexnode_portal, "hexnodeApiKey": stack.hexnode_api_key, "issuer": stack.authorizer.issuer,
    });
    match &console {
        Ok(c) => {
            std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&c.config)?)?;
            info["consoleUrl"] = c.url.clone().into();
        }
        Err(e) => tracing::warn!(error = %e, "the console is not served"),
    }
    std::fs::write(dir.join("front.json"), info.to_string())?;
    tracing::info!(base_url = %stack.base_url, "local front ready");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

fn demo(keep: bool) -> anyhow::Result<()> {
    const NAME: &str = "demo";
    println!("== Okta Device Trust automation: local walkthrough ==");
    services("start", NAME)?;
    let result = (|| {
        load_env(&run_dir(NAME).join("env"))?;
        runtime()?.block_on(async {
            let table = format!("odt-demo-{}", time::OffsetDateTime::now_utc().unix_timestamp());
            let cfg = StackConfig::new(&table, "odt-demo", DEMO_DOMAIN, LocalAuthorizer::generate()?);
            if keep {
                build_console();
            }
            let dist = odt_local::console::console_dir().join("dist");
            let (stack, console) = odt_local::console::start_with_console(cfg, &dist).await?;
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
            if keep && console.is_ok() {
                odt_local::demo::restore_for_console(&stack, &outcome.org_id, &mut stdout).await?;
                println!(
                    "For a set-up from scratch under another tenant: Okta org {} (client id {}, client secret {}), \
                     Hexnode portal https://{} (API key {}): a local double's, made for this run",
                    org.domain, org.client_id, org.client_secret, stack.hexnode_portal, stack.hexnode_api_key
                );
            }
            open_console(keep, console.as_ref().ok()).await
        })
    })();
    let stopped = services("stop", NAME);
    result.and(stopped)
}

/// The walkthrough's last lines: how to open the console on the data it left; with `--keep` it is served now,
/// until Ctrl-C.
async fn open_console(keep: bool, console: Option<&odt_local::console::ConsoleServer>) -> anyhow::Result<()> {
    let tenant = odt_local::demo::DEMO_TENANT;
    match (keep, console) {
        (true, Some(c)) => {
            println!(
                "Console on the walkthrough's tenant, device trust set up again and deployed: {} (sign in as tenant \
                 {tenant}, admin or technician; another tenant name starts an empty set-up).",
                c.url
            );
            println!("Ctrl-C stops it.");
            tokio::signal::ctrl_c().await?;
        }
        (true, None) => {
            println!("The console is not built (cd console && npm ci && npm run build), so it is not served.")
        }
        (false, _) => println!(
            "To open the console on the data this walkthrough leaves: scripts/demo.sh --keep (it then serves the \
             console and prints its URL; sign in as tenant {tenant})."
        ),
    }
    Ok(())
}
