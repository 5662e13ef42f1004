//! A fake direct-top-up supplier on a real socket (see
//! `youying_server::fakesupplier`), with its app id and secret, stopping on drop.

use std::net::SocketAddr;

use tokio::sync::watch;
pub use youying_server::fakesupplier::{FakeSupplier, FakeTopup, Mode};

#[derive(Debug)]
pub struct SupplierServer {
    pub fake: FakeSupplier,
    pub addr: SocketAddr,
    pub app_id: String,
    pub secret: String,
    stop: watch::Sender<bool>,
}

impl SupplierServer {
    pub async fn start(clock: impl youying_core::Clock) -> Self {
        let (app_id, secret) = ("sup-test", "sup-secret-0123456789");
        let fake = FakeSupplier::new(app_id, secret);
        fake.set_clock(clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, mut stopped) = watch::channel(false);
        let served = fake.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            let _ = youying_server::fakesupplier::serve(listener, served, shutdown).await;
        });
        Self { fake, addr, app_id: app_id.to_owned(), secret: secret.to_owned(), stop }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SupplierServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
