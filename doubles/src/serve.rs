//! Running a double on a loopback port.

use std::net::SocketAddr;
use tokio::task::JoinHandle;

/// A running server: its address and the task that serves it (aborted on drop).
#[derive(Debug)]
pub struct Served {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    /// Serves `router` on `127.0.0.1:port` (`0`: any free port).
    pub async fn start(router: axum::Router, port: u16) -> std::io::Result<Served> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Served { addr, task })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}
