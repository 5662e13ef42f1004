//! A browser without JavaScript, for page tests: it keeps the session cookie,
//! reads the CSRF token from the last page it loaded, and posts forms (url-encoded
//! or multipart) the way a browser does, without following redirects.

use reqwest::StatusCode;
use youying_core::ports::Store;

use crate::{TestApp, TestUser};

const BOUNDARY: &str = "----youying-test-boundary-7MA4YWxk";

/// A file in a multipart form: (field, file name, content type, bytes).
pub type FilePart<'b> = (&'b str, &'b str, &'b str, &'b [u8]);

#[derive(Debug)]
pub struct Web<'a, S: Store> {
    app: &'a TestApp<S>,
    cookie: String,
    /// The token the last loaded page's forms carry as `_csrf`.
    pub csrf: String,
}

impl<'a, S: Store> Web<'a, S> {
    pub fn new(app: &'a TestApp<S>, user: &TestUser) -> Self {
        Self { app, cookie: format!("yy_session={}", user.token), csrf: String::new() }
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let resp = self.app.client.get(self.app.url(path)).header("cookie", &self.cookie).send().await.expect("GET");
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            self.csrf = rest[..rest.find('"').unwrap_or(0)].to_owned();
        }
        (status, body)
    }

    /// Posts a url-encoded form with the current CSRF token (unless the form
    /// brings its own `_csrf`); returns status, `Location` and body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut fields = form.to_vec();
        if !form.iter().any(|(k, _)| *k == "_csrf") {
            fields.push(("_csrf", &self.csrf));
        }
        let req = self.app.client.post(self.app.url(path)).header("cookie", &self.cookie).form(&fields);
        Self::answer(req).await
    }

    /// Posts multipart/form-data: the fields (with the CSRF token first unless
    /// given), then the files.
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[FilePart<'_>],
    ) -> (StatusCode, String, String) {
        let mut all = Vec::with_capacity(fields.len() + 1);
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf", self.csrf.as_str()));
        }
        all.extend_from_slice(fields);
        let mut body = Vec::new();
        for (k, v) in all {
            body.extend(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (field, name, content_type, bytes) in files {
            body.extend(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body);
        Self::answer(req).await
    }

    async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, String, String) {
        let resp = req.send().await.expect("POST");
        let status = resp.status();
        let to = resp.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
        (status, to, resp.text().await.unwrap_or_default())
    }
}
