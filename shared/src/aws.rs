//! AWS SDK configuration, loaded once per cold start. Endpoints come from the standard
//! `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code talks to DynamoDB Local and the emulator locally.

/// Loads the shared SDK configuration from the environment.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}
