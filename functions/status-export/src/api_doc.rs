//! The status-export function's part of the OpenAPI document, generated from the handlers' annotations.

use crate::{evidence, exports, routes, status};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::summary, routes::devices, routes::refresh, routes::export, routes::share, routes::technicians,
        routes::put_technicians),
    components(schemas(
        routes::StatusView, routes::DevicePage, routes::ExportInput, routes::ShareInput, routes::ShareView,
        routes::TechniciansView, routes::TechniciansInput, evidence::RefreshReport, exports::ExportView,
        exports::Format, exports::SentMail, status::Summary, status::DeviceStatus, status::OdtState,
        odt_shared::error::ErrorBody, odt_shared::error::ErrorDetail, odt_shared::error::GatewayMessage,
    )),
    tags((name = "status", description = "Device configuration status, exports, technicians"))
)]
pub struct StatusExportApi;
