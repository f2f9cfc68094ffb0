//! AWS SDK configuration, loaded once per cold start. Endpoints come from the standard
//! `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code talks to DynamoDB Local and the emulator locally.

/// Loads the shared SDK configuration from the environment, its HTTPS client trusting [`crate::tls::roots`].
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client()).load().await
}

/// The SDK's default HTTPS client (hyper, rustls on aws-lc) with the compiled-in roots instead of the machine's.
fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let trust = tls::TrustStore::empty().with_native_roots(false).with_pem_certificate(crate::tls::roots_pem());
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
    match tls::TlsContext::builder().with_trust_store(trust).build() {
        Ok(ctx) => builder.tls_context(ctx).build_https(),
        Err(e) => {
            tracing::warn!(error = %e, "the compiled-in TLS roots were refused; using the machine's");
            builder.build_https()
        }
    }
}

/// A fault-injection hook for tests: SDK interceptors added to a client. The type is the smithy runtime's one,
/// shared by every AWS SDK crate.
pub type Interceptor = aws_sdk_dynamodb::config::SharedInterceptor;

/// A DynamoDB client over `sdk` with `interceptors` added (tests inject faults with them; with none it is the
/// client `Client::new(sdk)` builds, the production path).
pub fn dynamodb_client_with(sdk: &aws_config::SdkConfig, interceptors: &[Interceptor]) -> aws_sdk_dynamodb::Client {
    let mut b = aws_sdk_dynamodb::config::Builder::from(sdk);
    for i in interceptors {
        b.push_interceptor(i.clone());
    }
    aws_sdk_dynamodb::Client::from_conf(b.build())
}

/// A Secrets Manager client over `sdk` with `interceptors` added (see [`dynamodb_client_with`]).
pub fn secrets_client_with(
    sdk: &aws_config::SdkConfig,
    interceptors: &[Interceptor],
) -> aws_sdk_secretsmanager::Client {
    let mut b = aws_sdk_secretsmanager::config::Builder::from(sdk);
    for i in interceptors {
        b.push_interceptor(i.clone());
    }
    aws_sdk_secretsmanager::Client::from_conf(b.build())
}
