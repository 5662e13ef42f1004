//! A fake 易支付 gateway on a real socket: [`FakeGateway::start_v1`] /
//! [`FakeGateway::start_v2`] serve `youying_server::fakepay::router` at `/` on
//! `127.0.0.1:0`, with what an admin would configure in Youying (base URL,
//! pid, key or PEMs) and the [`FakeEpay`] to script faults on. Stops on drop.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use youying_server::fakepay::{DEMO_KEY, DEMO_PID, keys, serve};
pub use youying_server::fakepay::{Delivery, FakeEpay, FakeOrder, QueryFault};

/// The fake gateway, serving until dropped.
#[derive(Debug)]
pub struct FakeGateway {
    pub fake: FakeEpay,
    pub addr: SocketAddr,
    pub pid: String,
    /// V1: the merchant key (商户密钥).
    pub key: Option<String>,
    /// V2: the merchant private key (商户私钥) Youying signs with.
    pub merchant_private_pem: Option<String>,
    /// V2: the platform public key (平台公钥) Youying verifies with.
    pub platform_public_pem: Option<String>,
    stop: watch::Sender<bool>,
}

impl FakeGateway {
    /// A V1 (MD5) gateway for the demo merchant.
    pub async fn start_v1() -> Self {
        let fake = FakeEpay::v1(DEMO_PID, DEMO_KEY).expect("demo key");
        Self::start(fake, Some(DEMO_KEY.to_owned()), None, None).await
    }

    /// A V2 (RSA) gateway for the demo merchant, with the fixed test key pairs.
    pub async fn start_v2() -> Self {
        let fake = FakeEpay::v2(DEMO_PID, keys::MERCHANT_PUBLIC_PEM, keys::PLATFORM_PRIVATE_PEM).expect("test keys");
        let (private, public) = (keys::MERCHANT_PRIVATE_PEM.to_owned(), keys::PLATFORM_PUBLIC_PEM.to_owned());
        Self::start(fake, None, Some(private), Some(public)).await
    }

    async fn start(fake: FakeEpay, key: Option<String>, private: Option<String>, public: Option<String>) -> Self {
        // Tests never wait for the real schedule (1 min …): retry fast, a few times.
        fake.set_retry_delays(vec![Duration::from_millis(50); 3]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, mut stopped) = watch::channel(false);
        let served = fake.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            let _ = serve(listener, served, shutdown).await;
        });
        Self {
            fake,
            addr,
            pid: DEMO_PID.to_owned(),
            key,
            merchant_private_pem: private,
            platform_public_pem: public,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`: the gateway's base URL as an admin enters it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
