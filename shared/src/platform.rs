//! The four platforms device trust covers, as they appear in paths (`/platforms/ios`) and records.

use serde::{Deserialize, Serialize};

/// A device platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ios,
    Android,
    Macos,
    Windows,
}

impl Platform {
    /// Every platform, in display order.
    pub const ALL: [Platform; 4] = [Platform::Ios, Platform::Android, Platform::Macos, Platform::Windows];

    /// Parses the path form (`ios`, `android`, `macos`, `windows`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The path form.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
        }
    }

    /// The name people read (`iOS`, `Android`, `macOS`, `Windows`): the UEM group and policy names, the PDF
    /// report.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Ios => "iOS",
            Platform::Android => "Android",
            Platform::Macos => "macOS",
            Platform::Windows => "Windows",
        }
    }

    /// iOS and Android attest with a managed app configuration (`managementHint`); macOS and Windows with a
    /// SCEP client certificate from Okta's CA.
    pub fn is_mobile(self) -> bool {
        matches!(self, Platform::Ios | Platform::Android)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
