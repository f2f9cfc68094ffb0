//! Creates the DynamoDB table (on DynamoDB Local) from the template's `AWS::DynamoDB::Table` definition: key
//! schema, attribute definitions, global secondary indexes, stream and time to live.

use crate::template::Template;
use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use serde_yaml::Value;

fn s<'a>(v: &'a Value, key: &str) -> anyhow::Result<&'a str> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| anyhow!("table definition: {key} missing"))
}

fn key_schema(v: &Value) -> anyhow::Result<Vec<KeySchemaElement>> {
    v.as_sequence()
        .ok_or_else(|| anyhow!("KeySchema is not a list"))?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(s(k, "AttributeName")?)
                .key_type(KeyType::from(s(k, "KeyType")?))
                .build()?)
        })
        .collect()
}

/// Creates `name` from the template's table definition and waits until it is active (an existing table is
/// left as it is).
pub async fn create_from_template(
    client: &aws_sdk_dynamodb::Client,
    template: &Template,
    name: &str,
) -> anyhow::Result<()> {
    let props = template.table_properties().ok_or_else(|| anyhow!("template has no AWS::DynamoDB::Table"))?;
    let mut req = client.create_table().table_name(name).billing_mode(BillingMode::PayPerRequest);
    for a in props["AttributeDefinitions"].as_sequence().ok_or_else(|| anyhow!("AttributeDefinitions missing"))? {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(s(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(s(a, "AttributeType")?))
                .build()?,
        );
    }
    req = req.set_key_schema(Some(key_schema(&props["KeySchema"])?));
    if let Some(gsis) = props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence) {
        for g in gsis {
            let projection = g["Projection"].get("ProjectionType").and_then(Value::as_str).unwrap_or("ALL");
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(s(g, "IndexName")?)
                    .set_key_schema(Some(key_schema(&g["KeySchema"])?))
                    .projection(Projection::builder().projection_type(ProjectionType::from(projection)).build())
                    .build()?,
            );
        }
    }
    if let Some(view) = props.get("StreamSpecification").and_then(|v| v.get("StreamViewType")).and_then(Value::as_str) {
        req = req.stream_specification(
            StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::from(view)).build()?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(anyhow!("CreateTable {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e))),
    }
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(s(ttl, "AttributeName")?)
                    .enabled(ttl.get("Enabled").and_then(Value::as_bool).unwrap_or(true))
                    .build()?,
            )
            .send()
            .await
            .context("UpdateTimeToLive")?;
    }
    Ok(())
}
