//! Outbound safety: which hosts the product may call, checked before any request leaves.
//!
//! An Okta org domain must be `https`, a hostname (never an IP literal), and either under one of Okta's own
//! domains (`*.okta.com`, `*.oktapreview.com`, `*.okta-emea.com`, `*.okta-gov.com`) or a custom domain that
//! resolves only to public addresses. Loopback, private, link-local and metadata addresses, reserved names
//! (`localhost`, `.local`, `.internal`, `.example`, ...) and look-alikes such as `acme.okta.com.evil.example`
//! are refused. Every connection also goes through [`PublicOnlyResolver`], so a name that later re-resolves to a
//! private address (DNS rebinding) is refused at connect time.
//!
//! Tests and the local demo reach their HTTP doubles through [`Outbound::with_test_routes`]: an explicit map from
//! an already-validated host to a loopback address, applied after the rules, never by relaxing them. Such a set-up
//! is closed: a host that is not in the map is refused without any request or DNS look-up.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// Okta's own domain suffixes (an org is `<name>.<suffix>`).
pub const OKTA_SUFFIXES: [&str; 4] = ["okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com"];

/// Hexnode portal suffix (`<portal>.hexnodemdm.com`).
pub const HEXNODE_SUFFIX: &str = "hexnodemdm.com";

/// Top-level or special-use names that never name a public service (RFC 2606, RFC 6761, RFC 6762, ICANN).
const RESERVED_SUFFIXES: [&str; 9] =
    ["localhost", "local", "internal", "example", "invalid", "test", "arpa", "home", "lan"];

/// Why a host was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("must be an https URL or a bare host name")]
    NotHttps,
    #[error("must be a host name, not an IP address")]
    IpLiteral,
    #[error("must be a host name only (no path, query, user info or port other than 443)")]
    NotBareHost,
    #[error("is not a valid host name")]
    Invalid,
    /// Written in another form than it would be used in (`as_sent::url_text` says how).
    #[error("{0}")]
    NotAsUsed(&'static str),
    #[error("is a reserved or local name")]
    Reserved,
    #[error("imitates an Okta domain without being one")]
    LookAlike,
    #[error("must be a host under {0}")]
    WrongSuffix(String),
    #[error("does not resolve")]
    Unresolvable,
    #[error("resolves to a non-public address ({0})")]
    NonPublic(IpAddr),
}

/// An Okta org's host, validated by the rules above: lower case, no scheme, no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct OrgHost(String);

impl OrgHost {
    /// The host text, e.g. `acme.okta.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `https://<host>`.
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("https://{}/", self.0)).expect("validated host forms a URL")
    }
    /// A host read back from the store, where it was written after full validation: the syntax and look-alike
    /// rules run again (no DNS; connections still go through [`PublicOnlyResolver`]).
    pub fn revalidate(stored: &str) -> Result<OrgHost, HostError> {
        let host = parse_host(stored)?;
        if !OKTA_SUFFIXES.iter().any(|s| under(&host, s)) && is_look_alike(&host) {
            return Err(HostError::LookAlike);
        }
        Ok(OrgHost(host))
    }
    /// Whether the host is under one of Okta's own domains (no DNS check needed).
    pub fn is_okta_owned(&self) -> bool {
        OKTA_SUFFIXES.iter().any(|s| under(&self.0, s))
    }
}

impl std::fmt::Display for OrgHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn under(host: &str, suffix: &str) -> bool {
    host.len() > suffix.len() + 1 && host.ends_with(suffix) && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
}

/// Parses what an admin typed (`acme.okta.com`, `https://acme.okta.com/`) into a normalized host, without DNS.
/// Errors: see [`HostError`].
/// The most pages one list may have before it is taken for a loop (Okta's and Hexnode's lists alike; 10,000
/// pages of 100 or 200 items are a million or two).
pub const MAX_LIST_PAGES: usize = 10_000;

/// A list page's `next` link, checked by the one rule both clients follow: an absolute `https` URL on `host`
/// itself, the default port, no user info. Errors: what is wrong with it (the caller names the list).
pub fn checked_next_link(host: &str, next: &str) -> Result<Url, String> {
    let url = Url::parse(next).map_err(|e| format!("next link is not an absolute URL: {e}"))?;
    let same = url.scheme() == "https"
        && url.host_str() == Some(host)
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if same {
        Ok(url)
    } else {
        Err("next link points outside the server it was read from".into())
    }
}

pub fn parse_host(input: &str) -> Result<String, HostError> {
    let input = input.trim();
    crate::as_sent::url_text(input).map_err(HostError::NotAsUsed)?;
    let with_scheme = if input.contains("://") {
        if !input.to_ascii_lowercase().starts_with("https://") {
            return Err(HostError::NotHttps);
        }
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| HostError::Invalid)?;
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(HostError::NotBareHost);
    }
    if !(url.path() == "/" || url.path().is_empty()) || url.port().is_some_and(|p| p != 443) {
        return Err(HostError::NotBareHost);
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_string(),
        Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => return Err(HostError::IpLiteral),
        None => return Err(HostError::Invalid),
    };
    if host.parse::<IpAddr>().is_ok() {
        return Err(HostError::IpLiteral);
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if host.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(HostError::Invalid);
    }
    let tld = labels[labels.len() - 1];
    if RESERVED_SUFFIXES.contains(&tld) || tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::Reserved);
    }
    Ok(host)
}

/// Validates an Okta org domain. Okta-owned hosts pass without DNS; a custom domain must resolve (through
/// `resolver`) only to public addresses. Errors: see [`HostError`].
pub async fn validate_org_host(input: &str, resolver: &dyn HostResolver) -> Result<OrgHost, HostError> {
    let host = parse_host(input)?;
    if OKTA_SUFFIXES.iter().any(|s| under(&host, s)) {
        return Ok(OrgHost(host));
    }
    // A name that carries an Okta domain inside it (acme.okta.com.evil.example) but is not under it.
    if is_look_alike(&host) {
        return Err(HostError::LookAlike);
    }
    check_resolves_public(&host, resolver).await?;
    Ok(OrgHost(host))
}

/// A name that carries an Okta domain inside it (`acme.okta.com.evil.example`, `okta.com`) without being under it.
fn is_look_alike(host: &str) -> bool {
    OKTA_SUFFIXES.iter().any(|s| host == *s || host.contains(&format!("{s}.")))
}

/// Validates a host that must sit under `suffix` (e.g. a Hexnode portal under `hexnodemdm.com`).
pub fn validate_host_under(input: &str, suffix: &str) -> Result<OrgHost, HostError> {
    let host = parse_host(input)?;
    if under(&host, suffix) {
        Ok(OrgHost(host))
    } else {
        Err(HostError::WrongSuffix(suffix.to_string()))
    }
}

async fn check_resolves_public(host: &str, resolver: &dyn HostResolver) -> Result<(), HostError> {
    let addrs = resolver.resolve(host).await;
    if addrs.is_empty() {
        return Err(HostError::Unresolvable);
    }
    match addrs.into_iter().find(|a| !is_public(*a)) {
        Some(bad) => Err(HostError::NonPublic(bad)),
        None => Ok(()),
    }
}

/// Whether an address is globally routable: not loopback, private, shared (CGNAT), link-local (which holds the
/// cloud metadata service 169.254.169.254), unique-local (fd00:ec2::254), documentation, multicast or reserved.
/// IPv4-mapped and NAT64 IPv6 addresses are judged by their IPv4 part.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
                return is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible, deprecated
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240) // reserved
}

/// Name resolution, injectable so tests can say what a custom domain resolves to.
#[async_trait::async_trait]
pub trait HostResolver: Send + Sync {
    /// All addresses of `host` (empty when it does not resolve).
    async fn resolve(&self, host: &str) -> Vec<IpAddr>;
}

/// The system resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

#[async_trait::async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str) -> Vec<IpAddr> {
        match tokio::net::lookup_host((host, 443)).await {
            Ok(it) => it.map(|a| a.ip()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// A fixed table of names, for tests.
#[derive(Debug, Default, Clone)]
pub struct StaticResolver(pub HashMap<String, Vec<IpAddr>>);

#[async_trait::async_trait]
impl HostResolver for StaticResolver {
    async fn resolve(&self, host: &str) -> Vec<IpAddr> {
        self.0.get(host).cloned().unwrap_or_default()
    }
}

/// reqwest's resolver for every outbound connection: resolves with the system and keeps public addresses only,
/// so no request reaches a private address even if a validated name is re-pointed later.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The outbound HTTP set-up shared by the Okta and UEM clients: one `reqwest::Client` (built once per cold
/// start) and, for tests only, the map of validated hosts to local doubles.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    test_routes: Option<Arc<HashMap<String, SocketAddr>>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("test_routes", &self.test_routes).finish()
    }
}

impl Outbound {
    /// The production set-up: TLS, public addresses only, a 10 s request timeout and no redirects.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// A closed set-up for tests and the local front: the listed hosts go to local addresses over plain HTTP and
    /// every other host is refused. The domain rules still run first, so a refused host never reaches the map.
    pub fn with_test_routes(routes: HashMap<String, SocketAddr>) -> Self {
        Self::build(Some(routes))
    }

    /// Parses `host=127.0.0.1:port,host2=...` (the local front's `ODT_TEST_OUTBOUND_ROUTES`).
    pub fn parse_test_routes(spec: &str) -> Result<HashMap<String, SocketAddr>, String> {
        spec.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|pair| {
                let (h, a) = pair.split_once('=').ok_or_else(|| format!("route {pair:?} is not host=addr"))?;
                let addr: SocketAddr = a.trim().parse().map_err(|e| format!("route {pair:?}: {e}"))?;
                Ok((h.trim().to_ascii_lowercase(), addr))
            })
            .collect()
    }

    fn build(routes: Option<HashMap<String, SocketAddr>>) -> Self {
        let http = reqwest::Client::builder()
            // Never through a proxy from the environment (HTTPS_PROXY, ALL_PROXY): the proxy would resolve and
            // connect, and the public-address check below would never see the address.
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnlyResolver))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("odt-device-trust/", env!("CARGO_PKG_VERSION")))
            .tls_certs_only(crate::tls::roots().iter().filter_map(|der| reqwest::Certificate::from_der(der).ok()))
            .build()
            .expect("reqwest client builds");
        Outbound { http, test_routes: routes.map(Arc::new) }
    }

    /// The client to send with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Where a request for `url` really goes: the URL itself, or in a closed set-up the host's local double.
    /// Errors: in a closed set-up, a host that no double serves.
    pub fn route(&self, url: &Url) -> Result<Url, String> {
        let Some(routes) = &self.test_routes else { return Ok(url.clone()) };
        let host = url.host_str().unwrap_or_default();
        let addr = routes.get(host).ok_or_else(|| format!("{host} is not served by a local double"))?;
        let mut u = url.clone();
        let _ = u.set_scheme("http");
        let _ = u.set_ip_host(addr.ip());
        let _ = u.set_port(Some(addr.port()));
        Ok(u)
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_one_rule_for_both_clients() {
        let host = "acme.okta.com";
        assert!(checked_next_link(host, "https://acme.okta.com/api/v1/users?after=00u2&limit=200").is_ok());
        for bad in [
            "http://acme.okta.com/api/v1/users?after=00u2",
            "https://acme.okta.com:8443/api/v1/users?after=00u2",
            "https://u:p@acme.okta.com/api/v1/users?after=00u2",
            "https://u@acme.okta.com/api/v1/users?after=00u2",
            "https://evil.okta.com/api/v1/users?after=00u2",
            "https://acme.okta.com.evil.com/api/v1/users",
            "/api/v1/users?after=00u2",
        ] {
            assert!(checked_next_link(host, bad).is_err(), "{bad}");
        }
    }

    fn resolver() -> StaticResolver {
        let mut m = HashMap::new();
        m.insert("login.acme.com".to_string(), vec!["52.1.2.3".parse().unwrap()]);
        m.insert("sso.evil.com".to_string(), vec!["52.1.2.3".parse().unwrap(), "10.0.0.5".parse().unwrap()]);
        m.insert("meta.evil.com".to_string(), vec!["169.254.169.254".parse().unwrap()]);
        m.insert("v6.evil.com".to_string(), vec!["::ffff:127.0.0.1".parse().unwrap()]);
        StaticResolver(m)
    }

    async fn check(input: &str) -> Result<OrgHost, HostError> {
        validate_org_host(input, &resolver()).await
    }

    #[tokio::test]
    async fn c20_outbound_safety_refuses_each_unsafe_domain() {
        assert_eq!(check("127.0.0.1").await, Err(HostError::IpLiteral));
        assert_eq!(check("169.254.169.254").await, Err(HostError::IpLiteral));
        assert_eq!(check("http://acme.okta.com").await, Err(HostError::NotHttps));
        assert_eq!(check("acme.okta.com.evil.example").await, Err(HostError::Reserved));
        assert_eq!(check("acme.okta.com.evil.example.com").await, Err(HostError::LookAlike));
        assert_eq!(check("[::1]").await, Err(HostError::IpLiteral));
        assert_eq!(check("localhost").await, Err(HostError::Invalid));
    }

    #[tokio::test]
    async fn okta_hosts_and_public_custom_domains_pass() {
        assert_eq!(check("acme.okta.com").await.unwrap().as_str(), "acme.okta.com");
        assert_eq!(check("https://ACME.oktapreview.com/").await.unwrap().as_str(), "acme.oktapreview.com");
        assert_eq!(check("x.okta-emea.com").await.unwrap().as_str(), "x.okta-emea.com");
        assert_eq!(check("x.okta-gov.com").await.unwrap().as_str(), "x.okta-gov.com");
        let custom = check("login.acme.com").await.unwrap();
        assert!(!custom.is_okta_owned());
    }

    #[tokio::test]
    async fn other_unsafe_forms_are_refused() {
        for (input, want) in [
            ("okta.com", HostError::LookAlike),
            ("evilokta.com", HostError::Unresolvable),
            ("acme.okta.com.evil.com", HostError::LookAlike),
            ("acme.okta.com:8443", HostError::NotBareHost),
            ("https://u:p@acme.okta.com", HostError::NotBareHost),
            ("https://acme.okta.com/path", HostError::NotBareHost),
            ("https://acme.okta.com?x=1", HostError::NotBareHost),
            ("0x7f.0.0.1", HostError::IpLiteral),
            ("2130706433", HostError::IpLiteral),
            ("foo.localhost", HostError::Reserved),
            ("printer.local", HostError::Reserved),
            ("meta.internal", HostError::Reserved),
            ("sso.evil.com", HostError::NonPublic("10.0.0.5".parse().unwrap())),
            ("meta.evil.com", HostError::NonPublic("169.254.169.254".parse().unwrap())),
            ("v6.evil.com", HostError::NonPublic("::ffff:127.0.0.1".parse().unwrap())),
            ("ftp://acme.okta.com", HostError::NotHttps),
            ("", HostError::Invalid),
            ("a..okta.com", HostError::Invalid),
        ] {
            assert_eq!(check(input).await, Err(want), "{input}");
        }
    }

    #[test]
    fn public_address_table() {
        for ip in [
            "10.1.1.1",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["52.1.2.3", "8.8.8.8", "2600:1f18::1", "::ffff:52.1.2.3"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn hexnode_portal_hosts() {
        assert!(validate_host_under("acme.hexnodemdm.com", HEXNODE_SUFFIX).is_ok());
        assert!(validate_host_under("acme.hexnodemdm.com.evil.com", HEXNODE_SUFFIX).is_err());
        assert!(validate_host_under("hexnodemdm.com", HEXNODE_SUFFIX).is_err());
    }

    #[test]
    fn test_routes_rewrite_only_listed_hosts() {
        let routes = Outbound::parse_test_routes("acme.okta.com=127.0.0.1:9000").unwrap();
        let o = Outbound::with_test_routes(routes);
        let u = o.route(&Url::parse("https://acme.okta.com/api/v1/groups?after=x").unwrap()).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9000/api/v1/groups?after=x");
        assert!(o.route(&Url::parse("https://other.okta.com/x").unwrap()).is_err(), "closed: other hosts refused");
        let open = Outbound::new();
        assert_eq!(
            open.route(&Url::parse("https://other.okta.com/x").unwrap()).unwrap().as_str(),
            "https://other.okta.com/x"
        );
    }
}
