//! The status-export function's part of the OpenAPI document, generated from the handlers' annotations.

use crate::{evidence, export_routes, exports, mail, routes, state, status, summary, technicians};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::summary, routes::devices, routes::refresh, export_routes::export, export_routes::share,
        technicians::get, technicians::put),
    components(schemas(
        routes::StatusView, routes::DevicePage, export_routes::ExportInput, export_routes::ShareInput,
        export_routes::ShareView, technicians::TechniciansView, technicians::TechniciansInput, evidence::RefreshReport,
        exports::ExportView, exports::Format, mail::SentMail, mail::NotSent, summary::Summary, status::DeviceStatus, state::OdtState,
        odt_shared::error::ErrorBody, odt_shared::error::ErrorDetail, odt_shared::error::GatewayMessage,
    )),
    tags((name = "status", description = "Device configuration status, exports, technicians"))
)]
pub struct StatusExportApi;
