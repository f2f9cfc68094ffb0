//! The HTTP API's throttles per route, read from `template.yaml` (the stage's `RouteSettings` entry of a route,
//! else its `DefaultRouteSettings`), and the rule the template must keep: every route has a throttle with both
//! limits, and no `RouteSettings` entry names a route the template does not have.

use crate::template::Template;
use serde_yaml::Value;
use std::collections::BTreeMap;

/// A route's throttle: requests a second, steady (`ThrottlingRateLimit`) and in a burst (`ThrottlingBurstLimit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate: f64,
    pub burst: u64,
}

/// Both limits of one `RouteSettings` value, when both are there and above zero.
fn throttle(settings: Option<&Value>) -> Option<Throttle> {
    let s = settings?;
    let rate = s.get("ThrottlingRateLimit").and_then(Value::as_f64).filter(|r| *r > 0.0)?;
    let burst = s.get("ThrottlingBurstLimit").and_then(Value::as_u64).filter(|b| *b > 0)?;
    Some(Throttle { rate, burst })
}

/// Each route's throttle, by its route key (`POST /status/exports/share`). Errors: a route whose API has neither
/// its own throttle nor a default one with both limits; a `RouteSettings` entry that names no route of its API.
pub fn route_throttles(t: &Template) -> anyhow::Result<BTreeMap<String, Throttle>> {
    let routes = t.routes();
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for r in &routes {
        let key = format!("{} {}", r.method, r.path);
        let props = t.resource(&r.api).and_then(|a| a.get("Properties"));
        let own = props.and_then(|p| p.get("RouteSettings")).and_then(|s| s.get(key.as_str()));
        match throttle(own).or_else(|| throttle(props.and_then(|p| p.get("DefaultRouteSettings")))) {
            Some(th) => {
                out.insert(key, th);
            }
            None => problems.push(format!("{key} ({}): no throttle with both limits", r.function)),
        }
    }
    let apis: std::collections::BTreeSet<&str> = routes.iter().map(|r| r.api.as_str()).collect();
    for api in apis {
        let settings = t.resource(api).and_then(|a| a.get("Properties")).and_then(|p| p.get("RouteSettings"));
        let Some(Value::Mapping(settings)) = settings else { continue };
        for key in settings.keys().filter_map(Value::as_str) {
            if !routes.iter().any(|r| r.api == api && format!("{} {}", r.method, r.path) == key) {
                problems.push(format!("{api}: RouteSettings names {key}, which is no route"));
            }
        }
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("; "));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::default_path;

    /// Fails if a route of the real template has no throttle, or if the routes that mail, export or take Okta's
    /// hook deliveries without a token are not held tighter than the default.
    #[test]
    fn every_route_of_the_template_has_a_throttle_and_mail_export_and_hook_routes_a_tighter_one() {
        let t = Template::load(&default_path()).unwrap();
        let throttles = route_throttles(&t).unwrap();
        assert_eq!(throttles.len(), t.routes().len());
        let default = throttles["GET /fleet"];
        for key in [
            "POST /status/exports/share",
            "PUT /technicians",
            "POST /status/exports",
            "POST /hooks/okta/{tenant}",
            "GET /hooks/okta/{tenant}",
        ] {
            let th = throttles[key];
            assert!(th.rate < default.rate && th.burst < default.burst, "{key}: {th:?} against {default:?}");
        }
    }

    /// Fails if the check let a route without a throttle, one with a single limit, or a stale entry pass.
    #[test]
    fn a_route_without_both_limits_or_a_stale_entry_is_refused() {
        let template = |settings: &str| {
            Template::parse(&format!(
                r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
{settings}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        A: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Method: GET, Path: /a}}}}
        B: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Method: POST, Path: /b}}}}
"#
            ))
            .unwrap()
        };
        let own_a = "      RouteSettings:\n        \"GET /a\": {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 1}";
        let err = route_throttles(&template(own_a)).unwrap_err().to_string();
        assert!(err.contains("POST /b") && !err.contains("GET /a"), "{err}");
        let one_limit = "      DefaultRouteSettings: {ThrottlingBurstLimit: 5}";
        assert!(route_throttles(&template(one_limit)).is_err());
        let stale = "      DefaultRouteSettings: {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 1}\n      RouteSettings:\n        \"GET /gone\": {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 1}";
        assert!(route_throttles(&template(stale)).unwrap_err().to_string().contains("GET /gone"));
        let fine = "      DefaultRouteSettings: {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 1}";
        assert_eq!(route_throttles(&template(fine)).unwrap().len(), 2);
    }
}
