//! A tiny SMTP server for tests: it speaks just enough of the protocol (EHLO
//! or HELO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) for the real
//! lettre client to deliver to it, and keeps what it received. It can be taken
//! "down" — it then answers every connection `421` and hangs up — to test retries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The user of `AUTH PLAIN`, if the client authenticated.
    pub auth_user: Option<String>,
    /// Headers and body as sent (dot-stuffing undone).
    pub data: String,
}

impl Received {
    /// The decoded `Subject` header.
    pub fn subject(&self) -> String {
        let (head, _) = self.data.split_once("\r\n\r\n").unwrap_or((&self.data, ""));
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let raw = unfolded.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or("");
        decode_words(raw)
    }

    /// The decoded text of every part whose type starts with `mime` (`text/plain`, `text/html`).
    pub fn part(&self, mime: &str) -> String {
        let mut out = String::new();
        for section in self.data.split("\r\n--") {
            let (head, body) = section.split_once("\r\n\r\n").unwrap_or(("", ""));
            let head = head.to_ascii_lowercase();
            if !head.contains(&format!("content-type: {mime}")) {
                continue;
            }
            let body = body.split("\r\n--").next().unwrap_or("");
            if head.contains("content-transfer-encoding: base64") {
                out.push_str(&String::from_utf8_lossy(&base64(&body.replace("\r\n", ""))));
            } else if head.contains("content-transfer-encoding: quoted-printable") {
                out.push_str(&String::from_utf8_lossy(&quoted_printable(body)));
            } else {
                out.push_str(body);
            }
        }
        out
    }
}

#[derive(Debug, Default)]
struct Shared {
    mails: Mutex<Vec<Received>>,
    down: AtomicBool,
    connections: AtomicUsize,
}

/// The sink, listening on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("sink address");
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(session(stream, Arc::clone(&s)));
            }
        });
        Self { addr, shared, task }
    }

    /// `smtp://127.0.0.1:PORT`, plain, for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// What has been delivered so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.shared.mails.lock().expect("sink lock").clone()
    }

    /// While down, every connection is refused with `421`.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Connections accepted so far (refused ones included).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if shared.down.load(Ordering::SeqCst) {
        let _ = write.write_all(b"421 4.3.2 sink is down\r\n").await;
        return;
    }
    if write.write_all(b"220 youying-test-sink ESMTP\r\n").await.is_err() {
        return;
    }
    let (mut from, mut to, mut auth_user) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-youying-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("AUTH PLAIN ") {
            // base64("\0user\0password")
            let decoded = base64(&cmd[11..]);
            auth_user = decoded.split(|b| *b == 0).nth(1).map(|u| String::from_utf8_lossy(u).into_owned());
            b"235 2.7.0 authenticated\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = angle(&cmd);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(angle(&cmd));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.is_err() {
                return;
            }
            let Some(data) = read_data(&mut lines).await else { return };
            let mail = Received { from: from.clone(), to: std::mem::take(&mut to), auth_user: auth_user.clone(), data };
            shared.mails.lock().expect("sink lock").push(mail);
            b"250 2.0.0 queued\r\n"
        } else if upper == "RSET" {
            to.clear();
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" || line == ".\n" {
            return Some(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

fn angle(cmd: &str) -> String {
    let start = cmd.find('<').map_or(0, |i| i + 1);
    let end = cmd[start..].find('>').map_or(cmd.len(), |i| start + i);
    cmd[start..end].to_owned()
}

/// RFC 2047 `=?utf-8?b?…?=` / `=?utf-8?q?…?=` words among plain ones; the
/// space between two encoded words is not text, any other space is.
fn decode_words(raw: &str) -> String {
    let mut out = String::new();
    let mut last_encoded = None;
    for word in raw.split(' ') {
        let lower = word.to_ascii_lowercase();
        let encoded = lower.starts_with("=?utf-8?") && lower.ends_with("?=") && word.len() >= 12;
        if last_encoded.is_some() && !(encoded && last_encoded == Some(true)) {
            out.push(' ');
        }
        last_encoded = Some(encoded);
        if !encoded {
            out.push_str(word);
            continue;
        }
        // The payload in its original case: after `=?utf-8?b?`, before `?=`.
        let payload = &word[10..word.len() - 2];
        let bytes = match lower.as_bytes()[8] {
            b'b' => base64(payload),
            _ => quoted_printable(&payload.replace('_', " ")),
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    out
}

fn base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0_u32, 0);
    for v in s.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    out
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let bytes = s.replace("=\r\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(base64("5pyJ5bqU"), "有应".as_bytes());
        assert_eq!(quoted_printable("a=3Db=\r\nc"), b"a=bc");
        assert_eq!(decode_words("=?utf-8?b?5pyJ5bqU?= =?utf-8?b?5pyJ?="), "有应有");
        assert_eq!(decode_words("plain words"), "plain words");
        assert_eq!(decode_words("=?utf-8?b?5pyJ5bqU?= #1 =?utf-8?b?5pyJ?="), "有应 #1 有");
    }
}
