//! The local stack in one process: the Okta double, the functions' handlers behind the HTTP front, on the
//! DynamoDB Local and moto endpoints named by the standard `AWS_ENDPOINT_URL_*` variables.

use crate::authorizer::LocalAuthorizer;
use crate::front::{handler, Front, Handler};
use crate::template::Template;
use odt_doubles::hexnode::HexnodeDouble;
use odt_doubles::okta::OktaDouble;
use odt_doubles::Served;
use odt_shared::clock::{Clock, ShiftedClock};
use odt_shared::deps::Deps;
use odt_shared::outbound::{HostResolver, Outbound, StaticResolver};
use odt_shared::pacing::UemLimits;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Puts something in front of a double: given the double's address, starts whatever should stand between the
/// product and the double (e.g. the contract test's validating proxies, a benchmark's rate limiter) and returns
/// the address the double's host is routed to instead. Errors fail [`Stack::start`].
pub type DoubleFront = Arc<
    dyn Fn(SocketAddr) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<SocketAddr>> + Send>>
        + Send
        + Sync,
>;

/// How to start a stack.
pub struct StackConfig {
    pub table: String,
    pub secrets_prefix: String,
    /// The host the Okta double plays (reached through the outbound test routes).
    pub okta_domain: String,
    /// The host the Hexnode double plays (`<portal>.hexnodemdm.com`).
    pub hexnode_portal: String,
    pub authorizer: LocalAuthorizer,
    /// The functions' clock: [`StackConfig::shift`] by default.
    pub clock: Arc<dyn Clock>,
    /// The default clock, the real one shifted on demand (the walkthrough's renewal step); a stack given another
    /// `clock` has no shift ([`Stack::shift`] is `None`).
    pub shift: Arc<ShiftedClock>,
    pub resolver: Arc<dyn HostResolver>,
    /// `0` for any free port.
    pub front_port: u16,
    /// The API's host as the front names it (`requestContext.domainName`): the product builds the event hook's
    /// URL from it, and the Okta double's calls to it (verification, deliveries) reach the front.
    pub api_domain: String,
    /// Test hook: interceptors added to the functions' DynamoDB client (fault injection); none by default, and
    /// the stream pump's own client never carries them.
    pub dynamodb_interceptors: Vec<odt_shared::aws::Interceptor>,
    /// Test hook: interceptors added to the functions' Secrets Manager client; none by default.
    pub secrets_interceptors: Vec<odt_shared::aws::Interceptor>,
    /// Test hook: interceptors added to status-export's SES client (to read or change the requests it sends);
    /// none by default.
    pub ses_interceptors: Vec<odt_shared::aws::Interceptor>,
    /// Test hook: `None` (the default) routes the org host to the Okta double itself.
    pub okta_front: Option<DoubleFront>,
    /// Test hook: `None` (the default) routes the Hexnode portal to the Hexnode double itself.
    pub hexnode_front: Option<DoubleFront>,
    /// The UEM limits the functions pace their calls within: [`DOUBLE_UEM_LIMITS`] by default (the Hexnode double
    /// throttles only when a test turns its knob on); a test of pacing sets Hexnode's own or smaller.
    pub uem_limits: UemLimits,
    /// Browser origins the front answers CORS for (the local console's); none by default.
    pub cors_origins: Vec<String>,
}

/// The limits the local stack paces the Hexnode double's calls within: far above what any test sends in a minute
/// or a day, so only a test that asks for Hexnode's real limits ([`UemLimits::HEXNODE`]) waits for them.
pub const DOUBLE_UEM_LIMITS: UemLimits = UemLimits { per_minute: 600_000, per_device_per_day: 100_000 };

impl StackConfig {
    /// Defaults: the real clock (shifted only when asked), a resolver that knows no name (the local stack is a
    /// closed world: custom domains do not resolve and no DNS query leaves), any free port.
    pub fn new(table: &str, secrets_prefix: &str, okta_domain: &str, authorizer: LocalAuthorizer) -> Self {
        let shift = Arc::new(ShiftedClock::default());
        StackConfig {
            table: table.into(),
            secrets_prefix: secrets_prefix.into(),
            okta_domain: okta_domain.into(),
            hexnode_portal: format!("{}.hexnodemdm.com", okta_domain.split('.').next().unwrap_or("demo")),
            authorizer,
            clock: shift.clone(),
            shift,
            resolver: Arc::new(StaticResolver::default()),
            front_port: 0,
            api_domain: format!(
                "{}.execute-api.us-east-1.amazonaws.com",
                okta_domain.split('.').next().unwrap_or("demo")
            ),
            dynamodb_interceptors: Vec::new(),
            secrets_interceptors: Vec::new(),
            ses_interceptors: Vec::new(),
            okta_front: None,
            hexnode_front: None,
            uem_limits: DOUBLE_UEM_LIMITS,
            cors_origins: Vec::new(),
        }
    }
}

/// A running stack.
pub struct Stack {
    pub okta: OktaDouble,
    pub hexnode: HexnodeDouble,
    /// The Hexnode double's portal host and API key (made fresh per stack).
    pub hexnode_portal: String,
    pub hexnode_api_key: String,
    pub deps: Arc<Deps>,
    /// status-export's S3 bucket and SES sender on the emulator.
    pub exports: Arc<status_export::ExportDeps>,
    pub base_url: String,
    /// The API's host as the front names it (where the event hook's URL points; see [`StackConfig::api_domain`]).
    pub api_domain: String,
    pub authorizer: LocalAuthorizer,
    pub test_routes: HashMap<String, SocketAddr>,
    /// The table's stream delivered to each stream consumer of the template (deploy-trigger), as Lambda's event
    /// source mapping does: filtered by the template's `FilterCriteria`, in batches, partial failures retried.
    pub streams: Vec<crate::streams::StreamPump>,
    /// The URL on moto of each on-failure queue of the template (by logical id, e.g. `HookStreamFailures`): where
    /// the pumps send the description of a batch they gave up on.
    pub failure_queues: HashMap<String, String>,
    /// Every stream event delivered so far (for tests that deliver a batch again).
    pub delivered: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    /// The functions' clock when it is the config's [`ShiftedClock`] (the walkthrough moves it on to show a
    /// renewal run); `None` for a stack given another clock.
    pub shift: Option<Arc<ShiftedClock>>,
    _okta_served: Served,
    _hexnode_served: Served,
    _front_served: Served,
}

/// Rounds over every stream consumer [`Stack::settle`] takes at most.
pub const SETTLE_ROUNDS: usize = 20;

/// The address exports are mailed from on the local stack (an SES identity on the emulator).
pub const LOCAL_SENDER: &str = "device-trust@exports.acme-demo.example";

/// The SES configuration set the local stack's messages go out with (made on the emulator, as the template's
/// `MailConfigurationSet` is in AWS).
pub const LOCAL_CONFIGURATION_SET: &str = "odt-mail";

/// The handler of every function in the template, by logical id.
pub fn handlers(deps: Arc<Deps>, exports: Arc<status_export::ExportDeps>) -> HashMap<String, Handler> {
    HashMap::from([
        (
            "StatusExportFunction".to_string(),
            handler(deps.clone(), move |d: Arc<Deps>, req| {
                let x = exports.clone();
                async move { status_export::handle(&d, &x, req).await }
            }),
        ),
        (
            "IntegrationFunction".to_string(),
            handler(deps.clone(), |d: Arc<Deps>, req| async move { integration::handle(&d, req).await }),
        ),
        (
            "PlatformConfigFunction".to_string(),
            handler(deps.clone(), |d: Arc<Deps>, req| async move { platform_config::handle(&d, req).await }),
        ),
        (
            "FleetSyncFunction".to_string(),
            handler(deps.clone(), |d: Arc<Deps>, req| async move { fleet_sync::handle(&d, req).await }),
        ),
        (
            "DeployTriggerFunction".to_string(),
            handler(deps, |d: Arc<Deps>, req| async move { deploy_trigger::handle(&d, req).await }),
        ),
    ])
}

/// Creates the exports bucket, the sender's SES identity and the configuration set on the emulator (each kept if
/// it exists).
async fn prepare_exports(x: &status_export::ExportDeps) -> anyhow::Result<()> {
    if let Err(e) = x.s3.create_bucket().bucket(&x.bucket).send().await {
        let owned =
            e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists());
        if !owned {
            anyhow::bail!("creating the exports bucket {}: {}", x.bucket, aws_sdk_s3::error::DisplayErrorContext(e));
        }
    }
    if let Err(e) = x.ses.create_email_identity().email_identity(&x.sender).send().await {
        if !e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) {
            anyhow::bail!("creating the SES identity {}: {}", x.sender, aws_sdk_sesv2::error::DisplayErrorContext(e));
        }
    }
    if let Err(e) = x.ses.create_configuration_set().configuration_set_name(&x.configuration_set).send().await {
        // SES answers AlreadyExistsException; moto names it ConfigurationSetAlreadyExistsException.
        let code = aws_sdk_sesv2::error::ProvideErrorMetadata::code(&e).unwrap_or_default();
        if !code.ends_with("AlreadyExistsException") {
            let e = aws_sdk_sesv2::error::DisplayErrorContext(e);
            anyhow::bail!("creating the SES configuration set {}: {e}", x.configuration_set);
        }
    }
    Ok(())
}

/// status-export's S3 and SES on the emulator for the stack of `table` (its own bucket, the SES client with
/// `interceptors`), made ready by [`prepare_exports`].
async fn exports_deps(
    sdk: &aws_config::SdkConfig,
    table: &str,
    interceptors: &[odt_shared::aws::Interceptor],
) -> anyhow::Result<status_export::ExportDeps> {
    let bucket = format!("odt-exports-{}", table.to_ascii_lowercase()).chars().take(63).collect::<String>();
    let mut exports = status_export::ExportDeps::new(sdk, bucket, LOCAL_SENDER.into(), LOCAL_CONFIGURATION_SET.into());
    if !interceptors.is_empty() {
        let mut b = aws_sdk_sesv2::config::Builder::from(sdk);
        for i in interceptors {
            b.push_interceptor(i.clone());
        }
        exports.ses = aws_sdk_sesv2::Client::from_conf(b.build());
    }
    prepare_exports(&exports).await?;
    Ok(exports)
}

/// The stream handler of the template function `function` (by logical id), recording each event it is given.
fn stream_handler(
    function: &str,
    deps: Arc<Deps>,
    delivered: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) -> anyhow::Result<crate::streams::Deliver> {
    type Consumer = fn(
        Arc<Deps>,
        aws_lambda_events::event::dynamodb::Event,
    )
        -> futures::future::BoxFuture<'static, aws_lambda_events::event::streams::DynamoDbEventResponse>;
    let consumer: Consumer = match function {
        "DeployTriggerStreamFunction" => {
            |d, e| Box::pin(async move { deploy_trigger::stream::handle_stream(&d, e).await })
        }
        "FleetSyncHookFunction" => |d, e| Box::pin(async move { fleet_sync::inbox::handle_stream(&d, e).await }),
        other => anyhow::bail!("no local handler for the stream consumer {other}"),
    };
    Ok(Arc::new(move |event: serde_json::Value| {
        let deps = deps.clone();
        let delivered = delivered.clone();
        Box::pin(async move {
            if let Ok(mut d) = delivered.lock() {
                d.push(event.clone());
            }
            let answer = match serde_json::from_value(event) {
                Ok(e) => consumer(deps, e).await,
                Err(e) => {
                    tracing::error!(error = %e, "stream event does not read as a DynamoDB event");
                    return serde_json::json!({"batchItemFailures": []});
                }
            };
            serde_json::to_value(answer).unwrap_or_else(|_| serde_json::json!({"batchItemFailures": []}))
        })
    }))
}

impl Stack {
    /// Creates the table from the template (if missing), starts the Okta double and the front.
    pub async fn start(cfg: StackConfig) -> anyhow::Result<Stack> {
        let template = Template::load(&crate::template::default_path())?;
        let sdk = odt_shared::aws::load_config().await;
        crate::table::create_from_template(&aws_sdk_dynamodb::Client::new(&sdk), &template, &cfg.table).await?;
        let okta = OktaDouble::new(&cfg.okta_domain);
        let okta_served = Served::start(okta.router(), 0).await?;
        let hexnode_api_key = format!("hx-{}", uuid::Uuid::new_v4().simple());
        let hexnode = HexnodeDouble::new(&cfg.hexnode_portal, &hexnode_api_key);
        let hexnode_served = Served::start(hexnode.router(), 0).await?;
        let okta_addr = match &cfg.okta_front {
            Some(front) => front(okta_served.addr).await?,
            None => okta_served.addr,
        };
        let hexnode_addr = match &cfg.hexnode_front {
            Some(front) => front(hexnode_served.addr).await?,
            None => hexnode_served.addr,
        };
        let test_routes =
            HashMap::from([(cfg.okta_domain.clone(), okta_addr), (cfg.hexnode_portal.clone(), hexnode_addr)]);
        let outbound = Outbound::with_test_routes(test_routes.clone());
        let table = cfg.table.clone();
        let shift = Some(cfg.shift.clone()).filter(|s| std::ptr::addr_eq(Arc::as_ptr(s), Arc::as_ptr(&cfg.clock)));
        let mut deps = Deps::new(&sdk, cfg.table, cfg.secrets_prefix.clone(), outbound, cfg.resolver, cfg.clock);
        deps.uem_limits = cfg.uem_limits;
        if !cfg.dynamodb_interceptors.is_empty() {
            let client = odt_shared::aws::dynamodb_client_with(&sdk, &cfg.dynamodb_interceptors);
            deps.store = odt_shared::store::Store::new(client, table.clone());
        }
        if !cfg.secrets_interceptors.is_empty() {
            let client = odt_shared::aws::secrets_client_with(&sdk, &cfg.secrets_interceptors);
            deps.secrets = odt_shared::secrets::Secrets::new(client, cfg.secrets_prefix);
        }
        let deps = Arc::new(deps);
        let exports = Arc::new(exports_deps(&sdk, &table, &cfg.ses_interceptors).await?);
        let front = Arc::new(Front {
            routes: template.routes(),
            handlers: handlers(deps.clone(), exports.clone()),
            authorizer: cfg.authorizer.clone(),
            cors_origins: cfg.cors_origins.clone(),
            domain_name: cfg.api_domain.clone(),
        });
        let front_served = Served::start(front.router(), cfg.front_port).await?;
        okta.route_hooks(&cfg.api_domain, front_served.addr);
        let delivered = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut streams = Vec::new();
        let mut failure_queues = HashMap::new();
        let http = reqwest::Client::new();
        for consumer in template.stream_consumers()? {
            let deliver = stream_handler(&consumer.function, deps.clone(), delivered.clone())?;
            // the consumer's DestinationConfig.OnFailure queue, on moto, one per stack
            let on_failure = match &consumer.on_failure {
                Some(queue) => {
                    let name = crate::streams::sqs::queue_name(&[&table, queue]);
                    let url = crate::streams::sqs::create_queue(&http, &name).await?;
                    failure_queues.insert(queue.clone(), url.clone());
                    Some(url)
                }
                None => None,
            };
            streams.push(crate::streams::StreamPump::start(&sdk, &table, consumer, deliver, on_failure).await?);
        }
        Ok(Stack {
            okta,
            hexnode,
            hexnode_portal: cfg.hexnode_portal,
            hexnode_api_key,
            deps,
            exports,
            base_url: format!("http://{}", front_served.addr),
            api_domain: cfg.api_domain.clone(),
            authorizer: cfg.authorizer,
            test_routes,
            streams,
            failure_queues,
            delivered,
            shift,
            _okta_served: okta_served,
            _hexnode_served: hexnode_served,
            _front_served: front_served,
        })
    }

    /// Waits until every record written so far has gone through the stream consumers and their runs have
    /// answered, including what the consumers' own writes set off (an applied hook delivery changes device
    /// records, which deploy-trigger then deploys): rounds over every consumer until one delivers nothing new
    /// (at most 60 s per consumer and round, and [`SETTLE_ROUNDS`] rounds: a consumer whose writes kept setting
    /// itself or another off would never settle, and that is an error, named with the pumps' counters).
    pub async fn settle(&self) -> anyhow::Result<()> {
        for _ in 0..SETTLE_ROUNDS {
            let before: u64 = self.streams.iter().map(|s| s.delivered()).sum();
            for s in &self.streams {
                s.settle(std::time::Duration::from_secs(60)).await?;
            }
            if self.streams.iter().map(|s| s.delivered()).sum::<u64>() == before {
                return Ok(());
            }
        }
        let stats: Vec<String> = self.streams.iter().map(|s| format!("{}: {:?}", s.function(), s.stats())).collect();
        anyhow::bail!("the stream consumers did not settle in {SETTLE_ROUNDS} rounds ({})", stats.join("; "))
    }

    /// The stream events delivered so far, in order.
    pub fn delivered_batches(&self) -> Vec<serde_json::Value> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// A bearer token for `tenant` with `role`, valid for an hour.
    pub fn token(&self, tenant: &str, role: &str) -> String {
        self.authorizer.token(tenant, role, 3600)
    }
}
