//! One form POST to an OAuth endpoint, over hyper's HTTP/1.1 client on a
//! fresh connection (TLS by rustls, as for IMAP). A token is fetched once an
//! hour at most, so a connection pool would buy nothing.
//!
//! Bounded like every other wire exchange: one timeout over the whole
//! request, and a cap on the answer's size (a token answer is a few KB).

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::TlsClient;
use crate::inbound::tls;

/// The largest answer read; more is not a token endpoint talking.
const MAX_ANSWER: usize = 64 * 1024;

/// What the endpoint answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// POSTs `form` (application/x-www-form-urlencoded) to `url`, within `timeout`.
pub async fn post_form(url: &str, form: &[(&str, &str)], timeout: Duration) -> Result<Reply> {
    let url = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let endpoint = display(&url);
    match tokio::time::timeout(timeout, exchange(&url, body)).await {
        Ok(r) => r.with_context(|| format!("{endpoint} did not answer")),
        Err(_) => Err(anyhow!(
            "{endpoint} did not answer within {}s",
            timeout.as_secs()
        )),
    }
}

/// The URL without its query, for messages (a query may carry a secret).
fn display(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

async fn exchange(url: &url::Url, body: String) -> Result<Reply> {
    let host = url.host_str().context("the URL has no host")?.to_string();
    let port = url.port_or_known_default().context("the URL has no port")?;
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .with_context(|| format!("cannot reach {host}:{port}"))?;
    let _ = tcp.set_nodelay(true);
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    match url.scheme() {
        "https" => {
            let cfg = tls::client_config(&TlsClient { ca_file: None })?;
            let stream = tls::connect(cfg, &host, tcp).await?;
            request(stream, &authority, &path, body).await
        }
        "http" => request(tcp, &authority, &path, body).await,
        other => Err(anyhow!("{other}: only http and https are spoken")),
    }
}

async fn request<S>(stream: S, authority: &str, path: &str, body: String) -> Result<Reply>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake failed")?;
    // The connection is driven beside the request; it ends with it.
    let driver = tokio::spawn(conn);
    let req = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(
            hyper::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(hyper::header::ACCEPT, "application/json")
        .header(hyper::header::USER_AGENT, "posko")
        .body(Full::new(Bytes::from(body)))
        .context("cannot build the request")?;
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .context("the request failed")?;
        let status = resp.status().as_u16();
        let body = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| anyhow!("cannot read the answer: {e}"))?
            .to_bytes()
            .to_vec();
        anyhow::Ok(Reply { status, body })
    }
    .await;
    driver.abort();
    result
}
