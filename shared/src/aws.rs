//! AWS SDK configuration, loaded once per cold start. Endpoints come from the standard
//! `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code talks to DynamoDB Local and the emulator locally.

/// Loads the shared SDK configuration from the environment.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
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
